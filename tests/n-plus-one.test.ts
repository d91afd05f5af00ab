/**
 * Acceptance: one gateway query over a user's workouts, their sets, exercises, machines, gyms and
 * machine holders costs a bounded number of SQL statements per subgraph, the same for 10 and
 * for 100 workouts (each of 5 sets). Statements are counted by the driver hook of every subgraph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubgraphName } from '@fitgraph/service-kit';
import { backends, graphqlData, startTestStack, testViewer, type TestStack } from '@fitgraph/testkit';

const alex = '6a1b0c9e-0005-4000-8000-000000000001';
const sam = '6a1b0c9e-0005-4000-8000-000000000002';
const exercises = ['6a1b0c9e-0003-4000-8000-000000000001', '6a1b0c9e-0003-4000-8000-000000000005', '6a1b0c9e-0003-4000-8000-000000000003'];
// Machines of two gyms; the first is claimed by Alex so `currentUser` resolves through the user subgraph.
const machines = ['6a1b0c9e-0002-4000-8000-001000000004', '6a1b0c9e-0002-4000-8000-001000000005', '6a1b0c9e-0002-4000-8000-002000000004'];

const QUERY = `query($id: ID!) {
  user(id: $id) {
    workouts(first: 100) {
      nodes { user { displayName } sets { exercise { name } machine { name gym { name } currentUser { displayName } } } }
    }
  }
}`;

describe(`N+1: workouts x sets across five subgraphs (${backends.database})`, () => {
  let stack: TestStack;
  const statements: Record<string, string[]> = {};
  beforeAll(async () => {
    stack = await startTestStack({}, { onQuery: (subgraph, sql) => void (statements[subgraph] ??= []).push(sql) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** `workouts` workouts of 5 sets each for `userId`, written through the workout subgraph. */
  async function train(userId: string, workouts: number) {
    const { token } = await testViewer('MEMBER', userId);
    const url = stack.subgraphs.workout.url;
    await Promise.all(
      Array.from({ length: workouts }, async (_, w) => {
        const { startWorkout } = await graphqlData(url, 'mutation { startWorkout { id } }', { token });
        for (let s = 0; s < 5; s++) {
          await graphqlData(url, 'mutation($w: ID!, $input: LogSetInput!) { logSet(workoutId: $w, input: $input) { id } }', {
            token,
            variables: { w: startWorkout.id, input: { exerciseId: exercises[s % 3], machineId: machines[(w + s) % 3], reps: 5, weightKg: 20 + s } },
          });
        }
      }),
    );
    return token;
  }

  async function measure(userId: string, token: string) {
    for (const key of Object.keys(statements)) statements[key] = [];
    const data = await graphqlData(stack.gateway.url, QUERY, { token, variables: { id: userId } });
    const counts = Object.fromEntries(Object.entries(statements).map(([subgraph, list]) => [subgraph, list.length])) as Partial<Record<SubgraphName, number>>;
    return { data, counts };
  }

  it('costs the same bounded number of statements per subgraph for 10 and 100 workouts', async () => {
    const alexToken = await train(alex, 100);
    const samToken = await train(sam, 10);
    await graphqlData(stack.gateway.url, `mutation($m: ID!) { claimMachine(machineId: $m) { id } }`, { token: alexToken, variables: { m: machines[0] } });

    const big = await measure(alex, alexToken);
    const nodes = big.data.user.workouts.nodes;
    expect(nodes).toHaveLength(100);
    const sets = nodes.flatMap((n: any) => n.sets);
    expect(sets).toHaveLength(500);
    expect(nodes.every((n: any) => n.user.displayName === 'Alex Demo')).toBe(true);
    expect(new Set(sets.map((s: any) => s.machine.gym.name))).toEqual(new Set(['Iron Harbor Fitness', 'Summit Strength Club']));
    expect(sets.filter((s: any) => s.machine.currentUser?.displayName === 'Alex Demo').length).toBeGreaterThan(100);

    const small = await measure(sam, samToken);
    expect(small.data.user.workouts.nodes).toHaveLength(10);

    console.info(`SQL statements per subgraph, 100 workouts: ${JSON.stringify(big.counts)}; 10 workouts: ${JSON.stringify(small.counts)}`);
    for (const subgraph of ['user', 'gym', 'workout'] as const) {
      expect(big.counts[subgraph] ?? 0, subgraph).toBeLessThanOrEqual(4);
      expect(big.counts[subgraph] ?? 0, subgraph).toBe(small.counts[subgraph] ?? 0);
    }
    expect(big.counts.nutrition ?? 0).toBe(0);
    expect(big.counts.chat ?? 0).toBe(0);
  });
});
