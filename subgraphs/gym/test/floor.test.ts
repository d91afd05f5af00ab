import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, errorCodes, graphql, graphqlData } from '@fitgraph/testkit';
import { schema } from '../src/server';
import { createGym, snapshot, startGym, viewer, type GymHarness } from './harness';

const CHECK_IN = `mutation($gymId: ID!) { checkIn(gymId: $gymId) { id occupancy } }`;
const CHECK_OUT = `mutation($gymId: ID!) { checkOut(gymId: $gymId) { id occupancy } }`;
const CLAIM = `mutation($machineId: ID!) { claimMachine(machineId: $machineId) { id status currentUser { id } } }`;
const RELEASE = `mutation($machineId: ID!) { releaseMachine(machineId: $machineId) { id status currentUser { id } } }`;
const SET_STATUS = `mutation($machineId: ID!, $status: MachineStatus!) { setMachineStatus(machineId: $machineId, status: $status) { id status currentUser { id } } }`;
const ADD_MACHINE = `mutation($gymId: ID!, $name: String!, $kind: String!) { addMachine(gymId: $gymId, name: $name, kind: $kind) { deviceKey machine { id name kind status gym { id } } } }`;

describe(`gym floor (${backends.database}, ${backends.pubsub} pub/sub)`, () => {
  let gym: GymHarness;
  beforeAll(async () => {
    gym = await startGym();
  });
  afterAll(async () => {
    await gym?.stop();
  });

  const history = (machineId: string) =>
    gym.db.db.select().from(schema.machineStatusHistory).where(eq(schema.machineStatusHistory.machineId, machineId)).orderBy(asc(schema.machineStatusHistory.at));

  describe('check-in', () => {
    it('counts open check-ins as occupancy, one per member per gym', async () => {
      const { gym: g } = await createGym(gym.db, 0);
      const [ann, ben] = [await viewer(), await viewer()];
      expect((await graphqlData(gym.url, CHECK_IN, { token: ann.token, variables: { gymId: g.id } })).checkIn.occupancy).toBe(1);
      expect((await graphqlData(gym.url, CHECK_IN, { token: ben.token, variables: { gymId: g.id } })).checkIn.occupancy).toBe(2);

      const before = await snapshot(gym.db);
      const again = await graphql(gym.url, CHECK_IN, { token: ann.token, variables: { gymId: g.id } });
      expect(errorCodes(again)).toEqual(['CONFLICT']);
      expect(await snapshot(gym.db)).toEqual(before);

      expect((await graphqlData(gym.url, CHECK_OUT, { token: ann.token, variables: { gymId: g.id } })).checkOut.occupancy).toBe(1);
      expect(errorCodes(await graphql(gym.url, CHECK_OUT, { token: ann.token, variables: { gymId: g.id } }))).toEqual(['CONFLICT']);
      // Checking in again after leaving is a new visit.
      expect((await graphqlData(gym.url, CHECK_IN, { token: ann.token, variables: { gymId: g.id } })).checkIn.occupancy).toBe(2);
      const rows = await gym.db.db.select().from(schema.checkIns).where(eq(schema.checkIns.userId, ann.id));
      expect(rows.map((r) => r.checkedOutAt === null).sort()).toEqual([false, true]);
    });

    it('lets a member be checked in at two gyms, and 10 concurrent check-ins of one member make one', async () => {
      const [{ gym: a }, { gym: b }] = [await createGym(gym.db, 0), await createGym(gym.db, 0)];
      const member = await viewer();
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => graphql(gym.url, CHECK_IN, { token: member.token, variables: { gymId: a.id } })),
      );
      expect(responses.filter((r) => !r.errors).length).toBe(1);
      expect(responses.flatMap(errorCodes)).toEqual(Array(9).fill('CONFLICT'));
      await graphqlData(gym.url, CHECK_IN, { token: member.token, variables: { gymId: b.id } });
      const data = await graphqlData(gym.url, `query($a: ID!, $b: ID!) { a: gym(id: $a) { occupancy } b: gym(id: $b) { occupancy } }`, { variables: { a: a.id, b: b.id } });
      expect(data).toEqual({ a: { occupancy: 1 }, b: { occupancy: 1 } });
    });

    it('requires a signed-in member and an existing gym', async () => {
      const { gym: g } = await createGym(gym.db, 0);
      expect(errorCodes(await graphql(gym.url, CHECK_IN, { variables: { gymId: g.id } }))).toEqual(['UNAUTHENTICATED']);
      const member = await viewer();
      expect(errorCodes(await graphql(gym.url, CHECK_IN, { token: member.token, variables: { gymId: randomUUID() } }))).toEqual(['NOT_FOUND']);
    });

    it('checking out releases the machine the member holds in that gym', async () => {
      const { gym: g, machines } = await createGym(gym.db, 1);
      const member = await viewer();
      await graphqlData(gym.url, CHECK_IN, { token: member.token, variables: { gymId: g.id } });
      await graphqlData(gym.url, CLAIM, { token: member.token, variables: { machineId: machines[0]!.id } });
      await graphqlData(gym.url, CHECK_OUT, { token: member.token, variables: { gymId: g.id } });
      const [machine] = await gym.db.db.select().from(schema.machines).where(eq(schema.machines.id, machines[0]!.id));
      expect(machine).toMatchObject({ status: 'AVAILABLE', currentUserId: null });
      expect((await history(machines[0]!.id)).map((h) => [h.previousStatus, h.status])).toEqual([['AVAILABLE', 'IN_USE'], ['IN_USE', 'AVAILABLE']]);
    });
  });

  describe('claim and release', () => {
    it('20 concurrent claims of one machine by 20 members: exactly one wins, in the database too', async () => {
      const { machines } = await createGym(gym.db, 1);
      const machineId = machines[0]!.id;
      const members = await Promise.all(Array.from({ length: 20 }, () => viewer()));
      const responses = await Promise.all(members.map((m) => graphql(gym.url, CLAIM, { token: m.token, variables: { machineId } })));

      const winners = responses.flatMap((r, i) => (r.errors ? [] : [members[i]!.id]));
      expect(winners).toHaveLength(1);
      expect(responses.filter((r) => r.errors).flatMap(errorCodes)).toEqual(Array(19).fill('CONFLICT'));
      for (const r of responses.filter((r) => r.errors)) expect(r.errors![0]!.message).toBe('Machine is IN_USE, not AVAILABLE');
      const winner = responses.find((r) => !r.errors)!;
      expect(winner.data!.claimMachine).toEqual({ id: machineId, status: 'IN_USE', currentUser: { id: winners[0] } });

      const [row] = await gym.db.db.select().from(schema.machines).where(eq(schema.machines.id, machineId));
      expect(row).toMatchObject({ status: 'IN_USE', currentUserId: winners[0] });
      const transitions = await history(machineId);
      expect(transitions).toHaveLength(1);
      expect(transitions[0]).toMatchObject({ previousStatus: 'AVAILABLE', status: 'IN_USE', changedBy: winners[0], source: 'MEMBER' });
    });

    it('a member holds at most one machine, even when claiming two at once', async () => {
      const { machines } = await createGym(gym.db, 4);
      const member = await viewer();
      const first = await Promise.all(
        [machines[0]!, machines[1]!].map((m) => graphql(gym.url, CLAIM, { token: member.token, variables: { machineId: m.id } })),
      );
      expect(first.filter((r) => !r.errors)).toHaveLength(1);
      expect(first.flatMap(errorCodes)).toEqual(['CONFLICT']);
      const held = await gym.db.db.select().from(schema.machines).where(eq(schema.machines.currentUserId, member.id));
      expect(held).toHaveLength(1);

      const third = await graphql(gym.url, CLAIM, { token: member.token, variables: { machineId: machines[2]!.id } });
      expect(errorCodes(third)).toEqual(['CONFLICT']);
      expect(third.errors![0]!.message).toMatch(/already hold a machine/);
      // After releasing, another machine can be claimed.
      await graphqlData(gym.url, RELEASE, { token: member.token, variables: { machineId: held[0]!.id } });
      await graphqlData(gym.url, CLAIM, { token: member.token, variables: { machineId: machines[2]!.id } });
    });

    it('only AVAILABLE machines can be claimed', async () => {
      const { machines } = await createGym(gym.db, 1);
      const staff = await viewer('GYM_STAFF');
      const member = await viewer();
      for (const status of ['OUT_OF_ORDER', 'MAINTENANCE', 'IN_USE'] as const) {
        await graphqlData(gym.url, SET_STATUS, { token: staff.token, variables: { machineId: machines[0]!.id, status } });
        const response = await graphql(gym.url, CLAIM, { token: member.token, variables: { machineId: machines[0]!.id } });
        expect(errorCodes(response)).toEqual(['CONFLICT']);
        expect(response.errors![0]!.message).toBe(`Machine is ${status}, not AVAILABLE`);
      }
    });

    it('only the holder, GYM_STAFF or ADMIN can release', async () => {
      const { machines } = await createGym(gym.db, 1);
      const machineId = machines[0]!.id;
      const [holder, other, trainer, staff, admin] = [await viewer(), await viewer(), await viewer('TRAINER'), await viewer('GYM_STAFF'), await viewer('ADMIN')];

      expect(errorCodes(await graphql(gym.url, RELEASE, { token: holder.token, variables: { machineId } }))).toEqual(['CONFLICT']);
      await graphqlData(gym.url, CLAIM, { token: holder.token, variables: { machineId } });
      const before = await snapshot(gym.db);
      for (const stranger of [other, trainer]) {
        expect(errorCodes(await graphql(gym.url, RELEASE, { token: stranger.token, variables: { machineId } }))).toEqual(['FORBIDDEN']);
      }
      expect(errorCodes(await graphql(gym.url, RELEASE, { variables: { machineId } }))).toEqual(['UNAUTHENTICATED']);
      expect(await snapshot(gym.db)).toEqual(before);

      expect((await graphqlData(gym.url, RELEASE, { token: holder.token, variables: { machineId } })).releaseMachine).toEqual({ id: machineId, status: 'AVAILABLE', currentUser: null });
      for (const releaser of [staff, admin]) {
        await graphqlData(gym.url, CLAIM, { token: holder.token, variables: { machineId } });
        await graphqlData(gym.url, RELEASE, { token: releaser.token, variables: { machineId } });
      }
      const sources = (await history(machineId)).map((h) => `${h.status}:${h.source}`);
      expect(sources).toEqual(['IN_USE:MEMBER', 'AVAILABLE:MEMBER', 'IN_USE:MEMBER', 'AVAILABLE:STAFF', 'IN_USE:MEMBER', 'AVAILABLE:STAFF']);
    });

    it('shows who holds a machine to signed-in callers only', async () => {
      const { machines } = await createGym(gym.db, 1);
      const member = await viewer();
      await graphqlData(gym.url, CLAIM, { token: member.token, variables: { machineId: machines[0]!.id } });
      const query = `query($id: ID!) { machine(id: $id) { status currentUser { id } } }`;
      expect((await graphqlData(gym.url, query, { variables: { id: machines[0]!.id } })).machine).toEqual({ status: 'IN_USE', currentUser: null });
      const someone = await viewer();
      expect((await graphqlData(gym.url, query, { token: someone.token, variables: { id: machines[0]!.id } })).machine).toEqual({ status: 'IN_USE', currentUser: { id: member.id } });
    });
  });

  describe('machine status and device keys', () => {
    it('addMachine (GYM_STAFF/ADMIN) returns a device key once and stores only its hash', async () => {
      const { gym: g } = await createGym(gym.db, 0);
      const member = await viewer();
      const variables = { gymId: g.id, name: 'Rower 7', kind: 'ROWER' };
      expect(errorCodes(await graphql(gym.url, ADD_MACHINE, { variables }))).toEqual(['UNAUTHENTICATED']);
      expect(errorCodes(await graphql(gym.url, ADD_MACHINE, { token: member.token, variables }))).toEqual(['FORBIDDEN']);

      const staff = await viewer('GYM_STAFF');
      const { addMachine } = await graphqlData(gym.url, ADD_MACHINE, { token: staff.token, variables });
      expect(addMachine.machine).toMatchObject({ name: 'Rower 7', kind: 'ROWER', status: 'AVAILABLE', gym: { id: g.id } });
      expect(addMachine.deviceKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const [row] = await gym.db.db.select().from(schema.machines).where(eq(schema.machines.id, addMachine.machine.id));
      expect(row!.deviceKeyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(addMachine.deviceKey);
      const admin = await viewer('ADMIN');
      const second = await graphqlData(gym.url, ADD_MACHINE, { token: admin.token, variables });
      expect(second.addMachine.deviceKey).not.toBe(addMachine.deviceKey);
    });

    it('the machine sets its own status with its device key, and only its own', async () => {
      const { gym: g } = await createGym(gym.db, 0);
      const staff = await viewer('GYM_STAFF');
      const add = (name: string) => graphqlData(gym.url, ADD_MACHINE, { token: staff.token, variables: { gymId: g.id, name, kind: 'BIKE' } });
      const { addMachine: bike } = await add('Bike 1');
      const { addMachine: other } = await add('Bike 2');
      const machineId = bike.machine.id;

      const set = (status: string, headers: Record<string, string>, token?: string) =>
        graphql(gym.url, SET_STATUS, { variables: { machineId, status }, headers, token });
      const own = await set('OUT_OF_ORDER', { 'x-device-key': bike.deviceKey });
      expect(own.errors).toBeUndefined();
      expect(own.data!.setMachineStatus).toEqual({ id: machineId, status: 'OUT_OF_ORDER', currentUser: null });
      expect((await history(machineId)).map((h) => [h.previousStatus, h.status, h.source, h.changedBy])).toEqual([['AVAILABLE', 'OUT_OF_ORDER', 'DEVICE', null]]);

      const before = await snapshot(gym.db);
      expect(errorCodes(await set('AVAILABLE', { 'x-device-key': other.deviceKey }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await set('AVAILABLE', { 'x-device-key': 'not-a-key' }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await set('AVAILABLE', {}))).toEqual(['UNAUTHENTICATED']);
      const member = await viewer();
      expect(errorCodes(await set('AVAILABLE', {}, member.token))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await set('AVAILABLE', { 'x-device-key': other.deviceKey }, member.token))).toEqual(['FORBIDDEN']);
      expect(await snapshot(gym.db)).toEqual(before);

      // Staff may set any status; the same status again is no change and no history row.
      await graphqlData(gym.url, SET_STATUS, { token: staff.token, variables: { machineId, status: 'MAINTENANCE' } });
      await graphqlData(gym.url, SET_STATUS, { token: staff.token, variables: { machineId, status: 'MAINTENANCE' } });
      expect((await history(machineId)).map((h) => `${h.status}:${h.source}`)).toEqual(['OUT_OF_ORDER:DEVICE', 'MAINTENANCE:STAFF']);
    });

    it('a status change away from IN_USE drops the holder', async () => {
      const { machines } = await createGym(gym.db, 1);
      const [member, admin] = [await viewer(), await viewer('ADMIN')];
      const machineId = machines[0]!.id;
      await graphqlData(gym.url, CLAIM, { token: member.token, variables: { machineId } });
      const kept = await graphqlData(gym.url, SET_STATUS, { token: admin.token, variables: { machineId, status: 'IN_USE' } });
      expect(kept.setMachineStatus.currentUser).toEqual({ id: member.id });
      const data = await graphqlData(gym.url, SET_STATUS, { token: admin.token, variables: { machineId, status: 'OUT_OF_ORDER' } });
      expect(data.setMachineStatus).toEqual({ id: machineId, status: 'OUT_OF_ORDER', currentUser: null });
      // The member is free to claim another machine.
      const [row] = await gym.db.db.select().from(schema.machines).where(eq(schema.machines.id, machineId));
      expect(row!.currentUserId).toBeNull();
    });
  });
});
