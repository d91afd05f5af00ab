import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { sql } from 'drizzle-orm';
import express from 'express';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type DocumentNode } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createTokenVerifier, loadAuthConfig, type AuthConfig, type Viewer } from './auth';
import type { Database } from './db';
import { clientAddress, defaultSubgraphEdge, depthLimitRule, proxyTrust, type EdgeOptions } from './edge';
import { createReadiness, readinessHandler, type DependencyCheck } from './dependencies';
import { createErrorFormatter } from './errors';
import { inputIntegrityError, inputIntegrityPlugin } from './input-integrity';
import { requestLogPlugin } from './request-log';
import {
  ensureProcessedEventsTable,
  handleEventOnce,
  openEventBus,
  type DomainEvent,
  type EventBus,
  type EventConsumer,
  type EventTopics,
  type Topic,
} from './events';
import { httpUrl, jsonErrorHandler, listen, requestIdOf } from './http';
import { createLogger, type Logger } from './logger';
import { createSubgraphMetrics, metricsHandler, observeGauge, operationMetricsPlugin, type SubgraphMetrics } from './metrics';
import type { PubSubEngine } from './pubsub';
import { openRevocationList, type RevocationList } from './revocation';
import { subgraphSdlPath, type SubgraphName } from './subgraphs';
import { httpTracingMiddleware, operationTracingPlugin } from './tracing';

/** What a subgraph knows about the request it is serving, from HTTP headers or graphql-ws params. */
export interface RequestInfo {
  requestId: string;
  /** `Bearer <token>` as sent by the client (forwarded by the gateway), or null. */
  authorization: string | null;
  /** A gym machine's own key (`x-device-key`), or null. */
  deviceKey: string | null;
  /**
   * The client's IP as the gateway saw it (`x-forwarded-for`, believed only from
   * `SUBGRAPH_TRUSTED_PROXIES`), else the peer address; for throttling, never for authorization.
   */
  clientIp: string | null;
  /** The verified identity behind `authorization`; null when anonymous. */
  viewer: Viewer | null;
  logger: Logger;
}

/** What every subgraph is built from. */
export interface SubgraphDependencies<TSchema extends Record<string, unknown>> {
  db: Database<TSchema>;
  pubsub: PubSubEngine;
  logger?: Logger;
  /** Durable events between subgraphs; default: a private in-process bus. */
  events?: EventBus;
}

/** What {@link SubgraphDefinition.createResources} gets: the dependencies plus config. */
export interface ResourceDependencies<TSchema extends Record<string, unknown>> extends Required<SubgraphDependencies<TSchema>> {
  /** The env the service was configured from. */
  source: NodeJS.ProcessEnv;
  auth: AuthConfig;
  /** Revoked sessions: the user subgraph records revocations here; every verifier honours them. */
  revocations: RevocationList;
}

/** Handlers of durable events; each runs in one transaction with the event's dedup record (events.ts). */
export type SubgraphEventHandlers<TSchema extends Record<string, unknown>> = {
  [T in Topic]?: (tx: Database<TSchema>, payload: EventTopics[T], event: DomainEvent<T>, tools: EventHandlerTools) => Promise<void>;
};

/** What an event handler may use besides its transaction. */
export interface EventHandlerTools {
  pubsub: PubSubEngine;
  logger: Logger;
  /** Runs `task` once the handler's transaction has committed (never after a rollback), e.g. to notify live subscribers. */
  afterCommit(task: () => Promise<void>): void;
}

export interface SubgraphDefinition<TSchema extends Record<string, unknown>, TContext, TResources = undefined> {
  name: SubgraphName;
  /** Drizzle tables of this subgraph's own database. */
  dbSchema: TSchema;
  resolvers: unknown;
  /**
   * Long-lived resources made once per server (rate limiters, token signers, background
   * relays), handed to every `createContext` as `deps.resources`; `close` runs on stop.
   */
  createResources?(deps: ResourceDependencies<TSchema>): Promise<{ resources: TResources; close(): Promise<void> }>;
  /** Per-request context: loaders are created here so batching never crosses requests. */
  createContext(
    deps: Required<SubgraphDependencies<TSchema>> & { resources: TResources },
    request: RequestInfo,
  ): TContext | Promise<TContext>;
  /** Inserts demo data; must be idempotent. `source`: the service's env. */
  seed(db: Database<TSchema>, source?: NodeJS.ProcessEnv): Promise<void>;
  /** Durable events this subgraph reacts to (e.g. `user.deleted`); consumed as group `<name>`. */
  eventHandlers?: SubgraphEventHandlers<TSchema>;
}

