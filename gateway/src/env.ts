/**
 * The gateway's whole configuration, parsed once by its composition root (index.ts, or the
 * all-in-one stack) with every problem reported together; nothing below reads the environment.
 */
import { isAbsolute, resolve } from 'node:path';
import {
  authConfigOf,
  authEnv,
  commonEnv,
  envPrefix,
  operationLimitsEnv,
  operationLimitsOf,
  operationsConfigOf,
  repoRoot,
  subgraphNames,
  withAuthRules,
  type OperationsConfig,
  type RedisConfig,
  type Role,
} from '@fitgraph/platform';
import { ConfigError, loadEnv, optionalUrl, port, positiveInt, type AuthConfig } from '@fitgraph/service-kit';
import { z } from 'zod';
import type { GatewayLimitOptions } from '@fitgraph/service-kit';
import type { TrustedDocumentsOptions } from './trusted-documents';
import { supergraphPath as checkedInSupergraphPath } from './supergraph';
import type { RateLimitSettings } from './rate-limit';
import type { ResilienceOptions } from './fetch/resilience';
import type { HttpHardening } from './limits/sockets';
import type { SubgraphFetchOptions, SubscriptionOptions } from './server';

const booleanFlag = z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).optional());
const nonNegativeInt = (fallback: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).default(fallback));
const percentage = (fallback: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().min(1).max(100).default(fallback));

