/**
 * One subgraph as a service: the composition of a definition, its parsed configuration and the
 * resources opened for it. Everything opened goes into one {@link DisposeScope}, closed in
 * reverse on stop (or at once when starting fails half-way). Handles given in `shared` (the
 * all-in-one stack's pub/sub, event bus and revocation list) belong to the caller.
 */
import {
  announce,
  configOrExit,
  createLogger,
  DisposeScope,
  openDatabase,
  openEventBus,
  openPubSub,
  openRevocationList,
  createSubgraphMetrics,
  exitOnStartupFailure,
  redisCheck,
  startTracing,
  stopOnSignals,
  waitForDependencies,
  type Logger,
  type PubSubEngine,
  type RevocationList,
} from '@fitgraph/service-kit';
import { metricsPrefix } from '../config';
import { migrationsFolder } from '../subgraphs';
import type { EventBus } from '../topics';
import { loadSubgraphConfig, seedOptionsOf, type SubgraphConfig } from './config';
import type { SubgraphDefinition } from './definition';
import { startSubgraphServer, type RunningSubgraph } from './server';

export interface SharedHandles {
  /** Share one pub/sub between services of one process (the embedded dev stack). */
  pubsub?: PubSubEngine;
  /** Share one event bus between services of one process (the embedded dev stack). */
  events?: EventBus;
  /** Share one list of revoked sessions between services of one process (the embedded dev stack). */
  revocations?: RevocationList;
  logger?: Logger;
  /** Called with the SQL of every statement this subgraph runs (tests count them per subgraph). */
  onQuery?: (sql: string) => void;
}

/**
 * Opens the database (created, migrated, seeded), pub/sub, event bus and revocation list the
 * configuration names, makes the definition's resources, and serves it on the configured port.
 * Prints its start-up line.
 */
export async function startSubgraphService<TSchema extends Record<string, unknown>, TContext, TResources>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  definition: SubgraphDefinition<TSchema, TContext, TResources, any>,
  config: SubgraphConfig,
  shared: SharedHandles = {},
): Promise<RunningSubgraph> {
  const scope = new DisposeScope();
  try {
    const logger = shared.logger ?? createLogger(`${definition.name}-subgraph`, config.logLevel, config.logFile);
    const target = config.database;
    // Bounded: unreachable PostgreSQL/Redis is one clear error within the timeout, not endless retries.
    await waitForDependencies({
      postgresUrl: target.kind === 'postgres' ? (target.serverUrl ?? target.url) : undefined,
      redisUrl: config.redis.url,
      timeoutMs: config.operations.dependencyStartupTimeoutMs,
    });
    const metrics = createSubgraphMetrics(definition.name, metricsPrefix);
    const database = scope.use(
      await openDatabase({
        schema: definition.dbSchema,
        migrationsFolder: migrationsFolder(definition.name),
        target,
        onQuery: shared.onQuery,
        metrics: metrics.database,
      }),
      (opened) => opened.close(),
    );
    await definition.seed(database.db, seedOptionsOf(config));
    const pubsub = shared.pubsub
      ? { pubsub: shared.pubsub, kind: 'shared' }
      : scope.use(openPubSub(config.redis.url, config.redis.keyPrefix), (opened) => opened.close());
    const events =
      shared.events ??
      scope.use(
        openEventBus({ redisUrl: config.redis.url, keyPrefix: config.redis.keyPrefix, consumerName: config.eventConsumerName, logger }) as EventBus,
        (bus) => bus.close(),
      );
    const revocations =
      shared.revocations ??
      scope.use(
        await openRevocationList({ redisUrl: config.redis.url, keyPrefix: config.redis.keyPrefix, accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds, logger }),
        (list) => list.close(),
      );
    const handles = { db: database.db, pubsub: pubsub.pubsub, events, logger };
    const created = await definition.createResources?.({ ...handles, settings: config.settings, redis: config.redis, auth: config.auth, revocations });
    if (created) scope.defer(() => created.close());
    const server = await startSubgraphServer(definition, {
      ...handles,
      resources: created?.resources as TResources,
      auth: config.auth,
      revocations,
      gatewaySecret: config.gatewaySecret,
      port: config.port,
      host: config.host,
      internalPort: config.internalPort,
      internalHost: config.internalHost,
      production: config.production,
      limits: config.limits,
      edge: config.edge,
      subscriptionCaps: config.subscriptionCaps,
      metrics,
      // Its own Redis connection, opened (and closed after the server) here.
      readinessChecks: config.redis.url ? [scope.use(redisCheck(config.redis.url), (check) => check.close?.())] : [],
    });
    scope.defer(() => server.stop());
    logger.info({ url: server.url, internalUrl: server.internalUrl, database: database.description, pubsub: pubsub.kind, events: events.kind }, 'subgraph started');
    announce(logger, definition.name, `${server.url}  (${database.description}, ${pubsub.kind} pub/sub)`);
    return { ...server, stop: () => scope.dispose() };
  } catch (error) {
    await scope.dispose().catch(() => {});
    throw error;
  }
}

/**
 * The whole life of one subgraph process, for its `index.ts` (the composition root, which
 * alone hands over the environment): configuration parsed once (every problem printed, exit
 * 1), resources opened, server started, stopped on SIGINT/SIGTERM.
 */
export async function runSubgraphProcess(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  definition: SubgraphDefinition<any, any, any, any>,
  environment: NodeJS.ProcessEnv,
): Promise<void> {
  const serviceName = `${definition.name}-subgraph`;
  const config = configOrExit(serviceName, () => loadSubgraphConfig(definition, environment));
  const scope = new DisposeScope();
  try {
    const tracing = await startTracing({ serviceName, ...config.operations.tracing });
    scope.defer(() => tracing.shutdown());
    const service = await startSubgraphService(definition, config);
    scope.defer(() => service.stop());
  } catch (error) {
    await scope.dispose().catch(() => {});
    exitOnStartupFailure(serviceName, error, config.logLevel);
  }
  stopOnSignals(() => scope.dispose(), { logger: createLogger(serviceName, config.logLevel, config.logFile), timeoutMs: config.operations.shutdownTimeoutMs });
}
