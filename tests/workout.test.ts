/** Workouts through the gateway: sets on machines resolved by gym, owners resolved by user, visibility, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, errorCodes, graphql, graphqlData, operations, signUpUser, startTestStack, testViewer, type TestStack } from '@fitgraph/testkit';

const { TestFinishWorkoutDocument, TestLogSetDocument, TestStartWorkoutDocument, TestUserTrainingDocument, TestWorkoutDocument } = operations;

const alex = '6a1b0c9e-0005-4000-8000-000000000001';
const taylorTrainer = '6a1b0c9e-0005-4000-8000-000000000003';
const backSquat = '6a1b0c9e-0003-4000-8000-000000000001';
const rower = '6a1b0c9e-0002-4000-8000-001000000003';

describe(`workouts through the gateway (${backends.database})`, () => {
  let stack: TestStack;
  let gateway: string;
  beforeAll(async () => {
    stack = await startTestStack();
    gateway = stack.gateway.url;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('logs a workout whose sets, machines and owner resolve across subgraphs', async () => {
    // A fresh member: the demo members come with seeded workouts (tests/demo-data.test.ts).
    const member = await signUpUser(gateway);
    const token = member.accessToken;
    const { startWorkout } = await graphqlData(gateway, TestStartWorkoutDocument, { token });
    expect(startWorkout.user.displayName).toBe(member.displayName);
    const logged = await graphqlData(gateway, TestLogSetDocument, {
      token,
      variables: { workoutId: startWorkout.id, input: { exerciseId: backSquat, machineId: rower, reps: 10, weightKg: 42.5 } },
    });
    expect(logged.logSet).toMatchObject({ reps: 10, weightKg: 42.5, exercise: { name: 'Back Squat' }, machine: { name: 'Concept2 Rower A', kind: 'ROWER', gym: { name: 'Iron Harbor Fitness' } } });
    await graphqlData(gateway, TestLogSetDocument, { token, variables: { workoutId: startWorkout.id, input: { exerciseId: backSquat, reps: 3, weightKg: 100 } } });
    const { finishWorkout } = await graphqlData(gateway, TestFinishWorkoutDocument, { token, variables: { workoutId: startWorkout.id } });
    expect(finishWorkout).toMatchObject({ totalVolumeKg: 725, sets: [{ machine: { name: 'Concept2 Rower A' } }, { machine: null }] });

    const trainer = await testViewer('TRAINER', taylorTrainer);
    const seen = await graphqlData(gateway, TestUserTrainingDocument, { token: trainer.token, variables: { id: member.id, first: 1 } });
    expect(seen.user?.workouts).toMatchObject({ nodes: [{ id: startWorkout.id, totalVolumeKg: 725 }], hasNextPage: false });
    expect(seen.user?.personalRecords).toEqual([{ exercise: { name: 'Back Squat' }, weightKg: 100, reps: 3 }]);
  });

  it("keeps a member's workouts from other members, with the error code at the field", async () => {
    const stranger = await testViewer('MEMBER');
    const { token } = await testViewer('MEMBER', alex);
    const { startWorkout } = await graphqlData(gateway, TestStartWorkoutDocument, { token });

    const direct = await graphql(gateway, TestWorkoutDocument, { token: stranger.token, variables: { id: startWorkout.id } });
    expect(errorCodes(direct)).toEqual(['FORBIDDEN']);
    expect(direct.data?.workout).toBeNull();

    const viaUser = await graphql(gateway, 'query($id: ID!) { user(id: $id) { displayName workouts { nodes { id } } } }', { token: stranger.token, variables: { id: alex } });
    expect(errorCodes(viaUser)).toEqual(['FORBIDDEN']);
    expect(viaUser.errors?.[0]?.path).toEqual(['user', 'workouts']);

    const anonymous = await graphql(gateway, TestStartWorkoutDocument, {});
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
  });

  it('reports validation errors with their field through the gateway', async () => {
    const { token } = await testViewer('MEMBER', alex);
    const { startWorkout } = await graphqlData(gateway, TestStartWorkoutDocument, { token });
    const response = await graphql(gateway, TestLogSetDocument, {
      token,
      variables: { workoutId: startWorkout.id, input: { exerciseId: backSquat, reps: 1001, weightKg: 10 } },
    });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reps' });
    const page = await graphql(gateway, TestUserTrainingDocument, { token, variables: { id: alex, first: 500 } });
    expect(page.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});
