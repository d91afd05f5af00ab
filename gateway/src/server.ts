import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  createErrorFormatter,
  inputIntegrityPlugin,
  defaultMaxStringLength,
  requestLogPlugin,
  listenAt,
  createConnectionGuard,
  createTokenVerifier,
  breakerStateValue,
  createGatewayMetrics,
  createReadiness,
  createGatewaySigner,
  startInternalServer,
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
import { devGatewaySecret, metricsPrefix, type Role } from '@fitgraph/platform';
import type { FormattedExecutionResult } from 'graphql';
import { ConnectionCaps, type ConnectionCapLimits } from './limits/connection-caps';
import { capSocketsPerAddress, defaultHttpHardening, serverTimeouts, type HttpHardening } from './limits/sockets';
import { createAdmission } from './admission';
import { contextOfIdentity, type GatewayContext } from './context';
import { createHttpPipeline } from './http-pipeline';
import { createOperationGuard, defaultMaxRequestBytes, type GatewayLimitOptions } from '@fitgraph/service-kit';
import { composeFetcher } from './fetch/fetcher';
import { subgraphDataSources } from './fetch/data-source';
import { createSubgraphResilience, type ResilienceOptions } from './fetch/resilience';
import type { BreakerState, BreakerStateListener } from './fetch/circuit-breaker';
import type { GatewayRateLimiter, RateLimitedListener } from './rate-limit';
import { inflightDedupe } from './fetch/dedupe';
import { createPooledFetcher } from './fetch/pool';
import { checkSubgraphs } from './readiness';
import { perSubgraph } from './supergraph';
import { SupergraphState } from './supergraph-state';
import { SubscriptionEngine, type SubscriptionLimits, type SubscriptionStats } from './subscriptions/engine';
import { clientAddresses, type ClientSession } from './subscriptions/identity';
import type { ResumeRules } from './subscriptions/planner';
import { serveSse, serveWebSocket, type OperationRequest } from './subscriptions/transports';
import type { UpstreamOptions } from './subscriptions/upstream';
import { createTrustedDocuments, type TrustedDocumentsOptions } from './trusted-documents';

export type { GatewayContext } from './context';
export { openGatewayRateLimiter, type GatewayRateLimiter, type RateLimitSettings } from './rate-limit';

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
  /**
   * Per-client request budgets by tier (`openGatewayRateLimiter`); none when unset. The
   * composition root opens it and closes it after `stop()`.
   */
  rateLimiter?: GatewayRateLimiter;
  /** Port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Default: 127.0.0.1. */
  host?: string;
  /** The internal listener (/metrics, detailed /readyz and /healthz). Default: a free port on `host`. */
  internal?: { port?: number; host?: string };
  /** Slow-client timeouts and the per-address socket cap of the public listener. Default: {@link defaultHttpHardening}. */
  http?: Partial<HttpHardening>;
  /**
   * Signs every subgraph request and upstream WebSocket (service-kit gateway-attestation.ts);
   * the subgraphs answer only signed ones. Default: the DEV-ONLY secret (refused in production by the config).
   */
  gatewaySecret?: string;
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
  /** What /readyz checks besides the subgraphs (e.g. Redis; service-kit dependencies.ts); the caller opens and closes them. */
  readinessChecks?: DependencyCheck[];
  /** The subgraph HTTP path (gateway/src/fetch/). */
  subgraphFetch?: SubgraphFetchOptions;
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
  /** The internal listener's base URL (`/metrics`, `/readyz`, `/healthz`). */
  internalUrl: string;
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


/**
 * The FitGraph gateway: Apollo Gateway over a supergraph file (hot-reloaded) or SDL, with
 * Sandbox, both subscription transports, health and readiness. Assembly only: it builds the
 * parts, wires them, listens and stops them in order; what it is given (revocations, rate
 * limiter) stays open for the caller to close.
 */
