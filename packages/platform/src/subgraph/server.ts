/**
 * Serves one subgraph: HTTP (`/graphql`, `/healthz`, a status-only `/readyz`) and graphql-ws
 * (`/graphql`) on its public port, `/metrics` and detailed readiness on an internal one, over
 * the handles its composition root opened. Built from five parts: the durable-event consumers
 * (event-consumers.ts), the WebSocket endpoint (sockets.ts), `/graphql` over plain node:http
 * (graphql-http.ts), the public probes over Express (here) and service-kit's internal listener.
 * `/graphql` answers only the gateway: every request and upgrade carries its attestation.
 * Opens no connection and reads no environment.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  createConnectionGuard,
  createErrorFormatter,
  createGatewayVerifier,
  createOperationGuard,
  createReadiness,
  defaultOperationLimits,
  createSubgraphMetrics,
  defaultMaxStringLength,
  httpTracingMiddleware,
  observeGauge,
  operationMetricsPlugin,
  operationTracingPlugin,
  publicReadiness,
  startInternalServer,
  type DependencyCheck,
  type InputLimits,
  type OperationLimits,
  type SubgraphMetrics,
  inputIntegrityPlugin,
  createTokenVerifier,
  jsonErrorHandler,
  listenAt,
  requestIdOf,
  requestLogPlugin,
  withHttpServerSpan,
  type AuthConfig,
  type RevocationList,
  type RunningServer,
} from '@fitgraph/service-kit';
import { sql } from 'drizzle-orm';
import express from 'express';
import { parse, type DocumentNode } from 'graphql';
import type { Role } from '../auth';
import { metricsPrefix } from '../config';
import { subgraphSdlPath, type SubgraphName } from '../subgraphs';
import type { RequestInfo, SubgraphDefinition, SubgraphHandles } from './definition';
import { startEventConsumers } from './event-consumers';
import { answerErrors, graphqlHttpHandler, isGraphqlPath } from './graphql-http';
import { defaultSubscriptionCaps, serveSubgraphSockets, type SubscriptionCaps } from './sockets';

export interface SubgraphServerOptions<TSchema extends Record<string, unknown>, TResources> extends SubgraphHandles<TSchema> {
  /** What the definition's `createResources` made (undefined when it has none). */
  resources: TResources;
  /** Token verification keys. */
  auth: AuthConfig<Role>;
  /** Revoked sessions shared with the other services (service-kit revocation.ts). */
  revocations: RevocationList;
  /** GATEWAY_SECRET: `/graphql` serves only requests and upgrades the gateway signed with it. */
  gatewaySecret: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind. Default: 127.0.0.1. */
  host?: string;
  /** Port of the internal listener (`/metrics`, detailed `/readyz` and `/healthz`); 0 (default) picks a free one. */
  internalPort?: number;
  /** Interface of the internal listener. Default: `host`. */
  internalHost?: string;
  /** Production: no introspection, internal errors masked, no "Did you mean" hints. Default: false. */
  production?: boolean;
  /** The operation limits (the gateway's, OPERATION_*). Default: service-kit's defaults. */
  limits?: Partial<OperationLimits>;
  /** Input limits (MAX_STRING_LENGTH). Default: 100000 characters. */
  edge?: Partial<InputLimits>;
  /** Subscription caps of the graphql-ws endpoint. Default: {@link defaultSubscriptionCaps}. */
  subscriptionCaps?: Partial<SubscriptionCaps>;
  /** Its Prometheus series (served on the internal /metrics); default: a fresh registry. */
  metrics?: SubgraphMetrics;
  /** What /readyz checks besides the database (e.g. Redis; service-kit dependencies.ts); the caller opens and closes them. */
  readinessChecks?: DependencyCheck[];
}

export interface RunningSubgraph extends RunningServer {
  /** Base URL of the internal listener (`/metrics`, `/readyz`, `/healthz`), e.g. `http://127.0.0.1:9402`. */
  internalUrl: string;
  /** Subscriptions currently open on this process (graphql-ws). */
  activeSubscriptions(): number;
}

/**
 * The gateway's operation limits as a subgraph applies them to the fetches the query planner
 * derives from a client's operation. The planner adds entity-fetch wrappers, key fields and
 * `__typename` at subgraph boundaries, and splits a fragment that crosses one, repeating the
 * path to the boundary (aliases included) beside each spread: five aliased spreads of such a
 * fragment went from 63 tokens, 10 aliases and cost 4250 at the gateway to 109 tokens, 15
 * aliases and cost 4750 at the gym subgraph. A repeated path is never more than the client
 * asked for, so twice the tokens, bytes, aliases and cost holds every fetch; depth and root
 * fields are the gateway's as they are (a fetch never has more).
 */
export const subgraphOperationLimits = (limits: OperationLimits): OperationLimits => ({
  ...limits,
  maxTokens: 2 * limits.maxTokens,
  maxDocumentBytes: 2 * limits.maxDocumentBytes,
  maxAliases: 2 * limits.maxAliases,
  maxCost: 2 * limits.maxCost,
});

const forbidden = { message: 'Forbidden: this service answers only the gateway', extensions: { code: 'FORBIDDEN' } };

export const loadSubgraphTypeDefs = (name: SubgraphName): DocumentNode => parse(readFileSync(subgraphSdlPath(name), 'utf8'));

