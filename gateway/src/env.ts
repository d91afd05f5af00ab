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
import type { SubscriptionOptions } from './server';

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
  /** Subgraph endpoints; default http://localhost:<port>/graphql as in the supergraph file. */
  ...Object.fromEntries(subgraphNames.map((name) => [`${envPrefix(name)}_SUBGRAPH_URL`, optionalUrl])),
};

export interface GatewayConfig {
  production: boolean;
  logLevel: string;
  host: string;
  port: number;
  /** Overrides the production default of introspection when set. */
  introspection: boolean | undefined;
  redis: RedisConfig;
  auth: AuthConfig<Role>;
  /** Subgraph name -> URL, for the subgraphs whose URL is configured. */
  subgraphUrls: Record<string, string>;
  subscriptions: SubscriptionOptions;
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
    limits: { perConnection: env.SUBSCRIPTIONS_PER_CONNECTION, total: env.SUBSCRIPTIONS_MAX },
    keepAliveMs: env.SUBSCRIPTIONS_KEEPALIVE_MS,
    upstream: {
      retryAttempts: env.SUBSCRIPTIONS_UPSTREAM_RETRY_ATTEMPTS,
      retryMaxMs: env.SUBSCRIPTIONS_UPSTREAM_RETRY_MAX_MS,
    },
  };
  const config: GatewayConfig = {
    production: env.NODE_ENV === 'production',
    logLevel: env.LOG_LEVEL,
    host: env.HOST,
    port: env.PORT,
    introspection: env.INTROSPECTION === undefined ? undefined : env.INTROSPECTION === 'true',
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
    auth: authConfigOf(env),
    subgraphUrls,
    subscriptions,
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
});
