/** The gym floor through the gateway: mutations, the user subgraph filling in `currentUser`, device keys. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '@fitgraph/platform';
import { backends, errorCodes, graphql, graphqlData, startTestStack, testViewer, type TestStack } from '@fitgraph/testkit';

// Seeded demo data (user and gym subgraphs).
const alex = '6a1b0c9e-0005-4000-8000-000000000001';
const sam = '6a1b0c9e-0005-4000-8000-000000000002';
const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';
const treadmill1 = '6a1b0c9e-0002-4000-8000-001000000001';

const tokenFor = async (id: string, role: Role = 'MEMBER') => (await testViewer(role, id)).token;

describe(`gym floor through the gateway (${backends.database})`, () => {
  let stack: TestStack;
  let url: string;
  beforeAll(async () => {
    stack = await startTestStack();
    url = stack.gateway.url;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('checks in, claims a machine and shows its holder from the user subgraph', async () => {
    const [alexToken, samToken] = [await tokenFor(alex), await tokenFor(sam)];
    const checkIn = await graphqlData(url, `mutation($gymId: ID!) { checkIn(gymId: $gymId) { name occupancy } }`, { token: alexToken, variables: { gymId: ironHarbor } });
    expect(checkIn.checkIn).toEqual({ name: 'Iron Harbor Fitness', occupancy: 1 });

    const claim = await graphqlData(
      url,
      `mutation($id: ID!) { claimMachine(machineId: $id) { name status currentUser { id displayName } gym { name occupancy } } }`,
      { token: alexToken, variables: { id: treadmill1 } },
    );
    expect(claim.claimMachine).toEqual({ name: 'Treadmill 1', status: 'IN_USE', currentUser: { id: alex, displayName: 'Alex Demo' }, gym: { name: 'Iron Harbor Fitness', occupancy: 1 } });

    const taken = await graphql(url, `mutation($id: ID!) { claimMachine(machineId: $id) { id } }`, { token: samToken, variables: { id: treadmill1 } });
    expect(errorCodes(taken)).toEqual(['CONFLICT']);
    const notHis = await graphql(url, `mutation($id: ID!) { releaseMachine(machineId: $id) { id } }`, { token: samToken, variables: { id: treadmill1 } });
    expect(errorCodes(notHis)).toEqual(['FORBIDDEN']);

    const floor = `{ gyms { name occupancy machines { name status currentUser { displayName } } } }`;
    const anonymous = await graphqlData(url, floor);
    const seen = await graphqlData(url, floor, { token: samToken });
    const treadmill = (data: any) => data.gyms.find((g: any) => g.name === 'Iron Harbor Fitness').machines.find((m: any) => m.name === 'Treadmill 1');
    expect(treadmill(anonymous)).toEqual({ name: 'Treadmill 1', status: 'IN_USE', currentUser: null });
    expect(treadmill(seen)).toEqual({ name: 'Treadmill 1', status: 'IN_USE', currentUser: { displayName: 'Alex Demo' } });

    const out = await graphqlData(url, `mutation($gymId: ID!) { checkOut(gymId: $gymId) { occupancy machines { name status } } }`, { token: alexToken, variables: { gymId: ironHarbor } });
    expect(out.checkOut.occupancy).toBe(0);
    expect(out.checkOut.machines.find((m: any) => m.name === 'Treadmill 1').status).toBe('AVAILABLE');
  });

  it('a machine added by staff reports its own status with its device key through the gateway', async () => {
    const staffToken = await tokenFor(randomUUID(), 'GYM_STAFF');
    const { addMachine } = await graphqlData(
      url,
      `mutation($gymId: ID!) { addMachine(gymId: $gymId, name: "Assault Bike 1", kind: "BIKE") { deviceKey machine { id status gym { name } } } }`,
      { token: staffToken, variables: { gymId: ironHarbor } },
    );
    expect(addMachine.machine).toMatchObject({ status: 'AVAILABLE', gym: { name: 'Iron Harbor Fitness' } });
    const SET = `mutation($id: ID!) { setMachineStatus(machineId: $id, status: OUT_OF_ORDER) { status } }`;
    expect(errorCodes(await graphql(url, SET, { variables: { id: addMachine.machine.id }, headers: { 'x-device-key': 'wrong' } }))).toEqual(['FORBIDDEN']);
    const set = await graphqlData(url, SET, { variables: { id: addMachine.machine.id }, headers: { 'x-device-key': addMachine.deviceKey } });
    expect(set.setMachineStatus).toEqual({ status: 'OUT_OF_ORDER' });
  });

  it('refuses bad input with codes, not stack traces', async () => {
    const token = await tokenFor(alex);
    const response = await graphql(url, `mutation { claimMachine(machineId: "not-an-id") { id } }`, { token });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.extensions?.field).toBe('machineId');
    expect(errorCodes(await graphql(url, `mutation { checkIn(gymId: "${randomUUID()}") { id } }`, { token }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await graphql(url, `mutation { checkIn(gymId: "${ironHarbor}") { id } }`))).toEqual(['UNAUTHENTICATED']);
  });
});
