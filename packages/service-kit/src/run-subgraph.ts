import { loadAuthConfig } from './auth';
import { openDatabase, resolveDatabaseTarget } from './db';
import { commonEnv, databaseEnv, loadEnv, port, subgraphEdgeEnv } from './env';
import { eventsEnv, openEventBus, type EventBus } from './events';
import { announce, createLogger } from './logger';
import { openPubSub, type PubSubEngine } from './pubsub';
import { openRevocationList, type RevocationList } from './revocation';
import { startSubgraphServer, type RunningSubgraph, type SubgraphDefinition } from './subgraph-server';
import { defaultSubgraphPorts, envPrefix } from './subgraphs';

/** Calls `stop` once on SIGINT/SIGTERM, then exits. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    stop()
      .catch((error: unknown) => console.error(`error while stopping after ${signal}`, error))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

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
  const env = loadEnv(
    { ...commonEnv, ...databaseEnv, ...eventsEnv, ...subgraphEdgeEnv, [portVar]: port(defaultSubgraphPorts[definition.name]) },
    options.source,
  );
  const auth = loadAuthConfig(options.source);
  const logger = createLogger(`${definition.name}-subgraph`, env.LOG_LEVEL, env.LOG_FILE);
  const database = await openDatabase({
    subgraph: definition.name,
    schema: definition.dbSchema,
    target: resolveDatabaseTarget(definition.name, env, options.source),
    onQuery: options.onQuery,
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
  const service = await startSubgraphService(definition);
  stopOnSignals(service.stop);
}