export async function createGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { logger, revocations } = options;
  const production = options.production ?? false;
  const tracing = options.tracing ?? true;
  const verifier = createTokenVerifier(options.auth, revocations);
  if (options.supergraphSdl === undefined && !options.supergraphPath) throw new Error('createGateway needs supergraphSdl or supergraphPath');
  const initialSdl = options.supergraphSdl ?? readFileSync(options.supergraphPath!, 'utf8');
  const urlFor = (name: string, fileUrl?: string) => perSubgraph(options.subgraphUrls, name) ?? fileUrl;
  const metrics = options.metrics ?? createGatewayMetrics(metricsPrefix);
  const resilience = createSubgraphResilience(options.resilience, logger);
  const rateLimiter = options.rateLimiter ?? null;
  // Breaker transitions and rate-limit refusals are /metrics series.
  resilience.breakers.onStateChange((subgraph, state) => metrics.breakerState.set({ subgraph }, breakerStateValue[state]));
  const countRateLimited = rateLimiter?.onRateLimited((tier) => metrics.rateLimitRejections.inc({ tier }));

  // Subgraph HTTP (fetch/fetcher.ts): identical in-flight queries merged first, then the
  // subgraph's timeout/retries/breaker, over a keep-alive pool (Node http agent, fetch/pool.ts).
  const signer = createGatewaySigner(options.gatewaySecret ?? devGatewaySecret);
  const pool = createPooledFetcher({ connectionsPerOrigin: options.subgraphFetch?.connectionsPerSubgraph });
  const dedupe = options.subgraphFetch?.dedupe === false ? [] : [inflightDedupe()];
  const buildService = subgraphDataSources<GatewayContext>({
    urlFor,
    fetcherFor: (name) => composeFetcher(pool.fetch, ...dedupe, ...resilience.middlewares(name)),
    signer,
    metrics,
  });
  const supergraph = new SupergraphState({ initialSdl, buildService, urlFor, resume: options.subscriptions?.resume, logger });

  // One client address for every transport and per-IP count (x-forwarded-for believed only from configured proxies).
  const addresses = clientAddresses(options.trustedProxies ?? []);
  const hardening: HttpHardening = { ...defaultHttpHardening, ...options.http };
  // Its request listener (the HTTP pipeline) is attached once every part it routes to exists.
  const httpServer = createServer(serverTimeouts(hardening));
  capSocketsPerAddress(httpServer, hardening.maxSocketsPerAddress, (address) => addresses.trust(address, 0));

  const formatError = createErrorFormatter(logger, { production });
  const trustedDocuments = createTrustedDocuments(production, options.trustedDocuments);
  // One set of operation limits for HTTP, graphql-ws and SSE, checked before Apollo parses or plans.
  const guard = createOperationGuard(() => supergraph.current.planner.apiSchema, options.limits);
  // Every operation of every transport passes the same admission (trusted documents, limits, validation, operation, rate budget).
  const admission = createAdmission({
    trustedDocuments,
    guard,
    apiSchema: () => supergraph.current.planner.apiSchema,
    rateLimiter,
    // Refused operations never reach Apollo (and its metrics plugin): counted here alike, as `unknown`.
    onRefused: ({ errors }, seconds) => {
      const labels = { operation: 'unknown', type: 'unknown', outcome: 'error' };
      metrics.operations.inc(labels);
      metrics.operationDuration.observe(labels, seconds);
      for (const error of errors) metrics.graphqlErrors.inc({ operation: 'unknown', code: String(error.extensions.code ?? 'BAD_REQUEST') });
    },
  });
  const maxRequestBytes = options.limits?.maxRequestBytes ?? defaultMaxRequestBytes;
  const apollo = new ApolloServer<GatewayContext>({
    gateway: supergraph.gateway,
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
  const loaded = supergraph.adoptLoaded();

  // Subscriptions: planned here, primary upstream over graphql-ws, `rest` per event through the
  // same data sources as queries (see gateway/README.md).
  const engine = new SubscriptionEngine({
    planner: loaded.planner,
    subgraphUrls: loaded.subgraphUrls,
    dataSources: loaded.dataSources,
    contextFor: contextOfIdentity,
    formatError,
    logger,
    limits: options.subscriptions?.limits,
    // Each upstream WebSocket upgrade carries the gateway's attestation (anonymous address: the
    // socket is shared by every client of one identity).
    upstream: { ...options.subscriptions?.upstream, headers: () => signer.headers(null) },
  });
  // Queries and mutations over graphql-ws / SSE take the same path as HTTP ones.
  const executeOperation = async (session: ClientSession, request: OperationRequest): Promise<FormattedExecutionResult> => {
    const response = await apollo.executeOperation(
      { query: request.query, operationName: request.operationName ?? undefined, variables: request.variables ?? undefined },
      { contextValue: { ...contextOfIdentity(session.identity, randomUUID()), clientIp: session.clientIp } },
    );
    if (response.body.kind === 'single') return response.body.singleResult;
    return { errors: [{ message: 'Incremental delivery is not supported over this transport', extensions: { code: 'BAD_REQUEST' } }] };
  };
  const connectionGuard = createConnectionGuard(verifier, revocations);
  const transportOptions = {
    apiSchema: () => supergraph.current.planner.apiSchema,
    engine,
    connectionGuard,
    executeOperation,
    formatError,
    admission,
    clientAddresses: addresses,
    connectionCaps: new ConnectionCaps(options.subscriptions?.connections),
  };
  const websockets = serveWebSocket({
    ...transportOptions,
    httpServer,
    path: '/graphql',
    keepAliveMs: options.subscriptions?.keepAliveMs ?? 12_000,
    maxPayloadBytes: maxRequestBytes,
    connectionInitTimeoutMs: options.subscriptions?.connectionInitTimeoutMs ?? 3000,
  });
  const sse = serveSse(transportOptions);
  const subscriptionStats = () => ({ ...engine.stats(), websockets: websockets.connections(), eventStreams: sse.connections() });
  observeGauge(metrics.websocketConnections, () => websockets.connections());
  observeGauge(metrics.sseStreams, () => sse.connections());
  observeGauge(metrics.activeSubscriptions, () => engine.stats().subscriptions);
  observeGauge(metrics.upstreamStreams, () => engine.stats().upstreamStreams);

  // Subscriptions are re-planned on the new supergraph.
  supergraph.onReload((snapshot) => engine.reload(snapshot));
  const supergraphPath = options.supergraphSdl === undefined ? options.supergraphPath : undefined;
  const watcher = supergraphPath && options.watchSupergraph !== false ? supergraph.watch(supergraphPath) : null;

  const readiness = createReadiness(options.readinessChecks ?? [], { logger, metrics });
  const detailedReadiness = async () => {
    const [subgraphs, own] = await Promise.all([checkSubgraphs(supergraph.current.subgraphUrls), readiness.check()]);
    for (const subgraph of subgraphs) metrics.dependencyUp.set({ dependency: `subgraph:${subgraph.name}` }, subgraph.status === 'up' ? 1 : 0);
    const ready = own.ready && subgraphs.every((subgraph) => subgraph.status === 'up');
    return { ready, body: { subgraphs, dependencies: own.dependencies } };
  };
  const health = () => ({
    supergraph: { hash: supergraph.current.hash.slice(0, 12), subgraphs: Object.keys(supergraph.current.subgraphUrls) },
    breakers: resilience.breakers.states(),
    subscriptions: subscriptionStats(),
  });
  httpServer.on(
    'request',
    createHttpPipeline({
      apollo,
      admission,
      sse,
      verifier,
      addresses,
      formatError,
      ready: async () => (await detailedReadiness()).ready,
      maxRequestBytes,
      tracing,
    }),
  );

  const host = options.host ?? '127.0.0.1';
  const internal = await startInternalServer({
    port: options.internal?.port ?? 0,
    host: options.internal?.host ?? host,
    metrics,
    readiness: detailedReadiness,
    health,
  });
  const { url, port } = await listenAt(httpServer, options.port ?? 0, host, '/graphql').catch(async (error: unknown) => {
    await internal.stop();
    throw error;
  });
  return {
    url,
    port,
    internalUrl: internal.url,
    subscriptions: subscriptionStats,
    breakerStates: () => resilience.breakers.states(),
    onBreakerStateChange: (listener) => resilience.breakers.onStateChange(listener),
    onRateLimited: (listener) => rateLimiter?.onRateLimited(listener) ?? (() => {}),
    metrics,
    stop: async () => {
      watcher?.close();
      await apollo.stop();
      resilience.breakers.shutdown();
      countRateLimited?.();
      await pool.close();
      await internal.stop();
    },
  };
}
