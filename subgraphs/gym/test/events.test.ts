/** Durable events: the gym subgraph announces check-ins and forgets a deleted account. */
import { randomUUID } from 'node:crypto';
import { eq, or } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DomainEvent } from '@fitgraph/platform';
import { eventOutbox } from '@fitgraph/service-kit';
import { backends, eventually, graphqlData, type TestSubscription } from '@fitgraph/testkit';
import { schema } from '../src/server';
import { createGym, liveMachineEvents, startGym, viewer, type GymHarness } from './harness';

const CHECK_IN = `mutation($gymId: ID!) { checkIn(gymId: $gymId) { id } }`;
const CHECK_OUT = `mutation($gymId: ID!) { checkOut(gymId: $gymId) { id } }`;
const CLAIM = `mutation($machineId: ID!) { claimMachine(machineId: $machineId) { id } }`;
const RELEASE = `mutation($machineId: ID!) { releaseMachine(machineId: $machineId) { id } }`;

describe(`gym durable events (${backends.database}, ${backends.pubsub})`, () => {
  let gym: GymHarness;
  const open: TestSubscription[] = [];
  beforeAll(async () => {
    gym = await startGym();
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await gym?.stop();
  });

  it('publishes gym.checked_in through the outbox after the check-in commits', async () => {
    const { gym: g } = await createGym(gym.db, 0);
    const member = await viewer();
    const received: DomainEvent<'gym.checked_in'>[] = [];
    const consumer = gym.events.consume('gym.checked_in', `test-${randomUUID()}`, async (event) => {
      received.push(event);
    });
    try {
      await graphqlData(gym.url, CHECK_IN, { token: member.token, variables: { gymId: g.id } });
      const mine = () => received.filter((e) => e.payload.userId === member.id);
      await eventually(() => mine().length > 0, { what: 'a gym.checked_in event of the member' });
      const [event] = mine();
      const [checkIn] = await gym.db.db.select().from(schema.checkIns).where(eq(schema.checkIns.userId, member.id));
      expect(event!.payload).toEqual({ gymId: g.id, userId: member.id, at: checkIn!.checkedInAt.toISOString() });
      // The relay marks the row in the transaction that published it, which commits just after.
      const outboxRow = async () => (await gym.db.db.select().from(eventOutbox).where(eq(eventOutbox.id, event!.id)))[0]!;
      await eventually(async () => (await outboxRow()).publishedAt !== null, { timeoutMs: 5000, what: 'the outbox row marked published' });
      expect(await outboxRow()).toMatchObject({ topic: 'gym.checked_in', publishedAt: expect.any(Date) });
    } finally {
      await consumer.stop();
    }
  });

  it('on user.deleted: releases held machines (announced after commit), deletes check-ins, anonymises history', async () => {
    const [{ gym: a, machines }, { gym: b }] = [await createGym(gym.db, 3), await createGym(gym.db, 0)];
    const [leaving, staying] = [await viewer(), await viewer()];
    const [probe, held, other] = machines;
    const sub = await liveMachineEvents(gym, a.id, probe!.id, staying.token);
    open.push(sub);

    // Past and open check-ins in two gyms, a used-then-released machine, and a held one.
    await graphqlData(gym.url, CHECK_IN, { token: leaving.token, variables: { gymId: b.id } });
    await graphqlData(gym.url, CHECK_OUT, { token: leaving.token, variables: { gymId: b.id } });
    await graphqlData(gym.url, CHECK_IN, { token: leaving.token, variables: { gymId: a.id } });
    await graphqlData(gym.url, CHECK_IN, { token: leaving.token, variables: { gymId: b.id } });
    await graphqlData(gym.url, CHECK_IN, { token: staying.token, variables: { gymId: a.id } });
    await graphqlData(gym.url, CLAIM, { token: leaving.token, variables: { machineId: other!.id } });
    await graphqlData(gym.url, RELEASE, { token: leaving.token, variables: { machineId: other!.id } });
    await graphqlData(gym.url, CLAIM, { token: leaving.token, variables: { machineId: held!.id } });
    for (let i = 0; i < 3; i += 1) await sub.next(); // the three changes above

    await gym.events.publish('user.deleted', { userId: leaving.id });
    const released = (await sub.next()).data!.machineStatusChanged;
    expect(released).toMatchObject({ previousStatus: 'IN_USE', status: 'AVAILABLE', machine: { id: held!.id, status: 'AVAILABLE', currentUser: null } });

    const { checkIns, machines: machineTable, machineStatusHistory } = schema;
    expect(await gym.db.db.select().from(checkIns).where(eq(checkIns.userId, leaving.id))).toEqual([]);
    expect(await gym.db.db.select().from(checkIns).where(eq(checkIns.userId, staying.id))).toHaveLength(1);
    expect(await gym.db.db.select().from(machineTable).where(eq(machineTable.currentUserId, leaving.id))).toEqual([]);
    expect(await gym.db.db.select().from(machineStatusHistory).where(eq(machineStatusHistory.changedBy, leaving.id))).toEqual([]);
    const heldHistory = await gym.db.db
      .select()
      .from(machineStatusHistory)
      .where(or(eq(machineStatusHistory.machineId, held!.id), eq(machineStatusHistory.machineId, other!.id)));
    expect(heldHistory).toHaveLength(4);
    expect(heldHistory.filter((h) => h.source === 'SYSTEM').map((h) => [h.machineId, h.previousStatus, h.status])).toEqual([[held!.id, 'IN_USE', 'AVAILABLE']]);
    const occupancy = await graphqlData(gym.url, `query($a: ID!, $b: ID!) { a: gym(id: $a) { occupancy } b: gym(id: $b) { occupancy } }`, { variables: { a: a.id, b: b.id } });
    expect(occupancy).toEqual({ a: { occupancy: 1 }, b: { occupancy: 0 } });
  });
});
