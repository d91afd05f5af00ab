/**
 * Federated subscriptions, in three layers this module wires together: the upstream pool
 * (upstream-pool.ts: one graphql-ws connection per subgraph and identity, which alone holds the
 * identity's token), the event executor (executor.ts: the rest of the plan per event), and
 * delivery (delivery.ts: groups, ordering, backpressure). Here: admission (limits), sharing of
 * upstream streams and groups, resume cursors, statistics.
 */
import type { ServiceMap } from '@apollo/gateway';
import { ErrorCode, type Logger } from '@fitgraph/service-kit';
import { getVariableValues, type DocumentNode, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { KeyedCounter } from '../limits/keyed-counter';
import { DeliveryGroup, rateLimited, type FrameTarget } from './delivery';
import { asGraphQLError, EventExecutor } from './executor';
import type { ClientSession, Identity } from './identity';
import type { PreparedSubscription, SubscriptionPlanner } from './planner';
import type { UpstreamConnection, UpstreamEnd, UpstreamOptions } from './upstream';
import { UpstreamPool } from './upstream-pool';

export interface SubscriptionLimits {
  /** Subscriptions one client connection may hold open. Default: 100. */
  perConnection: number;
  /** Subscriptions the whole gateway process holds open. Default: 10 000. */
  total: number;
  /** Undelivered events a client may fall behind by before its subscription is dropped. Default: 1000. */
  maxQueuedEvents: number;
  /** Subscriptions open from one client IP address, over all its connections. Default: 1000. */
  perIp: number;
  /** Subscriptions one signed-in user holds open, over all their connections and sessions. Default: 200. */
  perUser: number;
}

const defaultSubscriptionLimits: SubscriptionLimits = { perConnection: 100, total: 10_000, maxQueuedEvents: 1000, perIp: 1000, perUser: 200 };

export interface SubscriptionEngineOptions {
  planner: SubscriptionPlanner;
  /** Subgraph name -> HTTP GraphQL URL (the WebSocket URL is derived from it). */
  subgraphUrls: Record<string, string>;
  /** The gateway's data sources: the per-event `rest` fetches go through them. */
  dataSources: ServiceMap;
  /** The request context value the data sources expect (forwarded headers). */
  contextFor(identity: Identity, requestId: string): unknown;
  /** The gateway's error formatter (masks unexpected errors), applied once per execution. */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  logger: Logger;
  limits?: Partial<SubscriptionLimits>;
  upstream?: UpstreamOptions;
}

export interface SubscriptionRequest {
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface SubscriptionStats {
  /** Client subscriptions open now (all transports). */
  subscriptions: number;
  /** Distinct upstream subscriptions open to subgraphs now. */
  upstreamStreams: number;
  /** Upstream WebSocket connections (one per subgraph and identity) now. */
  upstreamConnections: number;
  /** Distinct (operation, variables, identity) groups now: one execution each per event. */
  executionGroups: number;
  /** Upstream events received since start. */
  events: number;
  /** Per-event plan executions since start. */
  executions: number;
  /** Upstream reconnects since start. */
  reconnects: number;
}

/** One upstream subscription, shared by every client whose planned subgraph operation, variables and identity match. */
interface UpstreamStream {
  key: string;
  identity: Identity;
  connection: UpstreamConnection;
  prepared: PreparedSubscription;
  variables: Record<string, unknown>;
  /** Last cursor seen (resumable fields): a resubscribe continues after it. */
  cursor: unknown;
  groups: Map<string, DeliveryGroup>;
  unsubscribe: () => void;
  ended: boolean;
}

/** Stable JSON (sorted keys), so equal variables give equal keys. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Federated subscriptions: a client subscription is planned into a primary subgraph
 * subscription and a `rest` plan; the primary runs upstream over graphql-ws and, for each
 * event, the executor runs `Sequence[primary, rest]` with the primary fetch answered by the
 * event. Identical upstream subscriptions share one stream; clients with the same operation,
 * variables and identity share one execution per event.
 */
export class SubscriptionEngine {
  private readonly streams = new Map<string, UpstreamStream>();
  private readonly pool: UpstreamPool;
  private readonly executor: EventExecutor;
  private readonly limits: SubscriptionLimits;
  private readonly perIp: KeyedCounter;
  private readonly perUser: KeyedCounter;
  private active = 0;
  private events = 0;
  private closed = false;

  constructor(private readonly options: SubscriptionEngineOptions) {
    this.limits = { ...defaultSubscriptionLimits, ...definedOnly(options.limits ?? {}) };
    // Both read `options` when they act, so a reload's planner, URLs and data sources apply.
    this.pool = new UpstreamPool(options);
    this.executor = new EventExecutor(options);
    this.perIp = new KeyedCounter(this.limits.perIp);
    this.perUser = new KeyedCounter(this.limits.perUser);
  }

  /**
   * Starts a client subscription: an event iterator, or a result carrying why it could not start.
   * With `frames` (graphql-ws) delivery writes the `next` messages to the connection itself and the
   * iterator only ends with the subscription.
   */
  subscribe(
    session: ClientSession,
    request: SubscriptionRequest,
    frames?: FrameTarget,
  ): AsyncIterableIterator<FormattedExecutionResult> | FormattedExecutionResult {
    if (this.closed) {
      return { errors: [{ message: 'The gateway is shutting down', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
    }
    if (session.subscriptions >= this.limits.perConnection) {
      return rateLimited(
        `Too many subscriptions on this connection: at most ${this.limits.perConnection} may be open at once`,
        this.limits.perConnection,
      );
    }
    if (this.active >= this.limits.total) {
      return rateLimited(`The gateway is serving its maximum of ${this.limits.total} subscriptions; try again later`, this.limits.total);
    }
    const userId = session.identity.viewer?.id;
    if (this.perIp.count(session.clientIp) >= this.limits.perIp) {
      return rateLimited(`Too many subscriptions from this address: at most ${this.limits.perIp} may be open at once`, this.limits.perIp);
    }
    if (userId && this.perUser.count(userId) >= this.limits.perUser) {
      return rateLimited(`Too many subscriptions for this user: at most ${this.limits.perUser} may be open at once`, this.limits.perUser);
    }
    let prepared: PreparedSubscription;
    try {
      prepared = this.options.planner.prepare(request.document, request.operationName ?? undefined);
    } catch (error) {
      return { errors: [this.executor.format(asGraphQLError(error))] };
    }
    const coerced = getVariableValues(
      this.options.planner.apiSchema,
      prepared.operation.variableDefinitions ?? [],
      request.variables ?? {},
    );
    if (coerced.errors) {
      return {
        errors: coerced.errors.map((error) => ({ ...error.toJSON(), extensions: { code: 'BAD_USER_INPUT' } })),
      };
    }
    const variables = coerced.coerced;
    let stream: UpstreamStream;
    try {
      stream = this.streamFor(session.identity, prepared, variables);
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not open an upstream subscription');
      return { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
    }
    const groupKey = stableJson([prepared.key, variables]);
    let group = stream.groups.get(groupKey);
    if (!group) {
      group = new DeliveryGroup(groupKey, prepared, variables, this.limits.maxQueuedEvents);
      stream.groups.set(groupKey, group);
    }
    const joined = group;
    const releaseIp = this.perIp.acquire(session.clientIp);
    const releaseUser = userId ? this.perUser.acquire(userId) : null;
    const iterator = joined.join(() => {
      releaseIp?.();
      releaseUser?.();
      session.subscriptions -= 1;
      this.active -= 1;
      if (joined.subscribers.size === 0 && stream.groups.get(joined.key) === joined) stream.groups.delete(joined.key);
      if (stream.groups.size === 0) this.stopStream(stream);
    }, frames);
    session.subscriptions += 1;
    this.active += 1;
    return iterator;
  }

  stats(): SubscriptionStats {
    let executionGroups = 0;
    for (const stream of this.streams.values()) executionGroups += stream.groups.size;
    return {
      subscriptions: this.active,
      upstreamStreams: this.streams.size,
      upstreamConnections: this.pool.size(),
      executionGroups,
      events: this.events,
      executions: this.executor.executions,
      reconnects: this.pool.reconnects(),
    };
  }

  /**
   * Switches to a new supergraph's planner, URLs and data sources. Open subscriptions were planned
   * against the old one, so each ends with SCHEMA_RELOADED (clients subscribe again and are
   * planned anew); their upstream streams and idle connections close.
   */
  reload(next: Pick<SubscriptionEngineOptions, 'planner' | 'subgraphUrls' | 'dataSources'>): void {
    this.options.planner = next.planner;
    this.options.subgraphUrls = next.subgraphUrls;
    this.options.dataSources = next.dataSources;
    const reloaded: FormattedExecutionResult = {
      errors: [{ message: 'The gateway loaded a new schema; subscribe again', extensions: { code: ErrorCode.SchemaReloaded } }],
    };
    for (const stream of [...this.streams.values()]) {
      for (const group of stream.groups.values()) for (const iterator of [...group.subscribers]) iterator.abort(reloaded);
      this.stopStream(stream);
    }
  }

  /** Ends every subscription and upstream connection (after the transports closed their clients). */
  async close(): Promise<void> {
    this.closed = true;
    for (const stream of [...this.streams.values()]) {
      for (const group of stream.groups.values()) for (const iterator of group.subscribers) iterator.end();
      this.stopStream(stream);
    }
    await this.pool.close();
  }

  private streamFor(identity: Identity, prepared: PreparedSubscription, clientVariables: Record<string, unknown>): UpstreamStream {
    const { upstream } = prepared;
    const variables: Record<string, unknown> = {};
    for (const name of upstream.variableUsages) {
      if (clientVariables[name] !== undefined) variables[name] = clientVariables[name];
    }
    const cursor = upstream.resume?.initial(clientVariables);
    const key = stableJson([upstream.subgraph, identity.key, upstream.query, variables, cursor ?? null]);
    const existing = this.streams.get(key);
    if (existing) {
      this.pool.present(existing.connection, identity);
      return existing;
    }
    const connection = this.pool.connectionFor(upstream.subgraph, identity, true);

    const stream: UpstreamStream = {
      key,
      identity,
      connection,
      prepared,
      variables,
      cursor,
      groups: new Map(),
      unsubscribe: () => {},
      ended: false,
    };
    this.streams.set(key, stream);
    this.options.logger.debug(
      { subgraph: upstream.subgraph, viewer: identity.viewer?.id ?? null, connection: connection.id, streams: this.streams.size },
      'upstream subscription opened',
    );
    const resume = upstream.resume;
    stream.unsubscribe = connection.subscribe(
      upstream.query,
      () => (resume && stream.cursor !== undefined ? { ...variables, [resume.variable]: stream.cursor } : variables),
      {
        next: (result) => this.onEvent(stream, result),
        end: (reason) => this.onUpstreamEnd(stream, reason),
      },
    );
    return stream;
  }

  private stopStream(stream: UpstreamStream): void {
    if (!stream.ended) {
      stream.ended = true;
      stream.unsubscribe();
      this.options.logger.debug({ subgraph: stream.prepared.upstream.subgraph, connection: stream.connection.id }, 'upstream subscription closed');
    }
    this.forget(stream);
  }

  /** Drops a stream that ended from the map and releases its share of the connection. */
  private forget(stream: UpstreamStream): void {
    if (this.streams.get(stream.key) === stream) {
      this.streams.delete(stream.key);
      this.pool.release(stream.connection);
    }
  }

  private onEvent(stream: UpstreamStream, event: FormattedExecutionResult): void {
    if (stream.ended) return;
    this.events += 1;
    const resume = stream.prepared.upstream.resume;
    if (resume && event.data) {
      const root = event.data[resume.rootResponseName] as Record<string, unknown> | null | undefined;
      const cursor = root?.[resume.cursorAlias];
      if (cursor !== undefined && cursor !== null) stream.cursor = cursor;
    }
    // The token lives with the connection: executions fetch with the one it presents now.
    const identity = { ...stream.identity, authorization: stream.connection.authorization };
    for (const group of stream.groups.values()) group.enqueue(this.executor.execute(group.prepared, group.variables, identity, event));
  }

  private onUpstreamEnd(stream: UpstreamStream, reason: UpstreamEnd): void {
    if (stream.ended) return;
    stream.ended = true;
    this.options.logger.debug(
      { subgraph: stream.prepared.upstream.subgraph, connection: stream.connection.id, reason: reason.kind },
      'upstream subscription ended by the subgraph',
    );
    this.forget(stream);
    const last: FormattedExecutionResult | undefined =
      reason.kind === 'errors' ? { errors: reason.errors.map((error) => this.options.formatError(error, error)) } : undefined;
    for (const group of stream.groups.values()) group.finish(last);
  }
}

function definedOnly<T extends object>(value: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
