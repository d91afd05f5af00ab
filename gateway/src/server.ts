import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import {
  createErrorFormatter,
  inputIntegrityPlugin,
  proxyTrust,
  defaultMaxStringLength,
  requestLogPlugin,
  jsonErrorHandler,
  listenAt,
  requestIdOf,
  createConnectionGuard,
  createTokenVerifier,
  breakerStateValue,
  createGatewayMetrics,
  createReadiness,
  httpTracingMiddleware,
  metricsHandler,
  observeGauge,
  operationMetricsPlugin,
  operationTracingPlugin,
  type AuthConfig,
  type DependencyCheck,
  type GatewayMetrics,
  type Logger,
  type RevocationList,
  type RunningServer,
} from '@fitgraph/service-kit';
import { devGatewaySecret, metricsPrefix, type Role, type Viewer } from '@fitgraph/platform';
import express from 'express';
import type { FormattedExecutionResult } from 'graphql';
import { ConnectionCaps, type ConnectionCapLimits } from './limits/connection-caps';
import { operationLimitsMiddleware, readLimitedText, requestTooLargeHandler } from './limits/http';
import { createGatewaySigner, createOperationGuard, defaultMaxRequestBytes, type GatewayLimitOptions } from '@fitgraph/service-kit';
import { composeFetcher } from './fetch/fetcher';
import { createSubgraphResilience, type ResilienceOptions } from './fetch/resilience';
import type { BreakerState, BreakerStateListener } from './fetch/circuit-breaker';
import { GatewayRateLimiter, type RateLimitedListener, type RateLimitSettings } from './rate-limit';
import { observeSubgraphFetches } from './observability';
import { inflightDedupe } from './fetch/dedupe';
import { createPooledFetcher } from './fetch/pool';
import { checkSubgraphs } from './readiness';
import { perSubgraph, supergraphHash, watchSupergraphFile } from './supergraph';
import { servedSupergraphOf } from './served-supergraph';
import { SubscriptionEngine, type SubscriptionLimits, type SubscriptionStats } from './subscriptions/engine';
import type { ClientSession, Identity } from './subscriptions/identity';
import { SubscriptionPlanner, type ResumeRules } from './subscriptions/planner';
import { serveSse, serveWebSocket, type OperationRequest } from './subscriptions/transports';
import type { UpstreamOptions } from './subscriptions/upstream';
import { createTrustedDocuments, type TrustedDocumentsOptions } from './trusted-documents';

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
  /** The composed supergraph SDL, served as it is; or give `supergraphPath`. */
  supergraphSdl?: string;
  /** A supergraph file to serve (when `supergraphSdl` is not given), reloaded on change unless `watchSupergraph` is false. */
  supergraphPath?: string;
  /** Reload `supergraphPath` when it changes. Default: true. */
  watchSupergraph?: boolean;
  /** Subgraph name (or lower-cased env name) -> GraphQL URL; names missing here keep the supergraph file's URL. */
  subgraphUrls?: Record<string, string>;
  /** Per-subgraph timeouts, query retries and circuit breakers. Default: 10 s, 2 retries, opossum defaults of FitGraph. */
  resilience?: ResilienceOptions;
  /** Per-client request budgets by tier; none when unset. */
  rateLimits?: RateLimitSettings;
  /** Port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Default: 127.0.0.1. */
  host?: string;
  /** Production hides Sandbox and turns introspection off. Default: false. */
  production?: boolean;
  /** Overrides the production default for introspection. */
  introspection?: boolean;
  logger: Logger;
  /** Token verification keys. */
  auth: AuthConfig<Role>;
  /**
   * Revoked sessions (service-kit revocation.ts), shared with the user subgraph through Redis or,
   * in one process, by passing the same list. The composition root opens (and closes) it.
   */
  revocations: RevocationList;
  /** Subscriptions over graphql-ws and SSE (see gateway/README.md). */
  subscriptions?: SubscriptionOptions;
  /** Which operations run: in production only the clients' manifest unless allowed (gateway/README.md). */
  trustedDocuments?: TrustedDocumentsOptions;
  /** Operation limits (depth, aliases, root fields, tokens, size, cost) and request size, for every transport. */
  limits?: GatewayLimitOptions;
  /** Proxies in front of the gateway whose `x-forwarded-for` names the client (`TRUSTED_PROXIES`). Default: none. */
  trustedProxies?: string[];
  /** Longest string argument or variable (`MAX_STRING_LENGTH`). Default: 100000. */
  maxStringLength?: number;
  /** Its Prometheus series (served on /metrics); default: a fresh registry. */
  metrics?: GatewayMetrics;
  /** What /readyz checks besides the subgraphs (e.g. Redis; service-kit dependencies.ts). Closed on stop. */
  readinessChecks?: DependencyCheck[];
  /** The subgraph HTTP path (gateway/src/fetch/). */
  subgraphFetch?: SubgraphFetchOptions;
  /** TEMPORARY (wt-sub, until the lead's gateway signing lands): GATEWAY_SECRET. Default: the DEV-ONLY secret. */
  gatewaySecret?: string;
  /**
   * A span per request (HTTP middleware, operation name plugin). False when this process exports
   * no traces (`startTracing(...).enabled`): its spans would never be recorded, and each request
   * would still pay for creating and ending one. Default: true.
   */
  tracing?: boolean;
}