export const gatewayEnvShape = {
  ...commonEnv,
  ...authEnv,
  /** Gateway port. Default: 4000. */
  PORT: port(4000),
  /** Port of the internal listener: /metrics and detailed /readyz, for probes and scrapes, never the ingress. Default: 9400. */
  INTERNAL_PORT: port(9400),
  /** Interface of the internal listener. Default: HOST. */
  INTERNAL_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  /** A client must send its request headers within this many ms, else its socket is closed (slow-header clients). Default: 10000. */
  HTTP_HEADERS_TIMEOUT_MS: positiveInt(10_000),
  /** A client must send its whole request within this many ms (408), bodies included. Default: 30000. */
  HTTP_REQUEST_TIMEOUT_MS: positiveInt(30_000),
  /** Open sockets one peer address may hold (trusted proxies exempt: they carry many clients); keep it above SUBSCRIPTIONS_CONNECTIONS_PER_IP. Default: 256. */
  HTTP_MAX_SOCKETS_PER_ADDRESS: positiveInt(256),
  /** Force introspection on (`true`) or off (`false`); default: on outside production. */
  INTROSPECTION: booleanFlag,
  /** The supergraph SDL file served (relative paths: from the repository root). Default: schema/supergraph.graphql. */
  SUPERGRAPH_PATH: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  /** Reload SUPERGRAPH_PATH when it changes (`false`: read once at start). Default: true. */
  SUPERGRAPH_WATCH: booleanFlag,
  /** Subscriptions one client connection (WebSocket or SSE stream) may hold open. Default: 100. */
  SUBSCRIPTIONS_PER_CONNECTION: positiveInt(100),
  /** Subscriptions this gateway process holds open in total. Default: 10000. */
  SUBSCRIPTIONS_MAX: positiveInt(10_000),
  /** Client WebSocket ping interval (ms); a client missing a pong for as long is dropped. Default: 12000. */
  SUBSCRIPTIONS_KEEPALIVE_MS: positiveInt(12_000),
  /** Reconnect attempts to a subgraph before its subscriptions fail. Default: 30 (about 2.5 min). */
  SUBSCRIPTIONS_UPSTREAM_RETRY_ATTEMPTS: positiveInt(30),
  /** Longest wait between two reconnect attempts (ms). Default: 5000. */
  SUBSCRIPTIONS_UPSTREAM_RETRY_MAX_MS: positiveInt(5000),
  /** `true` runs operations that are not in the clients' trusted-documents manifest in production too. Default: false. */
  ALLOW_ARBITRARY_OPERATIONS: booleanFlag,
  /** Subscriptions from one client IP address, over all its connections. Default: 1000. */
  SUBSCRIPTIONS_PER_IP: positiveInt(1000),
  /** Subscriptions one signed-in user holds, over all their connections. Default: 200. */
  SUBSCRIPTIONS_PER_USER: positiveInt(200),
  /** Open WebSockets + SSE streams from one client IP address. Default: 200. */
  SUBSCRIPTIONS_CONNECTIONS_PER_IP: positiveInt(200),
  /** Open WebSockets + SSE streams of one signed-in user. Default: 20. */
  SUBSCRIPTIONS_CONNECTIONS_PER_USER: positiveInt(20),
  /** A WebSocket that sends no `connection_init` within this many ms is closed (4408). Default: 3000. */
  SUBSCRIPTIONS_CONNECTION_INIT_TIMEOUT_MS: positiveInt(3000),
  ...operationLimitsEnv,
  /** Largest HTTP request body, SSE request body and WebSocket message (bytes). Default: 1048576. */
  REQUEST_MAX_BYTES: positiveInt(1_048_576),
  /** Longest a subgraph call may take, retries included (ms); `<NAME>_SUBGRAPH_TIMEOUT_MS` per subgraph. Default: 10000. */
  SUBGRAPH_TIMEOUT_MS: positiveInt(10_000),
  /** Retries of a failed subgraph query (connection error, 502/503/504) within its timeout; mutations never. Default: 2. */
  SUBGRAPH_RETRIES: nonNegativeInt(2),
  /** Failure percentage over the rolling window that opens a subgraph's circuit breaker. Default: 50. */
  SUBGRAPH_BREAKER_ERROR_PERCENT: percentage(50),
  /** Calls to a subgraph within the window before its breaker may open. Default: 5. */
  SUBGRAPH_BREAKER_MIN_CALLS: positiveInt(5),
  /** Failures in a row that open a subgraph's breaker whatever the percentage. Default: 5. */
  SUBGRAPH_BREAKER_CONSECUTIVE_FAILURES: positiveInt(5),
  /** How long an open breaker fails fast before one trial call (ms). Default: 5000. */
  SUBGRAPH_BREAKER_RESET_MS: positiveInt(5000),
  /** Rolling window of the breaker's failure percentage (ms). Default: 10000. */
  SUBGRAPH_BREAKER_WINDOW_MS: positiveInt(10_000),
  /** Per-client request budgets at the gateway (`false`: none). Default: true. */
  RATE_LIMIT_ENABLED: booleanFlag,
  /** Rate-limit window (seconds). Default: 60. */
  RATE_LIMIT_WINDOW_SECONDS: positiveInt(60),
  /** Requests per window of an anonymous client (per IP). Default: 100. */
  RATE_LIMIT_ANONYMOUS: positiveInt(100),
  /** Requests per window of a MEMBER (per user). Default: 1000. */
  RATE_LIMIT_MEMBER: positiveInt(1000),
  /** Requests per window of a TRAINER, GYM_STAFF or ADMIN (per user). Default: 5000. */
  RATE_LIMIT_STAFF: positiveInt(5000),
  /** Merge identical in-flight subgraph queries of the same identity (`false` turns it off). Default: true. */
  SUBGRAPH_QUERY_DEDUPE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).default('true')),
  /** Keep-alive connections the gateway opens per subgraph. Default: 64. */
  SUBGRAPH_CONNECTIONS: positiveInt(64),
  /**
   * Subgraph endpoints, overriding the supergraph file's URL. Any subgraph the file names has
   * one (`<NAME>_SUBGRAPH_URL`, name upper-cased, non-alphanumerics as `_`); FitGraph's defaults:
   */
  ...Object.fromEntries(subgraphNames.map((name) => [`${envPrefix(name)}_SUBGRAPH_URL`, optionalUrl])),
};

/**
 * `<NAME>_<suffix>` variables for any subgraph name, keyed by the lower-cased env name (see
 * `perSubgraph` in supergraph.ts), each checked with `schema`; problems are collected.
 */
