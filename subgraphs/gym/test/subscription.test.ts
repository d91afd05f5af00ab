/** `machineStatusChanged` straight from the gym subgraph over graphql-ws. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, errorCodes, eventually, graphql, graphqlData, subscribe, type TestSubscription } from '@fitgraph/testkit';
import { createGym, liveMachineEvents, MACHINE_EVENTS, startGym, viewer, type GymHarness } from './harness';

const CLAIM = `mutation($machineId: ID!) { claimMachine(machineId: $machineId) { id } }`;
const RELEASE = `mutation($machineId: ID!) { releaseMachine(machineId: $machineId) { id } }`;

describe(`machineStatusChanged over graphql-ws (${backends.database}, ${backends.pubsub} pub/sub)`, () => {
  let gym: GymHarness;
  const open: TestSubscription[] = [];
  beforeAll(async () => {
    gym = await startGym();
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await gym?.stop();
  });

  async function liveSubscription(gymId: string, probeId: string, token?: string) {
    const sub = await liveMachineEvents(gym, gymId, probeId, token);
    open.push(sub);
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
    const [{ gym: a, machines: aMachines }, { machines: bMachines }] = [await createGym(gym.db, 2), await createGym(gym.db, 1)];
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
      const sub = subscribe(gym.url, MACHINE_EVENTS, { variables: { gymId } });
      open.push(sub);
      const result = await sub.next();
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual([code]);
      expect(await sub.ended).toEqual({});
    }
  });

  it('stops the server-side stream when the client completes', async () => {
    const { gym: g, machines } = await createGym(gym.db, 1);
    const baseline = gym.activeSubscriptions();
    const sub = await liveSubscription(g.id, machines[0]!.id);
    expect(gym.activeSubscriptions()).toBe(baseline + 1);
    await sub.close();
    await eventually(() => gym.activeSubscriptions() === baseline, { timeoutMs: 5000, what: 'the server-side stream to stop' });
    expect(gym.activeSubscriptions()).toBe(baseline);
  });
});
