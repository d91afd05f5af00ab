/** A subgraph's whole configuration, parsed once by its composition root (every problem at once). */
import { loadEnv, type AuthConfig, type DatabaseTarget, type InputLimits, type OperationLimits } from '@fitgraph/service-kit';
import { z } from 'zod';
import type { Role } from '../auth';
import {
  authConfigOf,
  authEnv,
  commonEnv,
  databaseEnv,
  databaseTargetOf,
  demoEnv,
  eventsEnv,
  internalListenerEnv,
  operationLimitsEnv,
  operationLimitsOf,
  operationsConfigOf,
  subgraphDatabaseEnv,
  subgraphEdgeEnv,
  subgraphInternalPortEnv,
  subgraphPortEnv,
  withAuthRules,
  type OperationsConfig,
  type RedisConfig,
} from '../config';
import { seedsDemoData } from '../demo';
import { envPrefix, type SubgraphName } from '../subgraphs';
import type { AnySubgraphDefinition, SeedOptions } from './definition';
import type { SubscriptionCaps } from './sockets';

export interface SubgraphConfig<TSettings = Record<string, unknown>> {
  name: SubgraphName;
  production: boolean;
  logLevel: string;
  /** LOG_FILE: JSON logs appended there instead of stdout. */
  logFile: string | undefined;
  /** Input limits at the subgraph's own edge (MAX_STRING_LENGTH). */
  edge: InputLimits;
  /** The operation limits, the gateway's own (OPERATION_*). */
  limits: OperationLimits;
  /** Subscription caps of its graphql-ws endpoint (SUBGRAPH_SUBSCRIPTIONS_*). */
  subscriptionCaps: SubscriptionCaps;
  /** GATEWAY_SECRET: only requests the gateway signed with it are served. */
  gatewaySecret: string;
  host: string;
  /** `<NAME>_SUBGRAPH_PORT`; 0 picks a free one. */
  port: number;
  /** `<NAME>_INTERNAL_PORT` (`/metrics`, detailed `/readyz`); 0 picks a free one. */
  internalPort: number;
  /** INTERNAL_HOST, else HOST. */
  internalHost: string;
  redis: RedisConfig;
  database: DatabaseTarget;
  auth: AuthConfig<Role>;
  /** This process's name in its event consumer groups. */
  eventConsumerName: string;
  /** Whether demo activity is seeded (demo.ts). */
  demoData: boolean;
  /** DEMO_PASSWORD, when set. */
  demoPassword: string | undefined;
  /** The subgraph's own settings (its definition's `settings` shape). */
  settings: TSettings;
  operations: OperationsConfig;
}

/** What every subgraph reads. */
const sharedShape = { ...commonEnv, ...databaseEnv, ...authEnv, ...eventsEnv, ...demoEnv, ...operationLimitsEnv, ...subgraphEdgeEnv, ...internalListenerEnv };

/** Every variable a subgraph reads: the common ones, its port and database, and its own settings. */
export const subgraphEnvShape = (definition: Pick<AnySubgraphDefinition, 'name' | 'settings'>) => ({
  ...sharedShape,
  ...subgraphPortEnv(definition.name),
  ...subgraphInternalPortEnv(definition.name),
  ...subgraphDatabaseEnv(definition.name),
  ...(definition.settings ?? {}),
});

/**
 * The variables a subgraph service reads besides its own settings (deploy/k8s and
 * docker-compose are checked against it, with the definition's `settings`).
 */
export const subgraphServiceEnv = (name: SubgraphName) => subgraphEnvShape({ name });

/** Parses a subgraph's configuration from `source`; one ConfigError lists every problem. */
export function loadSubgraphConfig<TSettings = Record<string, unknown>>(
  definition: Pick<AnySubgraphDefinition, 'name' | 'settings'>,
  source: NodeJS.ProcessEnv,
): SubgraphConfig<TSettings> {
  const shape = subgraphEnvShape(definition);
  const env = loadEnv(withAuthRules(shape), source) as z.infer<z.ZodObject<typeof sharedShape>> & Record<string, unknown>;
  const prefix = envPrefix(definition.name);
  const settings = Object.fromEntries(Object.keys(definition.settings ?? {}).map((key) => [key, env[key]])) as TSettings;
  return {
    name: definition.name,
    production: env.NODE_ENV === 'production',
    logLevel: env.LOG_LEVEL,
    logFile: env.LOG_FILE,
    edge: { maxStringLength: env.MAX_STRING_LENGTH },
    limits: operationLimitsOf(env),
    subscriptionCaps: { perSocket: env.SUBGRAPH_SUBSCRIPTIONS_PER_SOCKET, total: env.SUBGRAPH_SUBSCRIPTIONS_MAX },
    gatewaySecret: env.GATEWAY_SECRET,
    host: env.HOST,
    port: env[`${prefix}_SUBGRAPH_PORT`] as number,
    internalPort: env[`${prefix}_INTERNAL_PORT`] as number,
    internalHost: env.INTERNAL_HOST ?? env.HOST,
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, rateLimitReplicas: env.RATE_LIMIT_REPLICAS },
    database: databaseTargetOf(definition.name, env),
    auth: authConfigOf(env),
    eventConsumerName: env.EVENT_CONSUMER_NAME,
    demoData: seedsDemoData(env),
    demoPassword: env.DEMO_PASSWORD,
    operations: operationsConfigOf(env),
    settings,
  };
}

/** What a definition's `seed` gets from the configuration. */
export const seedOptionsOf = <TSettings>(config: SubgraphConfig<TSettings>): SeedOptions<TSettings> => ({
  demoData: config.demoData,
  demoPassword: config.demoPassword,
  settings: config.settings,
});
