/**
 * Serves one subgraph: HTTP (`/graphql`, `/healthz`) and graphql-ws (`/graphql`) over the
 * handles its composition root opened. Built from four parts: the durable-event consumers
 * (event-consumers.ts), the WebSocket endpoint (sockets.ts), `/graphql` over plain node:http
 * (graphql-http.ts) and the probes and metrics over Express (here).
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
  clientAddress,
  createConnectionGuard,
  createErrorFormatter,
  createReadiness,
  createSubgraphMetrics,
  httpTracingMiddleware,
  metricsHandler,
  observeGauge,
  operationMetricsPlugin,
  operationTracingPlugin,
  readinessHandler,
  type DependencyCheck,
  type SubgraphMetrics,
  defaultSubgraphEdge,
  depthLimitRule,
  inputIntegrityPlugin,
  proxyTrust,
  type EdgeOptions,
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
import { graphqlHttpHandler, isGraphqlPath } from './graphql-http';
import { serveSubgraphSockets } from './sockets';

export interface SubgraphServerOptions<TSchema extends Record<string, unknown>, TResources> extends SubgraphHandles<TSchema> {
  /** What the definition's `createResources` made (undefined when it has none). */
  resources: TResources;
  /** Token verification keys. */
  auth: AuthConfig<Role>;
  /** Revoked sessions shared with the other services (service-kit revocation.ts). */
  revocations: RevocationList;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind. Default: 127.0.0.1. */
  host?: string;
  /** Production: no introspection, internal errors masked, no "Did you mean" hints. Default: false. */
  production?: boolean;
  /** Depth limit, trusted proxies and input limits. Default: {@link defaultSubgraphEdge}. */
  edge?: Partial<EdgeOptions>;
  /** Its Prometheus series (served on /metrics); default: a fresh registry. */
  metrics?: SubgraphMetrics;
  /** What /readyz checks besides the database (e.g. Redis; service-kit dependencies.ts). Closed on stop. */
  readinessChecks?: DependencyCheck[];
}

export interface RunningSubgraph extends RunningServer {
  /** Subscriptions currently open on this process (graphql-ws). */
  activeSubscriptions(): number;
}

export const loadSubgraphTypeDefs = (name: SubgraphName): DocumentNode => parse(readFileSync(subgraphSdlPath(name), 'utf8'));

/** Serves a subgraph over HTTP (`/graphql`, `/healthz`) and graphql-ws (`/graphql`); `stop()` closes what it started. */
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
  const edge: EdgeOptions = { ...defaultSubgraphEdge, ...options.edge };
  const validationRules = [depthLimitRule(edge.maxDepth)];
  const trust = proxyTrust(edge.trustedProxies);
  const metrics = options.metrics ?? createSubgraphMetrics(definition.name, metricsPrefix);
  const readiness = createReadiness(
    [{ name: 'database', where: `${definition.name} database`, check: async () => void (await db.execute(sql`select 1`)) }, ...(options.readinessChecks ?? [])],
    { logger, metrics },
  );

  const serviceName = `${definition.name}-subgraph`;
  const app = express();
  app.disable('x-powered-by');
  // `req.ip` believes x-forwarded-for only from the gateway's addresses, never from any caller.
  app.set('trust proxy', trust);
  app.use(httpTracingMiddleware(serviceName));
  // `/graphql` is the only hot path: served without Express (graphql-http.ts), assigned once Apollo has started.
  let serveGraphql: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
  const httpServer = createServer((req, res) => {
    if (!serveGraphql || !isGraphqlPath(req.url)) return app(req, res);
    const serve = serveGraphql;
    withHttpServerSpan(serviceName, req, res, '/graphql', () => void serve(req, res));
  });
  const verifier = createTokenVerifier(options.auth, options.revocations);
  const guard = createConnectionGuard(verifier, options.revocations);
  const sockets = serveSubgraphSockets({ httpServer, path: '/graphql', schema, guard, contextFor, trust, validationRules, edge });
  observeGauge(metrics.websocketConnections, sockets.connections);

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
  // take a replica out of rotation, not restart it).
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', subgraph: definition.name, activeSubscriptions: sockets.activeSubscriptions() });
  });
  app.get('/readyz', readinessHandler(readiness, () => ({ subgraph: definition.name })));
  app.get('/metrics', metricsHandler(metrics));
  serveGraphql = graphqlHttpHandler(apollo, async (req) => {
    const authorization = req.headers.authorization ?? null;
    const deviceKey = req.headers['x-device-key'];
    return contextFor({
      requestId: requestIdOf(req),
      authorization,
      deviceKey: typeof deviceKey === 'string' ? deviceKey : null,
      // What Express's `req.ip` was with `trust proxy` set to the same addresses.
      clientIp: clientAddress(req, trust),
      viewer: await verifier.viewerFromAuthorization(authorization),
    });
  });
  app.use(jsonErrorHandler);

  const { url, port } = await listenAt(httpServer, options.port ?? 0, options.host ?? '127.0.0.1', '/graphql');
  return {
    url,
    port,
    activeSubscriptions: sockets.activeSubscriptions,
    stop: async () => {
      // Consumers first: a handler in progress finishes while the database is still open.
      await Promise.allSettled(consumers.map((consumer) => consumer.stop()));
      guard.dispose();
      await apollo.stop();
      await readiness.close();
    },
  };
}