/** Any subgraph's definition, for code that handles all five alike. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySubgraphDefinition = SubgraphDefinition<any, any, any>;

export interface SubgraphServerOptions<TSchema extends Record<string, unknown>> extends SubgraphDependencies<TSchema> {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind. Default: 127.0.0.1. */
  host?: string;
  /** Token verification keys; default: from env (DEV-ONLY keys when unset). */
  auth?: AuthConfig;
  /** Env for the definition's resources. Default: process.env. */
  source?: NodeJS.ProcessEnv;
  /** Revoked sessions shared with the other services (revocation.ts); default: a private in-process list. */
  revocations?: RevocationList;
  /** Production: no introspection, internal errors masked, no "Did you mean" hints. Default: false. */
  production?: boolean;
  /** Depth limit, trusted proxies and input limits. Default: {@link defaultSubgraphEdge}. */
  edge?: Partial<EdgeOptions>;
  /** Its Prometheus series (served on /metrics); default: a fresh registry. */
  metrics?: SubgraphMetrics;
  /** What /readyz checks besides the database (e.g. Redis; see dependencies.ts). Closed on stop. */
  readinessChecks?: DependencyCheck[];
}

/** Largest graphql-ws message a subgraph accepts (the `ws` default is 100 MiB). */
const maxWebSocketPayload = 1024 * 1024;

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface RunningSubgraph extends RunningServer {
  /** Subscriptions currently open on this process (graphql-ws). */
  activeSubscriptions(): number;
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** Wraps a stream so `onClose` runs exactly once when it ends, errors or is returned early. */
function whileOpen<T>(iterable: AsyncIterable<T>, onClose: () => void): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      onClose();
    }
  };
  const wrapper: AsyncGenerator<T> = {
    [Symbol.asyncIterator]: () => wrapper,
    async next() {
      try {
        const result = await iterator.next();
        if (result.done) close();
        return result;
      } catch (error) {
        close();
        throw error;
      }
    },
    async return(value) {
      close();
      return (await iterator.return?.(value)) ?? { done: true, value };
    },
    async throw(error) {
      close();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
  };
  return wrapper;
}

const textParam = (params: Record<string, unknown> | undefined, key: string): string | null =>
  typeof params?.[key] === 'string' ? (params[key] as string) : null;

export const loadSubgraphTypeDefs = (name: SubgraphName): DocumentNode =>
  parse(readFileSync(subgraphSdlPath(name), 'utf8'));

