import { DependencyUnavailableError } from './dependencies';
import { ConfigError } from './env';
import { createLogger, type Logger } from './logger';

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

export interface StopOnSignalsOptions {
  logger?: Logger;
  /** Longest drain (ms); past it the process exits anyway, with code 1. Default: 25000. */
  timeoutMs?: number;
}

/**
 * Calls `stop` once on SIGINT/SIGTERM (in-flight requests finish, sockets close, connections
 * end), then exits 0; 1 if stopping failed or took longer than `timeoutMs`.
 */
export function stopOnSignals(stop: () => Promise<void>, options: StopOnSignalsOptions = {}): void {
  let stopping = false;
  const timeoutMs = options.timeoutMs ?? 25_000;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.logger?.info({ signal, timeoutMs }, 'stopping: draining requests and connections');
    const started = performance.now();
    const deadline = setTimeout(() => {
      options.logger?.error({ signal, timeoutMs }, `still stopping after ${timeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, timeoutMs);
    stop()
      .then(() => {
        options.logger?.info({ signal, ms: Math.round(performance.now() - started) }, 'stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        (options.logger ?? console).error({ err: error, signal }, 'error while stopping');
        process.exit(1);
      })
      .finally(() => clearTimeout(deadline));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * For composition roots: logs why the service could not start as ONE line (which dependency and
 * where, or every configuration problem) and exits 1.
 */
export function exitOnStartupFailure(service: string, error: unknown, level = 'info'): never {
  const logger = createLogger(service, level);
  if (error instanceof DependencyUnavailableError) {
    logger.fatal({ dependency: error.dependency, where: error.where, waitedMs: error.waitedMs }, `${error.message}; exiting`);
  } else if (error instanceof ConfigError) {
    logger.fatal({ problems: error.problems }, `${error.message.replaceAll('\n', ' ')}; exiting`);
  } else {
    logger.fatal({ err: error }, 'failed to start; exiting');
  }
  process.exit(1);
}

/**
 * For a composition root: the value `load` parses, or, on a {@link ConfigError}, every problem
 * logged at once as one line and the process ended with exit code 1.
 */
export function configOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return exitOnStartupFailure(service, error);
  }
}