function perSubgraphEnv<T>(source: NodeJS.ProcessEnv, suffix: string, schema: z.ZodType<T>, problems: string[]): Record<string, T> {
  const values: Record<string, T> = {};
  for (const [key, raw] of Object.entries(source)) {
    const match = key.match(new RegExp(`^([A-Z0-9_]+)_${suffix}$`));
    if (!match || raw === undefined || raw === '') continue;
    const parsed = schema.safeParse(raw);
    if (parsed.success) values[match[1]!.toLowerCase()] = parsed.data;
    else problems.push(`${key}: ${parsed.error.issues.map((issue) => issue.message).join(', ')}`);
  }
  return values;
}

export interface GatewayConfig {
  production: boolean;
  logLevel: string;
  /** LOG_FILE: JSON logs appended there instead of stdout. */
  logFile: string | undefined;
  host: string;
  port: number;
  /** The internal listener (INTERNAL_PORT, INTERNAL_HOST). */
  internal: { port: number; host: string };
  /** Slow-client timeouts and the per-address socket cap of the public listener. */
  http: HttpHardening;
  /** GATEWAY_SECRET: signs every subgraph request (service-kit gateway-attestation.ts). */
  gatewaySecret: string;
  /** Overrides the production default of introspection when set. */
  introspection: boolean | undefined;
  redis: RedisConfig;
  auth: AuthConfig<Role>;
  /** The supergraph SDL file served (SUPERGRAPH_PATH), and whether it is reloaded when it changes. */
  supergraphPath: string;
  watchSupergraph: boolean;
  /** Subgraph name -> URL, for the subgraphs whose URL is configured. */
  subgraphUrls: Record<string, string>;
  subscriptions: SubscriptionOptions;
  trustedDocuments: TrustedDocumentsOptions;
  limits: GatewayLimitOptions;
  resilience: ResilienceOptions;
  /** Per-client request budgets; undefined when RATE_LIMIT_ENABLED=false. */
  rateLimits: RateLimitSettings | undefined;
  /** Proxies whose `x-forwarded-for` names the client (TRUSTED_PROXIES). */
  trustedProxies: string[];
  /** Longest string an argument or variable may be (MAX_STRING_LENGTH). */
  maxStringLength: number;
  operations: OperationsConfig;
  /** Keep-alive pool size and in-flight query merging toward the subgraphs. */
  subgraphFetch: SubgraphFetchOptions;
}

