import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import {
  createErrorFormatter,
  requestLogPlugin,
  createLogger,
  httpUrl,
  jsonErrorHandler,
  listen,
  requestIdOf,
  createTokenVerifier,
  loadAuthConfig,
  openRevocationList,
  type AuthConfig,
  type Logger,
  type RevocationList,
  type RunningServer,
  type Viewer,
} from '@fitgraph/service-kit';
import express from 'express';
import type { FormattedExecutionResult } from 'graphql';
import { inflightDedupe } from './fetch/dedupe';
import { composeFetcher } from './fetch/fetcher';
import { createPooledFetcher } from './fetch/pool';
import { checkSubgraphs } from './readiness';
import { SubscriptionEngine, type SubscriptionLimits, type SubscriptionStats } from './subscriptions/engine';
import type { ClientSession, Identity } from './subscriptions/identity';
import { SubscriptionPlanner, type ResumeRules } from './subscriptions/planner';
import { serveSse, serveWebSocket, type OperationRequest } from './subscriptions/transports';
import type { UpstreamOptions } from './subscriptions/upstream';

/** What the gateway knows of each client request; forwarded to every subgraph fetch. */
export interface GatewayContext {
  requestId: string;
  /** Forwarded as-is: subgraphs verify the same token themselves (see service-kit auth.ts). */
  authorization: string | null;
  deviceKey: string | null;
  /** The client's address as this server sees it (Express `req.ip`), sent on as `x-forwarded-for` for per-IP throttling. */
  clientIp?: string | null;
  /** Verified here once per request, so a bad token fails fast with UNAUTHENTICATED. */
  viewer: Viewer | null;
}

export interface GatewayOptions {
  /** The composed supergraph SDL (schema/supergraph.graphql). */
  supergraphSdl: string;
  /** Subgraph name -> GraphQL URL; names missing here keep the supergraph file's URL. */
  subgraphUrls?: Record<string, string>;
  /** Port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Default: 127.0.0.1. */
  host?: string;
  /** Production hides Sandbox and turns introspection off. Default: false. */
  production?: boolean;
  /** Overrides the production default for introspection. */
  introspection?: boolean;
  logger?: Logger;
  /** Token verification keys; default: from env (DEV-ONLY keys when unset). */
  auth?: AuthConfig;
  /**
   * Revoked sessions (service-kit revocation.ts), shared with the user subgraph through Redis or,
   * in one process, by passing the same list; default: a private in-process list.
   */
  revocations?: RevocationList;
  /** Subscriptions over graphql-ws and SSE (see gateway/README.md). */
  subscriptions?: SubscriptionOptions;
  /** The subgraph HTTP path (gateway/src/fetch/). */
  subgraphFetch?: SubgraphFetchOptions;
}

export interface SubgraphFetchOptions {
  /** Merge identical in-flight subgraph queries of the same identity (fetch/dedupe.ts). Default: true. */
  dedupe?: boolean;
  /** Keep-alive connections per subgraph (fetch/pool.ts). Default: 64. */
  connectionsPerSubgraph?: number;
}

export interface SubscriptionOptions {
  /** Per-connection and per-gateway limits. Defaults: 100 per connection, 10 000 in total. */
  limits?: Partial<SubscriptionLimits>;
  /** Ping client WebSockets this often (ms) and drop those that miss a pong. Default: 12 000. */
  keepAliveMs?: number;
  /** Upstream (gateway -> subgraph) heartbeat and reconnect settings. */
  upstream?: UpstreamOptions;
  /** Resume rules for Subscription fields that do not follow the `after`/`id` convention. */
  resume?: ResumeRules;
}

/** A running gateway; `subscriptions()` reports what it is streaming (also in /healthz). */
export interface RunningGateway extends RunningServer {
  subscriptions(): SubscriptionStats & { websockets: number; eventStreams: number };
}

/** Header names the gateway passes through to subgraphs. */
const forwardedHeaders = { authorization: 'authorization', deviceKey: 'x-device-key', requestId: 'x-request-id' } as const;

/** Reads the subgraph URL map out of the supergraph (`@join__graph(name:, url:)`). */
export function supergraphSubgraphUrls(supergraphSdl: string): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const match of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) {
    urls[match[1]!] = match[2]!;
  }
  return urls;
}

