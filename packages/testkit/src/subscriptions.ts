import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface SubscribeOptions {
  variables?: Record<string, unknown>;
  /** Access token; sent as connection param `authorization: Bearer <token>`. */
  token?: string;
  /** Further connection params (merged after `authorization`). */
  connectionParams?: Record<string, unknown>;
}

export interface TestSubscription<TData = Record<string, any>> {
  /** Every result received so far, in order. */
  readonly results: FormattedExecutionResult<TData>[];
  /** The next result not yet taken by `next()`; rejects after `timeoutMs` (printing what arrived) or if the stream fails. */
  next(timeoutMs?: number): Promise<FormattedExecutionResult<TData>>;
  /** Settles when the server completes the stream (`error` is set when it failed: GraphQL errors, a close event or an Error). */
  readonly finished: Promise<{ error?: unknown }>;
  /** Completes the subscription and closes the socket. */
  close(): Promise<void>;
}

/**
 * One graphql-ws subscription on its own connection (`graphql-transport-ws`), collecting what
 * arrives so a test can await events in order without sleeping.
 */
export function subscribe<TData = Record<string, any>>(
  url: string,
  query: string,
  options: SubscribeOptions = {},
): TestSubscription<TData> {
  const client: Client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.connectionParams,
    },
  });
  const results: FormattedExecutionResult<TData>[] = [];
  let taken = 0;
  let failure: { error: unknown } | null = null;
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  let settle!: (value: { error?: unknown }) => void;
  const finished = new Promise<{ error?: unknown }>((resolve) => (settle = resolve));

  const unsubscribe = client.subscribe<TData>(
    { query, variables: options.variables },
    {
      next: (result) => {
        results.push(result as FormattedExecutionResult<TData>);
        wake();
      },
      error: (error) => {
        failure = { error };
        ended = true;
        settle({ error });
        wake();
      },
      complete: () => {
        ended = true;
        settle({});
        wake();
      },
    },
  );

  const describe = () => `received so far: ${JSON.stringify(results, null, 2)}${failure ? `\nfailure: ${describeError(failure.error)}` : ''}`;

  return {
    results,
    finished,
    next(timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (taken < results.length) {
            done();
            resolve(results[taken++]!);
          } else if (ended) {
            done();
            reject(new Error(`subscription ended without another result\nquery: ${query}\n${describe()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no subscription result within ${timeoutMs} ms\nquery: ${query}\n${describe()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'code' in error && 'reason' in error) {
    const { code, reason } = error as { code: number; reason: string };
    return `close ${code} ${reason}`;
  }
  return JSON.stringify(error);
}
