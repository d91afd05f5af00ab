import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { collect } from './subscription-clients';
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
 * arrives (see `collect`) so a test can await events one by one, in order, without sleeping.
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
  const collected = collect<TData>(`graphql-ws subscription\nquery: ${query}\n`, (sink) =>
    client.subscribe<TData>({ query, variables: options.variables }, sink),
  );
  let taken = 0;
  return {
    results: collected.results,
    finished: collected.ended,
    async next(timeoutMs = 10_000) {
      await collected.waitFor(taken + 1, timeoutMs);
      return collected.results[taken++]!;
    },
    async close() {
      collected.unsubscribe();
      await client.dispose();
    },
  };
}