/** The FitGraph gateway: Apollo Gateway over a static supergraph, with Sandbox, health and readiness. */
export async function createGateway(options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger('gateway');
  const production = options.production ?? false;
  const auth = options.auth ?? loadAuthConfig();
  const ownRevocations = options.revocations
    ? null
    : await openRevocationList({ keyPrefix: '', accessTokenTtlSeconds: auth.accessTokenTtlSeconds, logger });
  const revocations = options.revocations ?? ownRevocations!;
  const verifier = createTokenVerifier(auth, revocations);
  const subgraphUrls = { ...supergraphSubgraphUrls(options.supergraphSdl), ...options.subgraphUrls };

  // Subgraph HTTP: a keep-alive undici pool, wrapped by the fetcher middlewares (fetch/fetcher.ts).
  const pool = createPooledFetcher({ connectionsPerOrigin: options.subgraphFetch?.connectionsPerSubgraph });
  const subgraphFetch = composeFetcher(pool.fetch, ...(options.subgraphFetch?.dedupe === false ? [] : [inflightDedupe()]));
  const buildService = ({ name, url }: { name: string; url?: string }) =>
    new RemoteGraphQLDataSource<GatewayContext>({
      url: subgraphUrls[name] ?? url,
      fetcher: subgraphFetch,
      willSendRequest: ({ request, context }) => {
        const headers = request.http?.headers;
        if (!headers || !context.requestId) return;
        headers.set(forwardedHeaders.requestId, context.requestId);
        if (context.authorization) headers.set(forwardedHeaders.authorization, context.authorization);
        if (context.deviceKey) headers.set(forwardedHeaders.deviceKey, context.deviceKey);
        // Set, not appended: a client's own x-forwarded-for never reaches a subgraph.
        if (context.clientIp) headers.set('x-forwarded-for', context.clientIp);
      },
    });
  // @apollo/gateway reports usage metrics to Apollo by default; FitGraph sends nothing
  // anywhere unless an operator opts in with APOLLO_TELEMETRY_DISABLED=false.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({ supergraphSdl: options.supergraphSdl, buildService });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);

  // Subscriptions: planned here, primary upstream over graphql-ws, `rest` per event through the
  // same data sources as queries (see gateway/README.md).
  const formatError = createErrorFormatter(logger);
  const planner = new SubscriptionPlanner(options.supergraphSdl, { resume: options.subscriptions?.resume });
  const dataSources: ServiceMap = Object.fromEntries(Object.keys(subgraphUrls).map((name) => [name, buildService({ name })]));
  const contextFor = (identity: Identity, requestId: string): GatewayContext => ({
    requestId,
    authorization: identity.authorization,
    deviceKey: null,
    viewer: identity.viewer,
  });
  const engine = new SubscriptionEngine({
    planner,
    subgraphUrls,
    dataSources,
    contextFor,
    formatError,
    logger,
    limits: options.subscriptions?.limits,
    upstream: options.subscriptions?.upstream,
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: options.introspection ?? !production,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (stopOnSignals stops every service of the process in order).
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      requestLogPlugin<GatewayContext>(logger, (context) => context.requestId),
      // Before the HTTP drain: clients of both transports are told to go elsewhere (1001).
      {
        serverWillStart: async () => ({
          drainServer: async () => {
            sse.dispose();
            await websockets.dispose();
            await engine.close();
          },
        }),
      },
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  // Queries and mutations over graphql-ws / SSE take the same path as HTTP ones.
  const executeOperation = async (session: ClientSession, request: OperationRequest): Promise<FormattedExecutionResult> => {
    const response = await apollo.executeOperation(
      { query: request.query, operationName: request.operationName ?? undefined, variables: request.variables ?? undefined },
      { contextValue: contextFor(session.identity, randomUUID()) },
    );
    if (response.body.kind === 'single') return response.body.singleResult;
    return { errors: [{ message: 'Incremental delivery is not supported over this transport', extensions: { code: 'BAD_REQUEST' } }] };
  };
  const transportOptions = { schema: planner.apiSchema, engine, verifier, revocations, executeOperation, formatError };
  const websockets = serveWebSocket({
    ...transportOptions,
    httpServer,
    path: '/graphql',
    keepAliveMs: options.subscriptions?.keepAliveMs ?? 12_000,
  });
  const sse = serveSse(transportOptions);
  const subscriptionStats = () => ({ ...engine.stats(), websockets: websockets.connections(), eventStreams: sse.connections() });

  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', subscriptions: subscriptionStats() });
  });
  app.get('/readyz', async (_req, res) => {
    const subgraphs = await checkSubgraphs(subgraphUrls);
    const ready = subgraphs.every((subgraph) => subgraph.status === 'up');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', subgraphs });
  });
  app.use('/graphql', (req, res, next) => {
    const requestId = requestIdOf(req);
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    next();
  });
  app.use('/graphql', (req, res, next) => {
    if (!sse.accepts(req)) return next();
    sse.handle(req, res).catch(next);
  });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const authorization = req.header(forwardedHeaders.authorization) ?? null;
        return {
          requestId: res.locals.requestId as string,
          authorization,
          deviceKey: req.header(forwardedHeaders.deviceKey) ?? null,
          clientIp: req.ip ?? null,
          viewer: await verifier.viewerFromAuthorization(authorization),
        };
      },
    }),
  );
  app.use(jsonErrorHandler);

  const host = options.host ?? '127.0.0.1';
  const port = await listen(httpServer, options.port ?? 0, host);
  return {
    url: httpUrl(host, port, '/graphql'),
    port,
    subscriptions: subscriptionStats,
    stop: async () => {
      await apollo.stop();
      await pool.close();
      await ownRevocations?.close();
    },
  };
}
