/**
 * The gateway's whole configuration, parsed once by its composition root (index.ts, or the
 * all-in-one stack) with every problem reported together; nothing below reads the environment.
 */
import {
  authConfigOf,
  authEnv,
  commonEnv,
  envPrefix,
  subgraphNames,
  withAuthRules,
  type RedisConfig,
  type Role,
} from '@fitgraph/platform';
import { loadEnv, optionalUrl, port, positiveInt, type AuthConfig } from '@fitgraph/service-kit';
import { z } from 'zod';
import type { GatewayLimitOptions } from './limits/operation-limits';
import type { SubscriptionOptions } from './server';
import type { TrustedDocumentsOptions } from './trusted-documents';

const booleanFlag = z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).optional());

export const gatewayEnvShape = {
  ...commonEnv,
  ...authEnv,
  /** Gateway port. Default: 4000. */
  PORT: port(4000),
  /** Force introspection on (`true`) or off (`false`); default: on outside production. */
  INTROSPECTION: booleanFlag,
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
  /** Deepest field nesting of an operation (`{ gyms { id } }` is 2). Default: 15. */
  OPERATION_MAX_DEPTH: positiveInt(15),
  /** Aliased fields in an operation. Default: 30. */
  OPERATION_MAX_ALIASES: positiveInt(30),
  /** Root fields in an operation. Default: 20. */
  OPERATION_MAX_ROOT_FIELDS: positiveInt(20),
  /** Lexical tokens in a document (enforced while parsing). Default: 2000. */
  OPERATION_MAX_TOKENS: positiveInt(2000),
  /** Bytes of query text. Default: 65536. */
  OPERATION_MAX_DOCUMENT_BYTES: positiveInt(65_536),
  /** Estimated cost of an operation (fields × list sizes). Default: 20000. */
  OPERATION_MAX_COST: positiveInt(20_000),
  /** Assumed length of a list without `first`/`last`, for the cost estimate. Default: 10. */
  OPERATION_DEFAULT_LIST_SIZE: positiveInt(10),
  /** Largest HTTP request body, SSE request body and WebSocket message (bytes). Default: 1048576. */
  REQUEST_MAX_BYTES: positiveInt(1_048_576),
  /** Subgraph endpoints; default http://localhost:<port>/graphql as in the supergraph file. */
  ...Object.fromEntries(subgraphNames.map((name) => [`${envPrefix(name)}_SUBGRAPH_URL`, optionalUrl])),
};

export interface GatewayConfig {
  production: boolean;
  logLevel: string;
  /** LOG_FILE: JSON logs appended there instead of stdout. */
  logFile: string | undefined;
  host: string;
  port: number;
  /** Overrides the production default of introspection when set. */
  introspection: boolean | undefined;
  redis: RedisConfig;
  auth: AuthConfig<Role>;
  /** Subgraph name -> URL, for the subgraphs whose URL is configured. */
  subgraphUrls: Record<string, string>;
  subscriptions: SubscriptionOptions;
  trustedDocuments: TrustedDocumentsOptions;
  limits: GatewayLimitOptions;
  /** Proxies whose `x-forwarded-for` names the client (TRUSTED_PROXIES). */
  trustedProxies: string[];
  /** Longest string an argument or variable may be (MAX_STRING_LENGTH). */
  maxStringLength: number;
}

/** Parses the gateway's configuration from `source`; one ConfigError lists every problem. */
export const loadGatewayEnv = (source: NodeJS.ProcessEnv) => {
  const env = loadEnv(withAuthRules(gatewayEnvShape), source);
  const subgraphUrls = Object.fromEntries(
    subgraphNames.flatMap((name) => {
      const url = (env as Record<string, unknown>)[`${envPrefix(name)}_SUBGRAPH_URL`];
      return typeof url === 'string' ? [[name, url]] : [];
    }),
  );
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
  const trustedDocuments: TrustedDocumentsOptions = { allowArbitraryOperations: env.ALLOW_ARBITRARY_OPERATIONS === 'true' };
  const limits: GatewayLimitOptions = {
    maxDepth: env.OPERATION_MAX_DEPTH,
    maxAliases: env.OPERATION_MAX_ALIASES,
    maxRootFields: env.OPERATION_MAX_ROOT_FIELDS,
    maxTokens: env.OPERATION_MAX_TOKENS,
    maxDocumentBytes: env.OPERATION_MAX_DOCUMENT_BYTES,
    maxCost: env.OPERATION_MAX_COST,
    defaultListSize: env.OPERATION_DEFAULT_LIST_SIZE,
    maxRequestBytes: env.REQUEST_MAX_BYTES,
  };
  const config: GatewayConfig = {
    production: env.NODE_ENV === 'production',
    logLevel: env.LOG_LEVEL,
    logFile: env.LOG_FILE,
    host: env.HOST,
    port: env.PORT,
    introspection: env.INTROSPECTION === undefined ? undefined : env.INTROSPECTION === 'true',
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
    auth: authConfigOf(env),
    subgraphUrls,
    subscriptions,
    trustedDocuments,
    limits,
    trustedProxies: env.TRUSTED_PROXIES,
    maxStringLength: env.MAX_STRING_LENGTH,
  };
  return config;
};

/** The parts of {@link GatewayConfig} that `createGateway` takes as they are. */
export const gatewayOptionsOf = (config: GatewayConfig) => ({
  subgraphUrls: config.subgraphUrls,
  port: config.port,
  host: config.host,
  production: config.production,
  introspection: config.introspection,
  auth: config.auth,
  subscriptions: config.subscriptions,
  trustedDocuments: config.trustedDocuments,
  limits: config.limits,
  trustedProxies: config.trustedProxies,
  maxStringLength: config.maxStringLength,
});
