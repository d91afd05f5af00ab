import type { FormattedExecutionResult } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { gatewayHeaders } from './gateway-attestation';
import { testScope } from './scope';

/**
 * The one subscription test client: a subscription under test over graphql-ws or SSE, with
 * everything it received and ways to wait for more, in order, without sleeping. Made by
 * `graphqlWsClient(...).subscribe`, `sseClient(...).subscribe`, or `subscribe()` (its own socket).
 */
export interface TestSubscription<TData = Record<string, any>> {
  /** Every `next` payload so far, in order. */
  readonly results: FormattedExecutionResult<TData>[];
  /** Resolves once `count` results arrived (fails after `timeoutMs`, printing what did arrive). */
  waitFor(count: number, timeoutMs?: number): Promise<FormattedExecutionResult<TData>[]>;
  /** The next result not yet taken by `next()`; rejects after `timeoutMs` (printing what arrived) or if the stream ends first. */
  next(timeoutMs?: number): Promise<FormattedExecutionResult<TData>>;
  /** Resolves when the server completes the subscription or it errors (the error, if any: GraphQL errors, a close event or an Error). */
  readonly ended: Promise<{ error?: unknown }>;
  readonly isEnded: boolean;
  /** Client-side `complete`. */
  unsubscribe(): void;
  /** Unsubscribes and, for a subscription with its own connection, closes it. */
  close(): Promise<void>;
}

type Sink = { next(value: unknown): void; error(error: unknown): void; complete(): void };

