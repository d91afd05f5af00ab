import { loadAuthConfig } from './auth';
import { openDatabase, resolveDatabaseTarget } from './db';
import { DependencyUnavailableError, redisCheck, waitForDependencies } from './dependencies';
import { commonEnv, ConfigError, databaseEnv, loadEnv, port, subgraphEdgeEnv } from './env';
import { eventsEnv, openEventBus, type EventBus } from './events';
import { announce, createLogger, type Logger } from './logger';
import { createSubgraphMetrics } from './metrics';
import { openPubSub, type PubSubEngine } from './pubsub';
import { openRevocationList, type RevocationList } from './revocation';
import { startSubgraphServer, type RunningSubgraph, type SubgraphDefinition } from './subgraph-server';
import { defaultSubgraphPorts, envPrefix, type SubgraphName } from './subgraphs';
import { startTracing } from './tracing';

export interface StopOnSignalsOptions {
  logger?: Logger;
  /** Longest drain (ms); past it the process exits anyway, with code 1. Default: SHUTDOWN_TIMEOUT_MS or 25000. */
  timeoutMs?: number;
}

/**
 * Calls `stop` once on SIGINT/SIGTERM (in-flight requests finish, sockets close, connections
 * end), then exits 0; 1 if stopping failed or took longer than `timeoutMs`.
 */
