import { randomUUID } from 'node:crypto';
import {
  createLogger,
  createTokenSigner,
  deleteRedisKeys,
  loadAuthConfig,
  openEventBus,
  openPubSub,
  startSubgraphServer,
  type EventBus,
  type Role,
  type SubgraphDefinition,
  type SubgraphServerOptions,
} from '@fitgraph/service-kit';
import { openTestDatabase, type TestDatabase } from './databases';

export interface TestSubgraph<TSchema extends Record<string, unknown>> {
  url: string;
  /** The subgraph's own database; `db.queries` records every statement. */
  db: TestDatabase<TSchema>;
  /** The durable event bus it consumes from and publishes to (its own Redis key prefix). */
  events: EventBus;
  /** Subscriptions open on it right now. */
  activeSubscriptions(): number;
  stop(): Promise<void>;
}

/**
 * One subgraph on a free port with its own migrated (and seeded) database, the run's pub/sub
 * (Redis when REDIS_URL is set) and an event bus of its own, for integration tests.
 */
export async function startTestSubgraph<TSchema extends Record<string, unknown>, TContext, TResources>(
  definition: SubgraphDefinition<TSchema, TContext, TResources>,
  options: Pick<SubgraphServerOptions<TSchema>, 'production' | 'edge' | 'logger'> & {
    /** Settings for the subgraph's resources over process.env (e.g. SIGN_UP_MAX_PER_IP). */
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<TestSubgraph<TSchema>> {
  const logger = options.logger ?? createLogger(`${definition.name}-test`, process.env.TEST_LOG_LEVEL ?? 'silent');
  const db = await openTestDatabase(definition.name, definition.dbSchema);
  await definition.seed(db.db, process.env);
  const pubsub = openPubSub(process.env.REDIS_URL);
  const keyPrefix = `fgt:${randomUUID()}:`;
  // Short retry so redelivery tests do not wait the production 5 s.
  const events = openEventBus({ redisUrl: process.env.REDIS_URL, keyPrefix, logger, retryMs: 200 });
  // Its own Redis keys (rate-limit counters too), removed on stop.
  const source = { ...process.env, REDIS_KEY_PREFIX: keyPrefix, ...options.env };
  const server = await startSubgraphServer(definition, { db: db.db, pubsub: pubsub.pubsub, events, logger, source, production: options.production, edge: options.edge });
  return {
    url: server.url,
    db,
    events,
    activeSubscriptions: server.activeSubscriptions,
    stop: async () => {
      await server.stop();
      await events.close();
      await pubsub.close();
      await db.close();
      if (process.env.REDIS_URL) await deleteRedisKeys(process.env.REDIS_URL, keyPrefix);
    },
  };
}

const signer = createTokenSigner(loadAuthConfig());

/**
 * A viewer (a fresh user id unless given) with an access token signed by the DEV-ONLY keys,
 * exactly as the user subgraph would sign it.
 */
export async function testViewer(role: Role = 'MEMBER', id: string = randomUUID()) {
  const { accessToken } = await signer.sign({ id, role, sessionId: randomUUID() });
  return { id, role, token: accessToken };
}