/** Collects what a client subscription delivers; `start` subscribes a sink and returns its dispose. */
function collect<TData>(label: string, start: (sink: Sink) => () => void, closeConnection: () => Promise<void> = async () => {}): TestSubscription<TData> {
  const results: FormattedExecutionResult<TData>[] = [];
  const waiters = new Set<() => void>();
  let isEnded = false;
  let endedWith: { error?: unknown } | undefined;
  let resolveEnded!: (value: { error?: unknown }) => void;
  const ended = new Promise<{ error?: unknown }>((resolve) => (resolveEnded = resolve));
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const finish = (outcome: { error?: unknown }) => {
    if (isEnded) return;
    isEnded = true;
    endedWith = outcome;
    resolveEnded(outcome);
    notify();
  };
  const dispose = start({
    next: (value) => {
      results.push(value as FormattedExecutionResult<TData>);
      notify();
    },
    error: (error) => finish({ error }),
    complete: () => finish({}),
  });
  let taken = 0;
  const subscription: TestSubscription<TData> = {
    results,
    ended,
    get isEnded() {
      return isEnded;
    },
    unsubscribe: () => {
      dispose();
      finish({});
    },
    next: async (timeoutMs = 10_000) => {
      await subscription.waitFor(taken + 1, timeoutMs);
      return results[taken++]!;
    },
    close: async () => {
      subscription.unsubscribe();
      await closeConnection();
    },
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (results.length >= count) {
            cleanup();
            resolve(results.slice(0, count));
          } else if (isEnded) {
            cleanup();
            reject(new Error(`${label}: ended after ${results.length}/${count} results (${describe(endedWith?.error)}): ${JSON.stringify(results).slice(0, 2000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${label}: ${results.length}/${count} results after ${timeoutMs} ms: ${JSON.stringify(results).slice(0, 2000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
  return subscription;
}

function describe(error: unknown): string {
  if (error === undefined) return 'completed';
  if (Array.isArray(error)) return JSON.stringify(error);
  if (error && typeof error === 'object' && 'code' in error) return `close ${(error as { code: number }).code} ${(error as { reason?: string }).reason ?? ''}`;
  return error instanceof Error ? error.message : String(error);
}

export interface OperationPayload {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export interface GraphQLWsTestClient {
  client: WsClient;
  /** Resolves once `connection_ack` arrived; rejects with the close event ({ code, reason }) when refused. */
  connected: Promise<void>;
  subscribe<TData = Record<string, any>>(payload: OperationPayload): TestSubscription<TData>;
  /** A query or mutation over the socket. */
  execute<TData = Record<string, any>>(payload: OperationPayload): Promise<FormattedExecutionResult<TData>>;
  /** Resolves with the close event ({ code, reason }) the next time the socket closes. */
  nextClose(): Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/**
 * A graphql-ws (`graphql-transport-ws`) client for tests. Connects at once (token in the
 * `connection_init` payload as `authorization: Bearer <token>`), never retries, so a refused
 * or dropped connection shows up in the test instead of being papered over.
 */
export function graphqlWsClient(
  url: string,
  options: {
    token?: string;
    authorization?: string;
    connectionParams?: Record<string, unknown>;
    /** Headers of the upgrade request (over the gateway attestation a subgraph gets). */
    headers?: Record<string, string>;
    /** Send no gateway attestation to a subgraph (a caller that is not the gateway). Default: false. */
    unsigned?: boolean;
  } = {},
): GraphQLWsTestClient {
  const wsUrl = url.replace(/^http/, 'ws');
  const headers = { ...(options.unsigned ? {} : gatewayHeaders(url)), ...options.headers };
  class UpgradeWithHeaders extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  const closeListeners = new Set<(event: { code: number; reason: string }) => void>();
  let settle: { resolve(): void; reject(error: unknown): void } | undefined;
  const connected = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  connected.catch(() => {});
  const client = createWsClient({
    url: wsUrl,
    webSocketImpl: UpgradeWithHeaders,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { ...(authorization ? { authorization } : {}), ...options.connectionParams },
    onNonLazyError: () => {},
    on: {
      connected: () => settle?.resolve(),
      closed: (event) => {
        const close = event as { code: number; reason: string };
        settle?.reject({ code: close.code, reason: String(close.reason) });
        for (const listener of [...closeListeners]) listener({ code: close.code, reason: String(close.reason) });
      },
    },
  });
  testScope.defer(() => client.dispose());
  return {
    client,
    connected,
    subscribe: (payload) => collect('graphql-ws subscription', (sink) => client.subscribe(payload, sink)),
    execute: async (payload) => {
      const subscription = collect('graphql-ws operation', (sink) => client.subscribe(payload, sink));
      const outcome = await subscription.ended;
      if (outcome.error) throw outcome.error;
      return subscription.results[0] as FormattedExecutionResult<any>;
    },
    nextClose: () =>
      new Promise((resolve) => {
        const listener = (event: { code: number; reason: string }) => {
          closeListeners.delete(listener);
          resolve(event);
        };
        closeListeners.add(listener);
      }),
    close: () => client.dispose() as Promise<void>,
  };
}

export interface SseTestClient {
  subscribe<TData = Record<string, any>>(payload: OperationPayload): TestSubscription<TData>;
  close(): void;
}

/**
 * A graphql-sse client for tests in distinct-connections mode (one event stream per
 * operation), `Authorization: Bearer <token>` on each request, no retries.
 */
export function sseClient(url: string, options: { token?: string; authorization?: string } = {}): SseTestClient {
  const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  const client = createSseClient({
    url,
    retryAttempts: 0,
    headers: authorization ? { authorization } : {},
  });
  testScope.defer(() => client.dispose());
  return {
    subscribe: (payload) => collect('graphql-sse subscription', (sink) => client.subscribe(payload, sink)),
    close: () => client.dispose(),
  };
}

export interface SubscribeOptions {
  variables?: Record<string, unknown>;
  /** Access token; sent as connection param `authorization: Bearer <token>`. */
  token?: string;
  /** Further connection params (merged after `authorization`). */
  connectionParams?: Record<string, unknown>;
}

/** One graphql-ws subscription on its own connection; `close()` completes it and closes the socket. */
export function subscribe<TData = Record<string, any>>(url: string, query: string, options: SubscribeOptions = {}): TestSubscription<TData> {
  const { client } = graphqlWsClient(url, { token: options.token, connectionParams: options.connectionParams });
  return collect<TData>(
    `graphql-ws subscription\nquery: ${query}\n`,
    (sink) => client.subscribe<TData>({ query, variables: options.variables }, sink),
    async () => void (await client.dispose()),
  );
}

/** A client of either transport, as a transport-agnostic suite uses it. */
export interface SubscriptionTestClient {
  subscribe<TData = Record<string, any>>(payload: OperationPayload): TestSubscription<TData>;
  close(): unknown;
}

/**
 * The gateway's two subscription transports, for `describe.each(subscriptionTransports)`: one
 * suite, run over graphql-ws and over SSE alike.
 */
export const subscriptionTransports: { transport: 'graphql-ws' | 'sse'; connect(url: string, options?: { token?: string }): SubscriptionTestClient }[] = [
  { transport: 'graphql-ws', connect: (url, options) => graphqlWsClient(url, options) },
  { transport: 'sse', connect: (url, options) => sseClient(url, options) },
];
