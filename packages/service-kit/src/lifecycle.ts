/**
 * Resource lifetimes of a process: one {@link DisposeScope} per composition root (or test),
 * into which everything opened is registered with its close, and which closes them in reverse
 * order. Node 20 has no `AsyncDisposableStack` (nor `await using`); this is the small part of
 * it we need.
 */

export type Dispose = () => void | Promise<void>;

export class DisposeScope {
  private readonly disposers: Dispose[] = [];
  private disposing: Promise<void> | null = null;

  /** Registers `dispose` to run when the scope is disposed (last registered runs first). */
  defer(dispose: Dispose): void {
    if (this.disposing) throw new Error('DisposeScope: already disposed');
    this.disposers.push(dispose);
  }

  /** Registers `resource`'s close and hands the resource back: `const db = scope.use(await openDb(), (d) => d.close())`. */
  use<T>(resource: T, dispose: (resource: T) => void | Promise<void>): T {
    this.defer(() => dispose(resource));
    return resource;
  }

  /**
   * Closes everything in reverse order of registration; every close runs even when one fails
   * (the first failure is rethrown at the end). Idempotent: later calls wait for the first.
   */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      let failure: { error: unknown } | null = null;
      for (const dispose of this.disposers.splice(0).reverse()) {
        try {
          await dispose();
        } catch (error) {
          failure ??= { error };
        }
      }
      if (failure) throw failure.error;
    })();
    return this.disposing;
  }
}

/**
 * Runs `open` inside a fresh scope: what it opens is closed again (in reverse) if it throws,
 * so a half-started process leaks nothing; on success the caller owns the scope.
 */
export async function openInScope<T>(open: (scope: DisposeScope) => Promise<T>): Promise<{ value: T; scope: DisposeScope }> {
  const scope = new DisposeScope();
  try {
    return { value: await open(scope), scope };
  } catch (error) {
    await scope.dispose().catch(() => {});
    throw error;
  }
}

/** Calls `stop` once on SIGINT/SIGTERM, then exits. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    stop()
      .catch((error: unknown) => console.error(`error while stopping after ${signal}`, error))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
