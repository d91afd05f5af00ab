/**
 * Every bad input to every gym mutation is a GraphQL error with a code (and the offending field
 * where our validation names it), and leaves the database exactly as it was.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, errorCodes, graphql, graphqlData } from '@fitgraph/testkit';
import { createGym, snapshot, startGym, viewer, type GymHarness } from './harness';

const CHECK_IN = `mutation($gymId: ID!) { checkIn(gymId: $gymId) { id } }`;
const CHECK_OUT = `mutation($gymId: ID!) { checkOut(gymId: $gymId) { id } }`;
const CLAIM = `mutation($machineId: ID!) { claimMachine(machineId: $machineId) { id } }`;
const RELEASE = `mutation($machineId: ID!) { releaseMachine(machineId: $machineId) { id } }`;
const SET_STATUS = `mutation($machineId: ID!, $status: MachineStatus!) { setMachineStatus(machineId: $machineId, status: $status) { id } }`;
const ADD_MACHINE = `mutation($gymId: ID!, $name: String!, $kind: String!) { addMachine(gymId: $gymId, name: $name, kind: $kind) { deviceKey } }`;

type As = 'member' | 'holder' | 'staff';
interface Case {
  name: string;
  query: string;
  as: As;
  variables: (ids: Fixture) => Record<string, unknown>;
  code: string;
  field?: string;
}
interface Fixture {
  gymId: string;
  freeMachineId: string;
  heldMachineId: string;
}

const huge = 'x'.repeat(100_000);
/** The id-shaped mistakes every id argument is tried with. */
const badIds = (arg: string): [string, unknown, string, string?][] => [
  ['negative', '-1', 'BAD_USER_INPUT', arg],
  ['zero', '0', 'BAD_USER_INPUT', arg],
  ['huge number', 99999999999999999999, 'BAD_USER_INPUT', arg],
  ['huge string', huge, 'BAD_USER_INPUT', arg],
  ['empty', '', 'BAD_USER_INPUT', arg],
  ['wrong type (object)', { id: 1 }, 'BAD_USER_INPUT'],
  ['wrong type (boolean)', true, 'BAD_USER_INPUT'],
  ['null', null, 'BAD_USER_INPUT'],
  ['unknown id', randomUUID(), 'NOT_FOUND'],
];