export function stopOnSignals(stop: () => Promise<void>, options: StopOnSignalsOptions = {}): void {
  let stopping = false;
  const timeoutMs = options.timeoutMs ?? (Number(process.env.SHUTDOWN_TIMEOUT_MS) || 25_000);
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.logger?.info({ signal, timeoutMs }, 'stopping: draining requests and connections');
    const started = performance.now();
    const deadline = setTimeout(() => {
      options.logger?.error({ signal, timeoutMs }, `still stopping after ${timeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, timeoutMs);
    stop()
      .then(() => {
        options.logger?.info({ signal, ms: Math.round(performance.now() - started) }, 'stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        (options.logger ?? console).error({ err: error, signal }, 'error while stopping');
        process.exit(1);
      })
      .finally(() => clearTimeout(deadline));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * For entrypoints: logs why the service could not start as ONE line (which dependency and where,
 * or every configuration problem) and exits 1.
 */
export function exitOnStartupFailure(service: string, error: unknown): never {
  const logger = createLogger(service, /^(fatal|error|warn|info|debug|trace|silent)$/.test(process.env.LOG_LEVEL ?? '') ? process.env.LOG_LEVEL : 'info');
  if (error instanceof DependencyUnavailableError) {
    logger.fatal({ dependency: error.dependency, where: error.where, waitedMs: error.waitedMs }, `${error.message}; exiting`);
  } else if (error instanceof ConfigError) {
    logger.fatal({ problems: error.problems }, `${error.message.replaceAll('\n', ' ')}; exiting`);
  } else {
    logger.fatal({ err: error }, 'failed to start; exiting');
  }
  process.exit(1);
}

/**
 * The settings every subgraph service reads (besides `authEnv` and its own, e.g. the user
 * subgraph's `userEnv`); deploy/k8s and docker-compose are checked against it.
 */
export const subgraphServiceEnv = (name: SubgraphName) => ({
  ...commonEnv,
  ...databaseEnv,
  ...eventsEnv,
  ...subgraphEdgeEnv,
  [`${envPrefix(name)}_SUBGRAPH_PORT`]: port(defaultSubgraphPorts[name]),
});

export interface StartSubgraphServiceOptions {
  /** Share one pub/sub between services of one process (the embedded dev stack). */
  pubsub?: PubSubEngine;
  /** Share one event bus between services of one process (the embedded dev stack). */
  events?: EventBus;
  /** Share one list of revoked sessions between services of one process (the embedded dev stack). */
  revocations?: RevocationList;
  source?: NodeJS.ProcessEnv;
  /** Called with the SQL of every statement this subgraph runs (tests count them per subgraph). */
  onQuery?: (sql: string) => void;
}

/**
 * One subgraph as a service, configured from env: database (created, migrated, seeded),
 * pub/sub, server on `<NAME>_SUBGRAPH_PORT`. Prints its start-up line.
 */
export async function startSubgraphService<TSchema extends Record<string, unknown>, TContext, TResources>(
  definition: SubgraphDefinition<TSchema, TContext, TResources>,
  options: StartSubgraphServiceOptions = {},
): Promise<RunningSubgraph> {
  const portVar = `${envPrefix(definition.name)}_SUBGRAPH_PORT`;
  const env = loadEnv(subgraphServiceEnv(definition.name), options.source);
  const auth = loadAuthConfig(options.source);
  const logger = createLogger(`${definition.name}-subgraph`, env.LOG_LEVEL, env.LOG_FILE);
  const target = resolveDatabaseTarget(definition.name, env, options.source);
  // Bounded: unreachable PostgreSQL/Redis is one clear error within the timeout, not endless retries.
  await waitForDependencies({
    postgresUrl: target.kind === 'postgres' ? (target.serverUrl ?? target.url) : undefined,
    redisUrl: env.REDIS_URL,
    timeoutMs: env.DEPENDENCY_STARTUP_TIMEOUT_MS,
  });
  const metrics = createSubgraphMetrics(definition.name);
  const database = await openDatabase({
    subgraph: definition.name,
    schema: definition.dbSchema,
    target,
    onQuery: options.onQuery,
    metrics: metrics.database,
  });
  await definition.seed(database.db, options.source ?? process.env);
  const pubsub = options.pubsub
    ? { pubsub: options.pubsub, kind: 'shared', close: async () => {} }
    : openPubSub(env.REDIS_URL, env.REDIS_KEY_PREFIX);
  const ownEvents = options.events
    ? null
    : openEventBus({ redisUrl: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, consumerName: env.EVENT_CONSUMER_NAME, logger });
  const events = options.events ?? ownEvents!;
  const ownRevocations = options.revocations
    ? null
    : await openRevocationList({ redisUrl: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, accessTokenTtlSeconds: auth.accessTokenTtlSeconds, logger });
  const server = await startSubgraphServer(definition, {
    db: database.db,
    pubsub: pubsub.pubsub,
    events,
    logger,
    port: (env as Record<string, unknown>)[portVar] as number,
    host: env.HOST,
    auth,
    source: options.source,
    revocations: options.revocations ?? ownRevocations!,
    production: env.NODE_ENV === 'production',
    edge: { maxDepth: env.SUBGRAPH_MAX_DEPTH, trustedProxies: env.SUBGRAPH_TRUSTED_PROXIES, maxStringLength: env.MAX_STRING_LENGTH },
    metrics,
    readinessChecks: env.REDIS_URL ? [redisCheck(env.REDIS_URL)] : [],
  });
  logger.info({ url: server.url, database: database.description, pubsub: pubsub.kind, events: events.kind }, 'subgraph started');
  announce(logger, definition.name, `${server.url}  (${database.description}, ${pubsub.kind} pub/sub)`);
  return {
    ...server,
    stop: async () => {
      await server.stop();
      await ownEvents?.close();
      await ownRevocations?.close();
      await pubsub.close();
      await database.close();
    },
  };
}

/** The whole life of one subgraph process; each subgraph's `index.ts` is just this call. */
export async function runSubgraph<TSchema extends Record<string, unknown>, TContext, TResources>(
  definition: SubgraphDefinition<TSchema, TContext, TResources>,
): Promise<void> {
  const serviceName = `${definition.name}-subgraph`;
  try {
    const env = loadEnv(commonEnv);
    const tracing = startTracing({ serviceName, exporter: env.OTEL_TRACES_EXPORTER, otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
    const service = await startSubgraphService(definition);
    stopOnSignals(
      async () => {
        await service.stop();
        await tracing.shutdown();
      },
      { logger: createLogger(serviceName, env.LOG_LEVEL), timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    );
  } catch (error) {
    exitOnStartupFailure(serviceName, error);
  }
}
