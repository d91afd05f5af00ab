import { randomUUID } from 'node:crypto';
import {
  createLogger,
  createTokenSigner,
  loadAuthConfig,
  openPubSub,
  startSubgraphServer,
  type Role,
  type SubgraphDefinition,
} from '@fitgraph/service-kit';
import { openTestDatabase, type TestDatabase } from './databases';

export interface TestSubgraph<TSchema extends Record<string, unknown>> {
  url: string;
  /** The subgraph's own database; `db.queries` records every statement. */
  db: TestDatabase<TSchema>;
  stop(): Promise<void>;
}

/** One subgraph on a free port with its own migrated (and seeded) database, for integration tests. */
export async function startTestSubgraph<TSchema extends Record<string, unknown>, TContext>(
  definition: SubgraphDefinition<TSchema, TContext>,
): Promise<TestSubgraph<TSchema>> {
  const db = await openTestDatabase(definition.name, definition.dbSchema);
  await definition.seed(db.db);
  const pubsub = openPubSub(process.env.REDIS_URL);
  const server = await startSubgraphServer(definition, {
    db: db.db,
    pubsub: pubsub.pubsub,
    logger: createLogger(`${definition.name}-test`, process.env.TEST_LOG_LEVEL ?? 'silent'),
  });
  return {
    url: server.url,
    db,
    stop: async () => {
      await server.stop();
      await pubsub.close();
      await db.close();
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