const cases: Case[] = [
  ...badIds('gymId').map(([name, value, code, field]): Case => ({ name: `checkIn: ${name}`, query: CHECK_IN, as: 'member', variables: () => ({ gymId: value }), code, field })),
  ...badIds('gymId').map(([name, value, code, field]): Case => ({ name: `checkOut: ${name}`, query: CHECK_OUT, as: 'member', variables: () => ({ gymId: value }), code, field })),
  { name: 'checkOut: not checked in', query: CHECK_OUT, as: 'member', variables: (f) => ({ gymId: f.gymId }), code: 'CONFLICT' },
  ...badIds('machineId').map(([name, value, code, field]): Case => ({ name: `claimMachine: ${name}`, query: CLAIM, as: 'member', variables: () => ({ machineId: value }), code, field })),
  { name: "claimMachine: another member's machine", query: CLAIM, as: 'member', variables: (f) => ({ machineId: f.heldMachineId }), code: 'CONFLICT' },
  { name: 'claimMachine: a second machine', query: CLAIM, as: 'holder', variables: (f) => ({ machineId: f.freeMachineId }), code: 'CONFLICT' },
  ...badIds('machineId').map(([name, value, code, field]): Case => ({ name: `releaseMachine: ${name}`, query: RELEASE, as: 'member', variables: () => ({ machineId: value }), code, field })),
  { name: "releaseMachine: another member's machine", query: RELEASE, as: 'member', variables: (f) => ({ machineId: f.heldMachineId }), code: 'FORBIDDEN' },
  { name: 'releaseMachine: an available machine', query: RELEASE, as: 'holder', variables: (f) => ({ machineId: f.freeMachineId }), code: 'CONFLICT' },
  ...badIds('machineId').map(([name, value, code, field]): Case => ({ name: `setMachineStatus: ${name}`, query: SET_STATUS, as: 'staff', variables: () => ({ machineId: value, status: 'MAINTENANCE' }), code, field })),
  { name: 'setMachineStatus: unknown status', query: SET_STATUS, as: 'staff', variables: (f) => ({ machineId: f.freeMachineId, status: 'BROKEN' }), code: 'BAD_USER_INPUT' },
  { name: 'setMachineStatus: status of wrong type', query: SET_STATUS, as: 'staff', variables: (f) => ({ machineId: f.freeMachineId, status: 3 }), code: 'BAD_USER_INPUT' },
  { name: "setMachineStatus: a member on another member's machine", query: SET_STATUS, as: 'member', variables: (f) => ({ machineId: f.heldMachineId, status: 'AVAILABLE' }), code: 'FORBIDDEN' },
  ...badIds('gymId').map(([name, value, code, field]): Case => ({ name: `addMachine: gymId ${name}`, query: ADD_MACHINE, as: 'staff', variables: () => ({ gymId: value, name: 'Rower', kind: 'ROWER' }), code, field })),
  { name: 'addMachine: empty name', query: ADD_MACHINE, as: 'staff', variables: (f) => ({ gymId: f.gymId, name: '   ', kind: 'ROWER' }), code: 'BAD_USER_INPUT', field: 'name' },
  { name: 'addMachine: huge name', query: ADD_MACHINE, as: 'staff', variables: (f) => ({ gymId: f.gymId, name: huge, kind: 'ROWER' }), code: 'BAD_USER_INPUT', field: 'name' },
  { name: 'addMachine: name of wrong type', query: ADD_MACHINE, as: 'staff', variables: (f) => ({ gymId: f.gymId, name: 42, kind: 'ROWER' }), code: 'BAD_USER_INPUT' },
  { name: 'addMachine: kind not UPPER_SNAKE_CASE', query: ADD_MACHINE, as: 'staff', variables: (f) => ({ gymId: f.gymId, name: 'Rower', kind: 'rower; drop table' }), code: 'BAD_USER_INPUT', field: 'kind' },
  { name: 'addMachine: huge kind', query: ADD_MACHINE, as: 'staff', variables: (f) => ({ gymId: f.gymId, name: 'Rower', kind: 'R'.repeat(1000) }), code: 'BAD_USER_INPUT', field: 'kind' },
  { name: 'addMachine: by a member', query: ADD_MACHINE, as: 'member', variables: (f) => ({ gymId: f.gymId, name: 'Rower', kind: 'ROWER' }), code: 'FORBIDDEN' },
];

describe(`bad input to gym mutations (${backends.database})`, () => {
  let gym: GymHarness;
  let fixture: Fixture;
  const tokens = {} as Record<As, string>;
  beforeAll(async () => {
    gym = await startGym();
    const { gym: g, machines } = await createGym(gym.db, 2);
    const [member, holder, staff] = [await viewer(), await viewer(), await viewer('GYM_STAFF')];
    Object.assign(tokens, { member: member.token, holder: holder.token, staff: staff.token });
    fixture = { gymId: g.id, freeMachineId: machines[0]!.id, heldMachineId: machines[1]!.id };
    await graphqlData(gym.url, CLAIM, { token: holder.token, variables: { machineId: fixture.heldMachineId } });
  });
  afterAll(async () => {
    await gym?.stop();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot(gym.db);
    const response = await graphql(gym.url, c.query, { token: tokens[c.as], variables: c.variables(fixture) });
    expect(response.data ?? null).toBeNull();
    expect(errorCodes(response)).toEqual([c.code]);
    if (c.field) expect(response.errors![0]!.extensions?.field).toBe(c.field);
    expect(JSON.stringify(response.errors)).not.toMatch(/at .*\.ts:\d+|stacktrace|Failed query/);
    expect(await snapshot(gym.db)).toEqual(before);
  });
});