export interface SubgraphFetchOptions {
  /** Merge identical in-flight subgraph queries of the same identity (fetch/dedupe.ts). Default: true. */
  dedupe?: boolean;
  /** Keep-alive connections per subgraph (fetch/pool.ts). Default: 64. */
  connectionsPerSubgraph?: number;
}

export interface SubscriptionOptions {
  /** Subscription limits. Defaults: 100 per connection, 1000 per IP, 200 per user, 10 000 in total. */
  limits?: Partial<SubscriptionLimits>;
  /** Open WebSockets + event streams per client IP and per user. Defaults: 200 / 20. */
  connections?: Partial<ConnectionCapLimits>;
  /** WebSockets without `connection_init` this long (ms) are closed (4408). Default: 3000. */
  connectionInitTimeoutMs?: number;
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
  /** Each subgraph's circuit breaker state now (also in /healthz). */
  breakerStates(): Record<string, BreakerState>;
  /** Calls `listener` on every circuit breaker transition (for metrics); returns an unsubscribe. */
  onBreakerStateChange(listener: BreakerStateListener): () => void;
  /** Calls `listener` on every request or operation refused by the rate limits (for metrics); returns an unsubscribe. */
  onRateLimited(listener: RateLimitedListener): () => void;
  /** The series /metrics serves (breaker state and rate-limit rejections are set through it). */
  metrics: GatewayMetrics;
}

/** Header names the gateway passes through to subgraphs. */
const forwardedHeaders = { authorization: 'authorization', deviceKey: 'x-device-key', requestId: 'x-request-id' } as const;

