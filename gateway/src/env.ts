import { commonEnv, envPrefix, loadEnv, optionalUrl, port, subgraphNames } from '@fitgraph/service-kit';
import { z } from 'zod';
import type { SubgraphFetchOptions, SubscriptionOptions } from './server';

const booleanFlag = z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).optional());
const positiveInt = (fallback: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().default(fallback));

export const gatewayEnvShape = {
  ...commonEnv,
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
  /** Merge identical in-flight subgraph queries of the same identity (`false` turns it off). Default: true. */
  SUBGRAPH_QUERY_DEDUPE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).default('true')),
  /** Keep-alive connections the gateway opens per subgraph. Default: 64. */
  SUBGRAPH_CONNECTIONS: positiveInt(64),
  /** Subgraph endpoints; default http://localhost:<port>/graphql as in the supergraph file. */
  ...Object.fromEntries(subgraphNames.map((name) => [`${envPrefix(name)}_SUBGRAPH_URL`, optionalUrl])),
};

export const loadGatewayEnv = (source: NodeJS.ProcessEnv = process.env) => {
  const env = loadEnv(gatewayEnvShape, source);
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
  const subgraphFetch: SubgraphFetchOptions = {
    dedupe: env.SUBGRAPH_QUERY_DEDUPE === 'true',
    connectionsPerSubgraph: env.SUBGRAPH_CONNECTIONS,
  };
  return { ...env, subgraphUrls, subscriptions, subgraphFetch };
};
