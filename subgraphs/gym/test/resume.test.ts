/** Resumable `machineStatusChanged(gymId, after)` straight from the gym subgraph over graphql-ws. */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, graphqlData, subscribe, type TestSubscription } from '@fitgraph/testkit';
import { schema } from '../src/server';
import { createGym, startGym, viewer, type GymHarness } from './harness';

const EVENTS = `subscription($gymId: ID!, $after: ID) {
  machineStatusChanged(gymId: $gymId, after: $after) { id previousStatus status machine { id status } }
}`;
type Event = { machineStatusChanged: { id: string; previousStatus: string; status: string; machine: { id: string; status: string } } };
const SET = `mutation($id: ID!, $status: MachineStatus!) { setMachineStatus(machineId: $id, status: $status) { id } }`;
// Each differs from the one before (setting the current status is a no-op without an event).
const cycle = ['MAINTENANCE', 'AVAILABLE', 'OUT_OF_ORDER', 'IN_USE', 'AVAILABLE', 'MAINTENANCE'] as const;

describe(`machineStatusChanged resume (${backends.database}, ${backends.pubsub} pub/sub)`, () => {
  let gym: GymHarness;
  let staffToken: string;
  const open: TestSubscription[] = [];
  beforeAll(async () => {
    gym = await startGym();
    staffToken = (await viewer('GYM_STAFF')).token;
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await gym?.stop();
  });

  const sub = (gymId: string, after?: string | null) => {
    const s = subscribe<Event>(gym.url, EVENTS, { variables: { gymId, after } });
    open.push(s);
    return s;
  };
  const set = (id: string, status: string) => graphqlData(gym.url, SET, { token: staffToken, variables: { id, status } });
  const take = async (s: TestSubscription<Event>, count: number) => {
    const out: Event['machineStatusChanged'][] = [];
    for (let i = 0; i < count; i += 1) out.push((await s.next(5000)).data!.machineStatusChanged);
    return out;
  };

  it('replays the changes after event k exactly once, in order, then goes live', async () => {
    const { gym: g, machines } = await createGym(gym.db, 2);
    const [a, b] = machines;
    const statuses: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const status = cycle[i]!;
      await set(a!.id, status);
      statuses.push(status);
    }
    // From the start of the history: ids are the gym's positions 1..6.
    const all = await take(sub(g.id, '0'), 6);
    expect(all.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(all.map((e) => e.status)).toEqual(statuses);

    const k = 2;
    const resumed = sub(g.id, all[k - 1]!.id);
    expect((await take(resumed, 4)).map((e) => [e.id, e.status])).toEqual(all.slice(k).map((e) => [e.id, e.status]));
    await set(a!.id, 'AVAILABLE');
    await set(b!.id, 'MAINTENANCE');
    expect((await take(resumed, 2)).map((e) => [e.id, e.machine.id, e.status])).toEqual([
      ['7', a!.id, 'AVAILABLE'],
      ['8', b!.id, 'MAINTENANCE'],
    ]);
    expect(resumed.results).toHaveLength(6);
  });

  it('loses and doubles nothing when changes commit while the stream switches from replay to live', async () => {
    const { gym: g, machines } = await createGym(gym.db, 8);
    for (const machine of machines) await set(machine.id, 'MAINTENANCE');
    const resumed = sub(g.id, '3');
    // Concurrent changes on every machine while the subscription starts and replays.
    await Promise.all(machines.map(async (machine) => {
      for (const status of ['AVAILABLE', 'OUT_OF_ORDER', 'AVAILABLE']) await set(machine.id, status);
    }));
    const total = 8 + 8 * 3;
    const events = await take(resumed, total - 3);
    expect(events.map((e) => Number(e.id))).toEqual(Array.from({ length: total - 3 }, (_, i) => i + 4));
    // Per machine, in the order it changed.
    for (const machine of machines) {
      expect(events.filter((e) => e.machine.id === machine.id).map((e) => e.status)).toEqual(
        [...(machines.indexOf(machine) >= 3 ? ['MAINTENANCE'] : []), 'AVAILABLE', 'OUT_OF_ORDER', 'AVAILABLE'],
      );
    }
  });

  it('refuses a bad or too old cursor with BAD_USER_INPUT, an unknown gym with NOT_FOUND', async () => {
    const { gym: g, machines } = await createGym(gym.db, 1);
    await set(machines[0]!.id, 'MAINTENANCE');
    const far = await createGym(gym.db, 0);
    // As if 2000 changes had happened there: a cursor 2000 behind is past the replay bound.
    await gym.db.db.update(schema.gyms).set({ statusSeq: 2000 }).where(eq(schema.gyms.id, far.gym.id));
    for (const [gymId, after, code] of [
      [g.id, 'abc', 'BAD_USER_INPUT'],
      [g.id, '-1', 'BAD_USER_INPUT'],
      [g.id, '2', 'BAD_USER_INPUT'],
      [far.gym.id, '0', 'BAD_USER_INPUT'],
      ['6a1b0c9e-0001-4000-8000-0000000000ff', '1', 'NOT_FOUND'],
    ] as const) {
      const s = sub(gymId, after);
      const result = await s.next();
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual([code]);
    }
    // Within the bound: from 1000 behind it is accepted (and there is nothing stored to replay).
    const accepted = sub(far.gym.id, '1000');
    await set(machines[0]!.id, 'AVAILABLE');
    await expect(accepted.next(300)).rejects.toThrow(/0\/1 results/);
  });
});