/** The FitGraph gateway: Apollo Gateway over a supergraph file (hot-reloaded) or SDL, with Sandbox, health and readiness. */
export async function createGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { logger, revocations } = options;
  const production = options.production ?? false;
  const verifier = createTokenVerifier(options.auth, revocations);
  // TEMPORARY (wt-sub): signs every subgraph request and upstream upgrade.
  const gatewaySigner = createGatewaySigner(options.gatewaySecret ?? devGatewaySecret);
  if (options.supergraphSdl === undefined && !options.supergraphPath) throw new Error('createGateway needs supergraphSdl or supergraphPath');
  const initialSdl = options.supergraphSdl ?? readFileSync(options.supergraphPath!, 'utf8');
  const urlFor = (name: string, fileUrl?: string) => perSubgraph(options.subgraphUrls, name) ?? fileUrl;
  const metrics = options.metrics ?? createGatewayMetrics(metricsPrefix);
  const resilience = createSubgraphResilience(options.resilience, logger);
  const rateLimiter = options.rateLimits ? new GatewayRateLimiter(options.rateLimits, logger) : null;
  // Breaker transitions and rate-limit refusals are /metrics series.
  resilience.breakers.onStateChange((subgraph, state) => metrics.breakerState.set({ subgraph }, breakerStateValue[state]));
  rateLimiter?.onRateLimited((tier) => metrics.rateLimitRejections.inc({ tier }));

  // Subgraph HTTP (fetch/fetcher.ts): identical in-flight queries merged first, then the
  // subgraph's timeout/retries/breaker, over a keep-alive pool (Node http agent, fetch/pool.ts).
  const pool = createPooledFetcher({ connectionsPerOrigin: options.subgraphFetch?.connectionsPerSubgraph });
  const dedupe = options.subgraphFetch?.dedupe === false ? [] : [inflightDedupe()];
  const buildService = ({ name, url }: { name: string; url?: string }) => {
    const observed = observeSubgraphFetches(name, metrics);
    return new RemoteGraphQLDataSource<GatewayContext>({
      url: urlFor(name, url),
      fetcher: composeFetcher(pool.fetch, ...dedupe, ...resilience.middlewares(name)),
      didReceiveResponse: observed.didReceiveResponse,
      didEncounterError: observed.didEncounterError,
      willSendRequest: (processOptions) => {
        observed.willSendRequest(processOptions);
        const { request, context } = processOptions;
        const headers = request.http?.headers;
        if (!headers || !context.requestId) return;
        headers.set(forwardedHeaders.requestId, context.requestId);
        if (context.authorization) headers.set(forwardedHeaders.authorization, context.authorization);
        if (context.deviceKey) headers.set(forwardedHeaders.deviceKey, context.deviceKey);
        // Set, not appended: a client's own x-forwarded-for never reaches a subgraph.
        if (context.clientIp) headers.set('x-forwarded-for', context.clientIp);
        // TEMPORARY (wt-sub): the attestation subgraphs require, naming the client's address.
        for (const [name, value] of Object.entries(gatewaySigner.headers(context.clientIp ?? null))) headers.set(name, value);
      },
    });
  };
  // @apollo/gateway reports usage metrics to Apollo unless APOLLO_TELEMETRY_DISABLED is set in
  // the process's environment when it is constructed; FitGraph's start scripts set it (see
  // gateway/README.md). The gateway itself never writes the environment.
  let updateApollo: ((sdl: string) => void) | undefined;
  const gateway = new ApolloGateway({
    supergraphSdl: async ({ update }) => {
      updateApollo = update;
      return { supergraphSdl: initialSdl };
    },
    buildService,
    // Always, not only outside production: an invalid file must be refused before it is applied.
    validateSupergraph: true,
  });
  // What the supergraph Apollo serves gives the subscription side: its planner and schemas (one
  // set in memory, see served-supergraph.ts), subgraph URLs and data sources. Taken after Apollo
  // loaded or applied a supergraph.
  const adopt = (sdl: string) => {
    const served = servedSupergraphOf(gateway);
    const subgraphs = served.queryPlanner.supergraph.subgraphsMetadata();
    return {
      hash: supergraphHash(sdl),
      subgraphUrls: Object.fromEntries(subgraphs.map(({ name, url }) => [name, urlFor(name, url)!])),
      planner: new SubscriptionPlanner(served, { resume: options.subscriptions?.resume }),
      dataSources: Object.fromEntries(subgraphs.map((subgraph) => [subgraph.name, buildService(subgraph)])) as ServiceMap,
    };
  };
  let current: ReturnType<typeof adopt>;
  /** Applies a new supergraph (Apollo throws, changing nothing, when it is invalid): queries plan against it at once, subscriptions are re-planned. */
  const reloadSupergraph = (sdl: string) => {
    if (supergraphHash(sdl) === current.hash) return;
    updateApollo!(sdl);
    current = adopt(sdl);
    engine.reload(current);
    logger.info({ supergraph: current.hash.slice(0, 12), subgraphs: Object.keys(current.subgraphUrls) }, 'supergraph reloaded');
  };

  const app = express();
  app.disable('x-powered-by');
  // No ETag per answer (Express hashes every response body for it): GraphQL answers are POSTs or
  // per-viewer GETs that no client revalidates with If-None-Match. ~1 % of the gateway's CPU.
  app.set('etag', false);
  // `req.ip` (forwarded to subgraphs for per-IP limits) believes x-forwarded-for only from configured proxies.
  app.set('trust proxy', proxyTrust(options.trustedProxies ?? []));
  const tracing = options.tracing ?? true;
  if (tracing) app.use(httpTracingMiddleware('gateway'));
  const httpServer = createServer(app);

  // Subscriptions: planned here, primary upstream over graphql-ws, `rest` per event through the
  // same data sources as queries (see gateway/README.md).
  const formatError = createErrorFormatter(logger, { production });
  const trustedDocuments = createTrustedDocuments(production, options.trustedDocuments);
  // One set of operation limits for HTTP, graphql-ws and SSE, checked before Apollo parses or plans.
  const guard = createOperationGuard(() => current.planner.apiSchema, options.limits);
  const maxRequestBytes = options.limits?.maxRequestBytes ?? defaultMaxRequestBytes;
  const contextFor = (identity: Identity, requestId: string): GatewayContext => ({
    requestId,
    authorization: identity.authorization,
    deviceKey: null,
    viewer: identity.viewer,
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: options.introspection ?? !production,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: production,
    // Shutdown is ours (stopOnSignals stops every service of the process in order).
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      requestLogPlugin<GatewayContext>(logger, (context) => context.requestId),
      // Strings, numbers and dates checked before planning: nothing broken reaches a subgraph.
      inputIntegrityPlugin<GatewayContext>({ maxStringLength: options.maxStringLength ?? defaultMaxStringLength }),
      operationMetricsPlugin(metrics),
      ...(tracing ? [operationTracingPlugin()] : []),
      // Before the HTTP drain: clients of both transports are told to go elsewhere (1001).
      {
        serverWillStart: async () => ({
          drainServer: async () => {
            connectionGuard.dispose();
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
  // Loads the supergraph: what the subscription side plans with comes from Apollo's load.
  await apollo.start();
  current = adopt(initialSdl);
  const engine = new SubscriptionEngine({
    planner: current.planner,
    subgraphUrls: current.subgraphUrls,
    dataSources: current.dataSources,
    contextFor,
    formatError,
    logger,
    limits: options.subscriptions?.limits,
    // TEMPORARY (wt-sub): upstream sockets carry the gateway's attestation too.
    upstream: { ...options.subscriptions?.upstream, upgradeHeaders: () => gatewaySigner.headers(null) },
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
  const connectionGuard = createConnectionGuard(verifier, revocations);
  const connectionCaps = new ConnectionCaps(options.subscriptions?.connections);
  const transportOptions = {
    apiSchema: () => current.planner.apiSchema,
    engine,
    connectionGuard,
    executeOperation,
    formatError,
    guard,
    connectionCaps,
    trustedDocuments,
  };
  const websockets = serveWebSocket({
    ...transportOptions,
    httpServer,
    path: '/graphql',
    keepAliveMs: options.subscriptions?.keepAliveMs ?? 12_000,
    maxPayloadBytes: maxRequestBytes,
    connectionInitTimeoutMs: options.subscriptions?.connectionInitTimeoutMs ?? 3000,
    // Each operation over the socket draws on the client's budget, like an HTTP request.
    admit: rateLimiter ? (session) => rateLimiter.admit({ viewer: session.identity.viewer, clientIp: session.clientIp }) : undefined,
  });
  const sse = serveSse(transportOptions);
  const subscriptionStats = () => ({ ...engine.stats(), websockets: websockets.connections(), eventStreams: sse.connections() });
  observeGauge(metrics.websocketConnections, () => websockets.connections());
  observeGauge(metrics.sseStreams, () => sse.connections());
  observeGauge(metrics.activeSubscriptions, () => engine.stats().subscriptions);
  observeGauge(metrics.upstreamStreams, () => engine.stats().upstreamStreams);
  const readiness = createReadiness(options.readinessChecks ?? [], { logger, metrics });

  const supergraphPath = options.supergraphSdl === undefined ? options.supergraphPath : undefined;
  const watcher =
    supergraphPath && options.watchSupergraph !== false
      ? watchSupergraphFile(supergraphPath, {
          initialSdl,
          logger,
          onContent: (sdl) => {
            try {
              reloadSupergraph(sdl);
            } catch (error) {
              logger.error({ err: error, path: supergraphPath }, 'invalid supergraph file; still serving the previous supergraph');
            }
          },
        })
      : null;

  app.get('/healthz', (_req, res) => {
    res.json({
      status: 'ok',
      supergraph: { hash: current.hash.slice(0, 12), subgraphs: Object.keys(current.subgraphUrls) },
      breakers: resilience.breakers.states(),
      subscriptions: subscriptionStats(),
    });
  });
  app.get('/readyz', async (_req, res) => {
    const [subgraphs, own] = await Promise.all([checkSubgraphs(current.subgraphUrls), readiness.check()]);
    for (const subgraph of subgraphs) metrics.dependencyUp.set({ dependency: `subgraph:${subgraph.name}` }, subgraph.status === 'up' ? 1 : 0);
    const ready = own.ready && subgraphs.every((subgraph) => subgraph.status === 'up');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', subgraphs, dependencies: own.dependencies });
  });
  app.get('/metrics', metricsHandler(metrics));
  app.use('/graphql', (req, res, next) => {
    const requestId = requestIdOf(req);
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    // Verified once per request, for the rate limit and the context (rejects with UNAUTHENTICATED when invalid).
    const viewer: Promise<Viewer | null> = verifier.viewerFromAuthorization(req.header(forwardedHeaders.authorization) ?? null);
    viewer.catch(() => {});
    res.locals.viewer = viewer;
    next();
  });
  if (rateLimiter) {
    app.use(
      '/graphql',
      rateLimiter.http({
        subjectOf: async (req, res) => ({ viewer: await (res.locals.viewer as Promise<Viewer | null>).catch(() => null), clientIp: req.ip }),
        // SSE stream set-up (reserve, listen, stop) is no operation; SSE operations are POSTs and count.
        skip: (req) => req.method === 'PUT' || req.method === 'DELETE' || (req.method === 'GET' && sse.accepts(req)),
      }),
    );
  }
  app.use('/graphql', (req, res, next) => {
    if (!sse.accepts(req)) return next();
    sse.handle(req, res, () => readLimitedText(req, res, maxRequestBytes)).catch(next);
  });
  app.use(
    '/graphql',
    express.json({ limit: maxRequestBytes }),
    trustedDocuments.httpMiddleware(),
    operationLimitsMiddleware(guard, formatError),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const authorization = req.header(forwardedHeaders.authorization) ?? null;
        return {
          requestId: res.locals.requestId as string,
          authorization,
          deviceKey: req.header(forwardedHeaders.deviceKey) ?? null,
          clientIp: req.ip ?? null,
          viewer: await (res.locals.viewer as Promise<Viewer | null>),
        };
      },
    }),
  );
  app.use(requestTooLargeHandler(maxRequestBytes));
  app.use(jsonErrorHandler);

  const { url, port } = await listenAt(httpServer, options.port ?? 0, options.host ?? '127.0.0.1', '/graphql');
  return {
    url,
    port,
    subscriptions: subscriptionStats,
    breakerStates: () => resilience.breakers.states(),
    onBreakerStateChange: (listener) => resilience.breakers.onStateChange(listener),
    onRateLimited: (listener) => rateLimiter?.onRateLimited(listener) ?? (() => {}),
    metrics,
    stop: async () => {
      watcher?.close();
      await apollo.stop();
      resilience.breakers.shutdown();
      await rateLimiter?.close();
      await pool.close();
      await readiness.close();
    },
  };
}