/** Serves a subgraph over HTTP (`/graphql`, `/healthz`) and graphql-ws (`/graphql`). */
export async function startSubgraphServer<TSchema extends Record<string, unknown>, TContext, TResources>(
  definition: SubgraphDefinition<TSchema, TContext, TResources>,
  options: SubgraphServerOptions<TSchema>,
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger(`${definition.name}-subgraph`);
  const ownEvents = options.events ? null : openEventBus({ keyPrefix: '', logger });
  const events = options.events ?? ownEvents!;
  const auth = options.auth ?? loadAuthConfig(options.source);
  const ownRevocations = options.revocations
    ? null
    : await openRevocationList({ keyPrefix: '', accessTokenTtlSeconds: auth.accessTokenTtlSeconds, logger });
  const revocations = options.revocations ?? ownRevocations!;
  const baseDeps = { db: options.db, pubsub: options.pubsub, logger, events };
  const created = await definition.createResources?.({ ...baseDeps, source: options.source ?? process.env, auth, revocations });
  const deps = { ...baseDeps, resources: created?.resources as TResources };
  const consumers = await startEventConsumers(definition, options.db, events, logger, options.pubsub);
  const schema = buildSubgraphSchema({
    typeDefs: loadSubgraphTypeDefs(definition.name),
    resolvers: definition.resolvers as GraphQLResolverMap<unknown>,
  });

  const production = options.production ?? false;
  const edge: EdgeOptions = { ...defaultSubgraphEdge, ...options.edge };
  const validationRules = [depthLimitRule(edge.maxDepth)];
  const trust = proxyTrust(edge.trustedProxies);
  const metrics = options.metrics ?? createSubgraphMetrics(definition.name);
  const readiness = createReadiness(
    [{ name: 'database', where: `${definition.name} database`, check: async () => void (await options.db.execute(sql`select 1`)) }, ...(options.readinessChecks ?? [])],
    { logger, metrics },
  );

  const app = express();
  app.disable('x-powered-by');
  // `req.ip` believes x-forwarded-for only from the gateway's addresses, never from any caller.
  app.set('trust proxy', trust);
  app.use(httpTracingMiddleware(`${definition.name}-subgraph`));
  const httpServer = createServer(app);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: maxWebSocketPayload });
  observeGauge(metrics.websocketConnections, () => wsServer.clients.size);
  const verifier = createTokenVerifier(auth, revocations);
  let activeSubscriptions = 0;
  // Open graphql-ws sockets by the viewer they authenticated as: a revoked session's are closed.
  const sockets = new Map<{ close(code: number, reason: string): void }, Viewer>();
  // The list records a revocation before telling listeners, so isRevoked already answers for it.
  const stopListening = revocations.onRevoked(() => {
    for (const [socket, viewer] of sockets) {
      if (revocations.isRevoked(viewer)) {
        sockets.delete(socket);
        socket.close(4403, 'Session revoked');
      }
    }
  });
  const wsCleanup = useServer<Record<string, unknown> | undefined, { viewer?: Viewer | null }>(
    {
      schema,
      // The token is checked once per connection; a bad one closes it (4403) before any operation.
      onConnect: async (ctx) => {
        try {
          ctx.extra.viewer = await verifier.viewerFromAuthorization(textParam(ctx.connectionParams, 'authorization'));
          if (ctx.extra.viewer) {
            const socket = ctx.extra.socket;
            sockets.set(socket, ctx.extra.viewer);
            socket.once('close', () => sockets.delete(socket));
          }
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx) =>
        definition.createContext(deps, {
          requestId: textParam(ctx.connectionParams, 'requestId') ?? crypto.randomUUID(),
          authorization: textParam(ctx.connectionParams, 'authorization'),
          deviceKey: null,
          clientIp: clientAddress(ctx.extra.request, trust),
          viewer: ctx.extra.viewer ?? null,
          logger,
        }) as Promise<Record<string, unknown>>,
      // The same depth limit and input checks as HTTP (Apollo Server's pipeline does not run here).
      onSubscribe: (_ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(schema, document, [...specifiedRules, ...validationRules]);
        if (errors.length > 0) return errors;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Unable to identify the operation to run', { extensions: { code: 'BAD_REQUEST' } })];
        const refused = inputIntegrityError(schema, document, operation, payload.variables, edge);
        if (refused) return [refused];
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      // Counts streams that really opened, until they end by any route (complete, error, close).
      onOperation: (_ctx, _id, _payload, _args, result) => {
        if (!isAsyncIterable(result)) return undefined;
        activeSubscriptions += 1;
        return whileOpen(result, () => {
          activeSubscriptions -= 1;
        });
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer({
    schema,
    // The gateway reads the supergraph file, never a subgraph's schema; the public has no business here.
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    validationRules,
    // Shutdown is ours (stopOnSignals stops every service of the process in order).
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(logger, { production }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // No Apollo Studio here; traces would only cost bytes on every response.
      ApolloServerPluginInlineTraceDisabled(),
      requestLogPlugin<{ request?: RequestInfo }>(logger, (context) => context.request?.requestId),
      inputIntegrityPlugin(edge),
      operationMetricsPlugin(metrics),
      operationTracingPlugin(),
      { serverWillStart: async () => ({ drainServer: async () => void (await wsCleanup.dispose()) }) },
    ],
  });
  await apollo.start();
  observeGauge(metrics.activeSubscriptions, () => activeSubscriptions);

  // Liveness: the process serves. Its dependencies are /readyz's business (a lost database must
  // take a replica out of rotation, not restart it).
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', subgraph: definition.name, activeSubscriptions });
  });
  app.get('/readyz', readinessHandler(readiness, () => ({ subgraph: definition.name })));
  app.get('/metrics', metricsHandler(metrics));
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const authorization = req.header('authorization') ?? null;
        return definition.createContext(deps, {
          requestId: requestIdOf(req),
          authorization,
          deviceKey: req.header('x-device-key') ?? null,
          clientIp: req.ip ?? null,
          viewer: await verifier.viewerFromAuthorization(authorization),
          logger,
        }) as Promise<Record<string, unknown>>;
      },
    }),
  );
  app.use(jsonErrorHandler);

  const host = options.host ?? '127.0.0.1';
  const port = await listen(httpServer, options.port ?? 0, host);
  return {
    url: httpUrl(host, port, '/graphql'),
    port,
    activeSubscriptions: () => activeSubscriptions,
    stop: async () => {
      // Consumers first: a handler in progress finishes while the database is still open.
      await Promise.allSettled(consumers.map((consumer) => consumer.stop()));
      stopListening();
      await apollo.stop();
      await created?.close();
      await ownEvents?.close();
      await ownRevocations?.close();
      await readiness.close();
    },
  };
}

/** Wires `definition.eventHandlers` to the bus, each event handled once in effect per subgraph. */
async function startEventConsumers<TSchema extends Record<string, unknown>>(
  definition: { name: SubgraphName; eventHandlers?: SubgraphEventHandlers<TSchema> },
  db: Database<TSchema>,
  events: EventBus,
  logger: Logger,
  pubsub: PubSubEngine,
): Promise<EventConsumer[]> {
  const entries = Object.entries(definition.eventHandlers ?? {}) as [
    Topic,
    (tx: Database<TSchema>, payload: unknown, event: DomainEvent, tools: EventHandlerTools) => Promise<void>,
  ][];
  if (entries.length === 0) return [];
  await ensureProcessedEventsTable(db);
  return entries.map(([topic, handler]) =>
    events.consume(topic, definition.name, async (event) => {
      const afterCommit: (() => Promise<void>)[] = [];
      const tools: EventHandlerTools = { pubsub, logger, afterCommit: (task) => void afterCommit.push(task) };
      const handled = await handleEventOnce(db, event, (tx) => handler(tx, event.payload, event, tools));
      for (const task of afterCommit) {
        await task().catch((error: unknown) => logger.error({ err: error, eventId: event.id, topic }, 'after-commit task of an event handler failed'));
      }
      logger.info({ eventId: event.id, topic, handled, duplicate: !handled }, handled ? 'event handled' : 'event already handled; skipped');
    }),
  );
}
