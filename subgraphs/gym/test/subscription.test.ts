/** `machineStatusChanged` straight from the gym subgraph over graphql-ws. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, errorCodes, graphql, graphqlData, subscribe, type TestSubscription } from '@fitgraph/testkit';
import { createGym, startGym, viewer, type GymHarness } from './harness';

const EVENTS = `subscription($gymId: ID!) {
  machineStatusChanged(gymId: $gymId) {
    previousStatus status at
    machine { id name status currentUser { id } gym { id name } }
  }
}`;
const CLAIM = `mutation($machineId: ID!) { claimMachine(machineId: $machineId) { id } }`;
const RELEASE = `mutation($machineId: ID!) { releaseMachine(machineId: $machineId) { id } }`;
const SET_STATUS = `mutation($machineId: ID!, $status: MachineStatus!) { setMachineStatus(machineId: $machineId, status: $status) { id } }`;

type Event = { machineStatusChanged: { previousStatus: string; status: string; at: string; machine: { id: string; name: string; status: string; currentUser: { id: string } | null; gym: { id: string; name: string } } } };

describe(`machineStatusChanged over graphql-ws (${backends.database}, ${backends.pubsub} pub/sub)`, () => {
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

  const setStatus = (machineId: string, status: string) =>
    graphqlData(gym.url, SET_STATUS, { token: staffToken, variables: { machineId, status } });

  /**
   * Subscribes and returns once the subscription really receives events: the server subscribes
   * to pub/sub asynchronously, so a probe machine is toggled until its change arrives (no sleep),
   * then set to OUT_OF_ORDER and events are drained up to that marker.
   */
  async function liveSubscription(gymId: string, probeId: string, token?: string): Promise<TestSubscription<Event>> {
    const sub = subscribe<Event>(gym.url, EVENTS, { variables: { gymId }, token });
    open.push(sub);
    for (let attempt = 0; ; attempt += 1) {
      await setStatus(probeId, attempt % 2 === 0 ? 'MAINTENANCE' : 'AVAILABLE');
      try {
        await sub.next(250);
        break;
      } catch (error) {
        if (attempt > 40) throw error;
      }
    }
    await setStatus(probeId, 'OUT_OF_ORDER');
    while ((await sub.next()).data?.machineStatusChanged.status !== 'OUT_OF_ORDER');
    return sub;
  }

  it('delivers each committed change with the machine as it is at delivery', async () => {
    const { gym: g, machines } = await createGym(gym.db, 2);
    const [probe, rower] = machines;
    const member = await viewer();
    const sub = await liveSubscription(g.id, probe!.id, member.token);

    await graphqlData(gym.url, CLAIM, { token: member.token, variables: { machineId: rower!.id } });
    const claimed = (await sub.next()).data!.machineStatusChanged;
    expect(claimed).toMatchObject({
      previousStatus: 'AVAILABLE',
      status: 'IN_USE',
      machine: { id: rower!.id, name: rower!.name, status: 'IN_USE', currentUser: { id: member.id }, gym: { id: g.id, name: g.name } },
    });
    expect(new Date(claimed.at).toISOString()).toBe(claimed.at);

    // A rejected mutation publishes nothing: the next event is the release that follows it.
    const loser = await viewer();
    expect(errorCodes(await graphql(gym.url, CLAIM, { token: loser.token, variables: { machineId: rower!.id } }))).toEqual(['CONFLICT']);
    await graphqlData(gym.url, RELEASE, { token: member.token, variables: { machineId: rower!.id } });
    // The same machine again, reloaded: no stale holder from the first event's cache.
    expect((await sub.next()).data!.machineStatusChanged).toMatchObject({
      previousStatus: 'IN_USE',
      status: 'AVAILABLE',
      machine: { id: rower!.id, status: 'AVAILABLE', currentUser: null },
    });
  });

  it("does not deliver other gyms' events, and hides the holder from anonymous subscribers", async () => {
    const [{ gym: a, machines: aMachines }, { gym: b, machines: bMachines }] = [await createGym(gym.db, 2), await createGym(gym.db, 1)];
    const sub = await liveSubscription(a.id, aMachines[0]!.id);
    const member = await viewer();
    await graphqlData(gym.url, CLAIM, { token: member.token, variables: { machineId: bMachines[0]!.id } });
    await graphqlData(gym.url, RELEASE, { token: member.token, variables: { machineId: bMachines[0]!.id } });
    await graphqlData(gym.url, CLAIM, { token: member.token, variables: { machineId: aMachines[1]!.id } });
    expect((await sub.next()).data!.machineStatusChanged).toMatchObject({
      status: 'IN_USE',
      machine: { id: aMachines[1]!.id, gym: { id: a.id }, currentUser: null },
    });
  });

  it('refuses an unknown gym with NOT_FOUND and a malformed id with BAD_USER_INPUT', async () => {
    for (const [gymId, code] of [
      ['6a1b0c9e-0001-4000-8000-0000000000ff', 'NOT_FOUND'],
      ['nope', 'BAD_USER_INPUT'],
    ] as const) {
      const sub = subscribe(gym.url, EVENTS, { variables: { gymId } });
      open.push(sub);
      const result = await sub.next();
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual([code]);
      expect(await sub.finished).toEqual({});
    }
  });

  it('stops the server-side stream when the client completes', async () => {
    const { gym: g, machines } = await createGym(gym.db, 1);
    const baseline = gym.activeSubscriptions();
    const sub = await liveSubscription(g.id, machines[0]!.id);
    expect(gym.activeSubscriptions()).toBe(baseline + 1);
    await sub.close();
    const deadline = Date.now() + 5000;
    while (gym.activeSubscriptions() !== baseline && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(gym.activeSubscriptions()).toBe(baseline);
  });
});