/** Serves a subgraph over HTTP and graphql-ws (`/graphql`) with its probes, and its internal listener; `stop()` closes what it started. */
export async function startSubgraphServer<TSchema extends Record<string, unknown>, TContext, TResources>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  definition: SubgraphDefinition<TSchema, TContext, TResources, any>,
  options: SubgraphServerOptions<TSchema, TResources>,
): Promise<RunningSubgraph> {
  const { db, pubsub, events, logger } = options;
  const deps = { db, pubsub, events, logger, resources: options.resources };
  const consumers = startEventConsumers(definition, { db, events, logger, pubsub });
  const schema = buildSubgraphSchema({
    typeDefs: loadSubgraphTypeDefs(definition.name),
    resolvers: definition.resolvers as GraphQLResolverMap<unknown>,
  });
  const contextFor = (request: Omit<RequestInfo, 'logger'>) =>
    definition.createContext(deps, { ...request, logger: logger.child({ requestId: request.requestId }) }) as Promise<Record<string, unknown>>;

  const production = options.production ?? false;
  const edge: InputLimits = { maxStringLength: defaultMaxStringLength, ...options.edge };
  const operationGuard = createOperationGuard(() => schema, subgraphOperationLimits({ ...defaultOperationLimits, ...options.limits }));
  const gateway = createGatewayVerifier(options.gatewaySecret);
  const metrics = options.metrics ?? createSubgraphMetrics(definition.name, metricsPrefix);
  const readiness = createReadiness(
    [{ name: 'database', where: `${definition.name} database`, check: async () => void (await db.execute(sql`select 1`)) }, ...(options.readinessChecks ?? [])],
    { logger, metrics },
  );
  const formatError = createErrorFormatter(logger, { production });

  const serviceName = `${definition.name}-subgraph`;
  const app = express();
  app.disable('x-powered-by');
  app.use(httpTracingMiddleware(serviceName));
  // `/graphql` is the only hot path: served without Express (graphql-http.ts), assigned once Apollo has started.
  let serveGraphql: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
  // The client's address as the gateway attested it, for per-IP limits (never x-forwarded-for).
  const clientIpOf = new WeakMap<IncomingMessage, string | null>();
  const httpServer = createServer((req, res) => {
    if (!serveGraphql || !isGraphqlPath(req.url)) return app(req, res);
    // Before the body is read: a caller that is not the gateway gets nothing from the subgraph.
    const attestation = gateway.verify(req.headers);
    if (!attestation) return answerErrors(res, 403, [forbidden]);
    clientIpOf.set(req, attestation.clientIp);
    const serve = serveGraphql;
    withHttpServerSpan(serviceName, req, res, '/graphql', () => void serve(req, res));
  });
  const verifier = createTokenVerifier(options.auth, options.revocations);
  const guard = createConnectionGuard(verifier, options.revocations);
  const sockets = serveSubgraphSockets({
    httpServer,
    path: '/graphql',
    schema,
    guard,
    contextFor,
    attest: (req) => gateway.verify(req.headers),
    operationGuard,
    edge,
    caps: { ...defaultSubscriptionCaps, ...options.subscriptionCaps },
  });
  observeGauge(metrics.websocketConnections, sockets.connections);

  const apollo = new ApolloServer({
    schema,
    // The gateway reads the supergraph file, never a subgraph's schema; the public has no business here.
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (stopOnSignals stops every service of the process in order).
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // No Apollo Studio here; traces would only cost bytes on every response.
      ApolloServerPluginInlineTraceDisabled(),
      // No schema has @cacheControl, so every answer was `cache-control: no-store`, which the
      // gateway reads exactly as no header (max-age 0); the plugin's per-field hook ran for nothing.
      ApolloServerPluginCacheControlDisabled(),
      requestLogPlugin<{ request?: RequestInfo }>(logger, (context) => context.request?.requestId),
      inputIntegrityPlugin(edge),
      operationMetricsPlugin(metrics),
      operationTracingPlugin(),
      { serverWillStart: async () => ({ drainServer: async () => void (await sockets.dispose()) }) },
    ],
  });
  await apollo.start();
  observeGauge(metrics.activeSubscriptions, sockets.activeSubscriptions);

  // Liveness: the process serves. Its dependencies are /readyz's business (a lost database must
  // take a replica out of rotation, not restart it). Both say no more than their status here:
  // the details (where the database is, why it is down) are on the internal listener.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res, next) => {
    publicReadiness(readiness)
      .then(({ status, body }) => res.status(status).json(body))
      .catch(next);
  });
  serveGraphql = graphqlHttpHandler(apollo, {
    guard: operationGuard,
    formatError,
    context: async (req) => {
      const authorization = req.headers.authorization ?? null;
      const deviceKey = req.headers['x-device-key'];
      return contextFor({
        requestId: requestIdOf(req),
        authorization,
        deviceKey: typeof deviceKey === 'string' ? deviceKey : null,
        clientIp: clientIpOf.get(req) ?? null,
        viewer: await verifier.viewerFromAuthorization(authorization),
      });
    },
  });
  app.use(jsonErrorHandler);

  const stopServing = async () => {
    // Consumers first: a handler in progress finishes while the database is still open.
    await Promise.allSettled(consumers.map((consumer) => consumer.stop()));
    guard.dispose();
    await apollo.stop();
  };
  const host = options.host ?? '127.0.0.1';
  const { url, port } = await listenAt(httpServer, options.port ?? 0, host, '/graphql');
  const internal = await startInternalServer({
    port: options.internalPort ?? 0,
    host: options.internalHost ?? host,
    metrics,
    readiness: async () => {
      const { ready, dependencies } = await readiness.check();
      return { ready, body: { subgraph: definition.name, dependencies } };
    },
    health: () => ({ subgraph: definition.name, activeSubscriptions: sockets.activeSubscriptions() }),
  }).catch(async (error: unknown) => {
    await stopServing();
    throw error;
  });
  return {
    url,
    port,
    internalUrl: internal.url,
    activeSubscriptions: sockets.activeSubscriptions,
    stop: async () => {
      await stopServing();
      await internal.stop();
    },
  };
}
