/** The gym subgraph on a free port with its own database and the run's pub/sub, for integration tests. */
import { randomUUID } from 'node:crypto';
import { asc } from 'drizzle-orm';
import { createLogger, createTokenSigner, loadAuthConfig, openPubSub, type Role } from '@fitgraph/service-kit';
import { openTestDatabase, type TestDatabase } from '@fitgraph/testkit';
import { createSubgraph, schema } from '../src/server';

export interface GymHarness {
  url: string;
  db: TestDatabase<typeof schema>;
  stop(): Promise<void>;
  activeSubscriptions(): number;
}

export async function startGym(): Promise<GymHarness> {
  const db = await openTestDatabase('gym', schema);
  const pubsub = openPubSub(process.env.REDIS_URL);
  const server = await createSubgraph({ db: db.db, pubsub: pubsub.pubsub, logger: createLogger('gym-test', process.env.TEST_LOG_LEVEL ?? 'silent') });
  return {
    url: server.url,
    db,
    activeSubscriptions: server.activeSubscriptions,
    stop: async () => {
      await server.stop();
      await pubsub.close();
      await db.close();
    },
  };
}

const signer = createTokenSigner(loadAuthConfig());

/** A viewer (random user id unless given) and its access token, as the user subgraph would sign it. */
export async function viewer(role: Role = 'MEMBER', id: string = randomUUID()) {
  const { accessToken } = await signer.sign({ id, role, sessionId: randomUUID() });
  return { id, role, token: accessToken };
}

/**
 * A gym of this test alone (fresh ids, so its pub/sub channel is not shared with other tests on
 * the same Redis) with `machineCount` AVAILABLE machines named M001...
 */
export async function createGym(db: TestDatabase<typeof schema>, machineCount = 3) {
  const [gym] = await db.db.insert(schema.gyms).values({ name: `Test Gym ${randomUUID().slice(0, 8)}`, city: 'Testville' }).returning();
  const machines =
    machineCount === 0
      ? []
      : await db.db
          .insert(schema.machines)
          .values(Array.from({ length: machineCount }, (_, i) => ({ gymId: gym!.id, name: `M${String(i + 1).padStart(3, '0')}`, kind: 'TREADMILL' })))
          .returning();
  return { gym: gym!, machines: machines.sort((a, b) => a.name.localeCompare(b.name)) };
}

/** Every row of the gym database in a stable order, to prove a failed mutation changed nothing. */
export async function snapshot(db: TestDatabase<typeof schema>) {
  const { gyms, machines, checkIns, machineStatusHistory } = schema;
  return {
    gyms: await db.db.select().from(gyms).orderBy(asc(gyms.id)),
    machines: await db.db.select().from(machines).orderBy(asc(machines.id)),
    checkIns: await db.db.select().from(checkIns).orderBy(asc(checkIns.id)),
    history: await db.db.select().from(machineStatusHistory).orderBy(asc(machineStatusHistory.id)),
  };
}
