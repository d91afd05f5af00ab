/** The gym subgraph on a free port with its own database and the run's pub/sub, for integration tests. */
import { randomUUID } from 'node:crypto';
import { asc, isNull } from 'drizzle-orm';
import { eventually, graphqlData, startTestSubgraph, subscribe, testViewer, type TestDatabase, type TestSubgraph, type TestSubscription } from '@fitgraph/testkit';
import { gymSubgraph, schema } from '../src/server';

export type GymHarness = TestSubgraph<typeof schema>;

/**
 * The gym subgraph on a free port with its own database, the run's pub/sub and its own event bus;
 * resolves once the seeded gyms' and machines' announcements are published, so tests that count
 * statements start from a quiet outbox.
 */
export async function startGym(): Promise<GymHarness> {
  const gym = await startTestSubgraph(gymSubgraph);
  await eventually(async () => (await gym.db.db.select({ id: schema.eventOutbox.id }).from(schema.eventOutbox).where(isNull(schema.eventOutbox.publishedAt)).limit(1)).length === 0, {
    what: 'the seed announcements to be published',
  });
  return gym;
}

/** A viewer (random user id unless given) and its access token, as the user subgraph would sign it. */
export const viewer = testViewer;

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
    // Without publishedAt: the relay marks rows asynchronously after earlier, successful mutations.
    outbox: await db.db
      .select({ id: schema.eventOutbox.id, topic: schema.eventOutbox.topic, payload: schema.eventOutbox.payload })
      .from(schema.eventOutbox)
      .orderBy(asc(schema.eventOutbox.id)),
  };
}

export const MACHINE_EVENTS = `subscription($gymId: ID!) {
  machineStatusChanged(gymId: $gymId) {
    previousStatus status at
    machine { id name status currentUser { id } gym { id name } }
  }
}`;

export type MachineEvent = {
  machineStatusChanged: {
    previousStatus: string;
    status: string;
    at: string;
    machine: { id: string; name: string; status: string; currentUser: { id: string } | null; gym: { id: string; name: string } };
  };
};

/**
 * Subscribes to a gym's machine events and returns once the subscription really receives them:
 * the server subscribes to pub/sub asynchronously, so a probe machine is toggled (as staff) until
 * its change arrives (no sleep), then set to OUT_OF_ORDER and events are drained up to that marker.
 */
export async function liveMachineEvents(gym: GymHarness, gymId: string, probeId: string, token?: string): Promise<TestSubscription<MachineEvent>> {
  const staff = await viewer('GYM_STAFF');
  const setStatus = (status: string) =>
    graphqlData(gym.url, `mutation($id: ID!, $status: MachineStatus!) { setMachineStatus(machineId: $id, status: $status) { id } }`, {
      token: staff.token,
      variables: { id: probeId, status },
    });
  const sub = subscribe<MachineEvent>(gym.url, MACHINE_EVENTS, { variables: { gymId }, token });
  try {
    for (let attempt = 0; ; attempt += 1) {
      await setStatus(attempt % 2 === 0 ? 'MAINTENANCE' : 'AVAILABLE');
      try {
        await sub.next(250);
        break;
      } catch (error) {
        if (attempt > 40) throw error;
      }
    }
    await setStatus('OUT_OF_ORDER');
    while ((await sub.next()).data?.machineStatusChanged.status !== 'OUT_OF_ORDER');
  } catch (error) {
    await sub.close();
    throw error;
  }
  return sub;
}
