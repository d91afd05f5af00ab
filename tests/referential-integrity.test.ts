/**
 * Ids that point into another subgraph's data are checked before they are stored:
 * through the gateway, an unknown gym, machine or member is refused with BAD_USER_INPUT naming the
 * field and nothing is stored, so later reads never fail with "Cannot return null for non-nullable
 * field". Ids created a moment earlier in the owning subgraph are accepted at once (the replicas
 * fed by the owners' events catch up; service-kit references.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, errorCodes, eventually, graphql, graphqlData, signUpUser, startTestStack, type TestAccount, type TestStack } from '@fitgraph/testkit';

const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';
const summit = '6a1b0c9e-0001-4000-8000-000000000002';
const backSquat = '6a1b0c9e-0003-4000-8000-000000000001';
const UPDATE = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id homeGym { id name } } }';
const LOG_SET = 'mutation($w: ID!, $input: LogSetInput!) { logSet(workoutId: $w, input: $input) { id machine { id name } } }';
const START = 'mutation($ids: [ID!]!) { startConversation(memberIds: $ids) { id members { id displayName } } }';

describe(`references across subgraphs (${backends.database}, ${backends.pubsub})`, () => {
  let stack: TestStack;
  let url: string;
  let member: TestAccount;
  beforeAll(async () => {
    stack = await startTestStack();
    url = stack.gateway.url;
    member = await signUpUser(url);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const refusedWith = (response: Awaited<ReturnType<typeof graphql>>, field: string) => {
    expect(errorCodes(response), JSON.stringify(response.errors)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
    expect(response.data ?? null).toBeNull();
  };

  it('homeGymId: an unknown gym is refused and the profile stays readable; a seeded gym is accepted', async () => {
    refusedWith(await graphql(url, UPDATE, { token: member.accessToken, variables: { input: { homeGymId: randomUUID() } } }), 'input.homeGymId');
    // Before: stored, and every later `me { homeGym { name } }` failed.
    const me = await graphql(url, '{ me { id homeGym { id name } } }', { token: member.accessToken });
    expect(me.errors).toBeUndefined();
    expect(me.data?.me).toEqual({ id: member.id, homeGym: null });
    const updated = await graphqlData(url, UPDATE, { token: member.accessToken, variables: { input: { homeGymId: summit } } });
    expect(updated.updateProfile.homeGym).toEqual({ id: summit, name: 'Summit Strength Club' });
  });

  it("a set's machineId: an unknown machine is refused and the workout stays readable; one added a moment ago is accepted", async () => {
    const { startWorkout } = await graphqlData(url, 'mutation { startWorkout { id } }', { token: member.accessToken });
    refusedWith(
      await graphql(url, LOG_SET, { token: member.accessToken, variables: { w: startWorkout.id, input: { exerciseId: backSquat, machineId: randomUUID(), reps: 5, weightKg: 60 } } }),
      'input.machineId',
    );
    const workout = await graphql(url, 'query($id: ID!) { workout(id: $id) { sets { id machine { name } } } }', { token: member.accessToken, variables: { id: startWorkout.id } });
    expect(workout.errors).toBeUndefined();
    expect(workout.data?.workout).toEqual({ sets: [] });

    const staff = await signUpUser(url, { role: 'GYM_STAFF' });
    const { addMachine } = await graphqlData(url, 'mutation($g: ID!) { addMachine(gymId: $g, name: "Fresh Rack", kind: "SQUAT_RACK") { machine { id } } }', {
      token: staff.accessToken,
      variables: { g: ironHarbor },
    });
    const logged = await graphqlData(url, LOG_SET, {
      token: member.accessToken,
      variables: { w: startWorkout.id, input: { exerciseId: backSquat, machineId: addMachine.machine.id, reps: 5, weightKg: 60 } },
    });
    expect(logged.logSet.machine).toEqual({ id: addMachine.machine.id, name: 'Fresh Rack' });
  });

  it('conversation members: an unknown id is refused, nothing is started; a deleted account is refused too', async () => {
    const friend = await signUpUser(url, { displayName: 'Friend' });
    refusedWith(await graphql(url, START, { token: member.accessToken, variables: { ids: [friend.id, randomUUID()] } }), 'memberIds');
    expect((await graphqlData(url, '{ conversations { id } }', { token: friend.accessToken })).conversations).toEqual([]);
    const started = await graphqlData(url, START, { token: member.accessToken, variables: { ids: [friend.id] } });
    expect(started.startConversation.members.map((m: { displayName: string }) => m.displayName)).toContain('Friend');

    const leaving = await signUpUser(url);
    await graphqlData(url, 'mutation { deleteAccount }', { token: leaving.accessToken });
    // Once chat has handled user.deleted the id is refused (before that it may still be accepted and is then cleaned up).
    const response = await eventually(
      async () => {
        const attempt = await graphql(url, START, { token: member.accessToken, variables: { ids: [leaving.id] } });
        return errorCodes(attempt).includes('BAD_USER_INPUT') ? attempt : null;
      },
      { what: 'chat to refuse the deleted account' },
    );
    refusedWith(response, 'memberIds');
  });
});