/** Parses the gateway's configuration from `source`; one ConfigError lists every problem. */
export const loadGatewayEnv = (source: NodeJS.ProcessEnv): GatewayConfig => {
  const problems: string[] = [];
  let env: z.infer<z.ZodObject<typeof gatewayEnvShape>> | undefined;
  try {
    env = loadEnv(withAuthRules(gatewayEnvShape), source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const subgraphUrls = perSubgraphEnv(source, 'SUBGRAPH_URL', z.string().url(), problems);
  const timeouts = perSubgraphEnv(source, 'SUBGRAPH_TIMEOUT_MS', z.coerce.number().int().positive(), problems);
  if (problems.length > 0 || !env) throw new ConfigError(problems);

  const subscriptions: SubscriptionOptions = {
    limits: {
      perConnection: env.SUBSCRIPTIONS_PER_CONNECTION,
      total: env.SUBSCRIPTIONS_MAX,
      perIp: env.SUBSCRIPTIONS_PER_IP,
      perUser: env.SUBSCRIPTIONS_PER_USER,
    },
    connections: { perIp: env.SUBSCRIPTIONS_CONNECTIONS_PER_IP, perUser: env.SUBSCRIPTIONS_CONNECTIONS_PER_USER },
    connectionInitTimeoutMs: env.SUBSCRIPTIONS_CONNECTION_INIT_TIMEOUT_MS,
    keepAliveMs: env.SUBSCRIPTIONS_KEEPALIVE_MS,
    upstream: {
      retryAttempts: env.SUBSCRIPTIONS_UPSTREAM_RETRY_ATTEMPTS,
      retryMaxMs: env.SUBSCRIPTIONS_UPSTREAM_RETRY_MAX_MS,
    },
  };
  const subgraphFetch: SubgraphFetchOptions = {
    dedupe: env.SUBGRAPH_QUERY_DEDUPE === 'true',
    connectionsPerSubgraph: env.SUBGRAPH_CONNECTIONS,
  };
  const trustedDocuments: TrustedDocumentsOptions = { allowArbitraryOperations: env.ALLOW_ARBITRARY_OPERATIONS === 'true' };
  const limits: GatewayLimitOptions = { ...operationLimitsOf(env), maxRequestBytes: env.REQUEST_MAX_BYTES };
  const resilience: ResilienceOptions = {
    timeoutMs: env.SUBGRAPH_TIMEOUT_MS,
    timeouts,
    retries: env.SUBGRAPH_RETRIES,
    breaker: {
      errorThresholdPercentage: env.SUBGRAPH_BREAKER_ERROR_PERCENT,
      volumeThreshold: env.SUBGRAPH_BREAKER_MIN_CALLS,
      consecutiveFailures: env.SUBGRAPH_BREAKER_CONSECUTIVE_FAILURES,
      resetTimeoutMs: env.SUBGRAPH_BREAKER_RESET_MS,
      rollingWindowMs: env.SUBGRAPH_BREAKER_WINDOW_MS,
    },
  };
  const rateLimits: RateLimitSettings | undefined =
    env.RATE_LIMIT_ENABLED === 'false'
      ? undefined
      : {
          anonymous: env.RATE_LIMIT_ANONYMOUS,
          member: env.RATE_LIMIT_MEMBER,
          staff: env.RATE_LIMIT_STAFF,
          windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
          redisUrl: env.REDIS_URL,
          keyPrefix: env.REDIS_KEY_PREFIX,
          replicas: env.RATE_LIMIT_REPLICAS,
          // Client addresses in the counter keys are HMACs under a secret, not plain hashes anyone could reverse by trying every IPv4 address.
          keySecret: env.GATEWAY_SECRET,
        };
  const supergraphPath = env.SUPERGRAPH_PATH
    ? isAbsolute(env.SUPERGRAPH_PATH)
      ? env.SUPERGRAPH_PATH
      : resolve(repoRoot, env.SUPERGRAPH_PATH)
    : checkedInSupergraphPath;
  return {
    production: env.NODE_ENV === 'production',
    logLevel: env.LOG_LEVEL,
    logFile: env.LOG_FILE,
    host: env.HOST,
    port: env.PORT,
    internal: { port: env.INTERNAL_PORT, host: env.INTERNAL_HOST ?? env.HOST },
    http: {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      maxSocketsPerAddress: env.HTTP_MAX_SOCKETS_PER_ADDRESS,
    },
    gatewaySecret: env.GATEWAY_SECRET,
    introspection: env.INTROSPECTION === undefined ? undefined : env.INTROSPECTION === 'true',
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, rateLimitReplicas: env.RATE_LIMIT_REPLICAS },
    auth: authConfigOf(env),
    supergraphPath,
    watchSupergraph: env.SUPERGRAPH_WATCH !== 'false',
    subgraphUrls,
    subscriptions,
    trustedDocuments,
    limits,
    resilience,
    rateLimits,
    trustedProxies: env.TRUSTED_PROXIES,
    maxStringLength: env.MAX_STRING_LENGTH,
    operations: operationsConfigOf(env),
    subgraphFetch,
  };
};

/**
 * The parts of {@link GatewayConfig} that `createGateway` takes as they are (the supergraph source
 * is the caller's choice; the rate limiter is opened by the root from `rateLimits`).
 */
export const gatewayOptionsOf = (config: GatewayConfig) => ({
  subgraphUrls: config.subgraphUrls,
  port: config.port,
  host: config.host,
  internal: config.internal,
  http: config.http,
  gatewaySecret: config.gatewaySecret,
  production: config.production,
  introspection: config.introspection,
  auth: config.auth,
  subscriptions: config.subscriptions,
  trustedDocuments: config.trustedDocuments,
  limits: config.limits,
  resilience: config.resilience,
  trustedProxies: config.trustedProxies,
  maxStringLength: config.maxStringLength,
  subgraphFetch: config.subgraphFetch,
});
