/**
 * Acceptance: one gateway query over a user's workouts, their sets, exercises, machines, gyms and
 * machine holders costs a bounded number of SQL statements per subgraph, the same for 10 and
 * for 100 workouts (each of 5 sets). Statements are counted by the driver hook of every subgraph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubgraphName } from '@fitgraph/platform';
import { backends, graphqlData, signUpUser, startTestStack, type TestAccount, type TestStack } from '@fitgraph/testkit';

const exercises = ['6a1b0c9e-0003-4000-8000-000000000001', '6a1b0c9e-0003-4000-8000-000000000005', '6a1b0c9e-0003-4000-8000-000000000003'];
// Machines of two gyms; the first is claimed by the big trainer so `currentUser` resolves through the user subgraph.
const machines = ['6a1b0c9e-0002-4000-8000-001000000004', '6a1b0c9e-0002-4000-8000-001000000005', '6a1b0c9e-0002-4000-8000-002000000004'];

// The acceptance query, exactly.
const backgroundWork = /"(event_outbox|processed_events|pending_revocations)"/;

const QUERY = `{ me { workouts(first: 100) { nodes { user { displayName } sets { exercise { name } machine { name gym { name } currentUser { displayName } } } } } } }`;

describe(`N+1: workouts x sets across five subgraphs (${backends.database})`, () => {
  let stack: TestStack;
  const statements: Record<string, string[]> = {};
  beforeAll(async () => {
    // 100 workouts in one day for one account: above the default daily bound, which has its own test.
    stack = await startTestStack({ WORKOUT_DAILY_LIMIT: '1000' }, {
      onQuery: (subgraph, sql) => {
        // The outbox and revocation relays poll on a timer, unrelated to the query being measured.
        if (!backgroundWork.test(sql)) (statements[subgraph] ??= []).push(sql);
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** `workouts` workouts of 5 sets each for `account`, written through the workout subgraph. */
  async function train(account: TestAccount, workouts: number) {
    const token = account.accessToken;
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
  }

  async function measure(account: TestAccount) {
    for (const key of Object.keys(statements)) statements[key] = [];
    const data = await graphqlData(stack.gateway.url, QUERY, { token: account.accessToken });
    const counts = Object.fromEntries(Object.entries(statements).map(([subgraph, list]) => [subgraph, list.length])) as Partial<Record<SubgraphName, number>>;
    return { data, counts };
  }

  it('costs the same bounded number of statements per subgraph for 10 and 100 workouts', async () => {
    const [big, small] = await Promise.all([signUpUser(stack.gateway.url), signUpUser(stack.gateway.url)]);
    await train(big, 100);
    await train(small, 10);
    await graphqlData(stack.gateway.url, `mutation($m: ID!) { claimMachine(machineId: $m) { id } }`, { token: big.accessToken, variables: { m: machines[0] } });

    const many = await measure(big);
    const nodes = many.data.me.workouts.nodes;
    expect(nodes).toHaveLength(100);
    const sets = nodes.flatMap((n: any) => n.sets);
    expect(sets).toHaveLength(500);
    expect(nodes.every((n: any) => n.user.displayName === big.displayName)).toBe(true);
    expect(new Set(sets.map((s: any) => s.machine.gym.name))).toEqual(new Set(['Iron Harbor Fitness', 'Summit Strength Club']));
    expect(sets.filter((s: any) => s.machine.currentUser?.displayName === big.displayName).length).toBeGreaterThan(100);

    const few = await measure(small);
    expect(few.data.me.workouts.nodes).toHaveLength(10);

    console.info(`SQL statements per subgraph, 100 workouts: ${JSON.stringify(many.counts)}; 10 workouts: ${JSON.stringify(few.counts)}`);
    for (const subgraph of ['user', 'gym', 'workout'] as const) {
      expect(many.counts[subgraph] ?? 0, subgraph).toBeLessThanOrEqual(4);
      expect(many.counts[subgraph] ?? 0, subgraph).toBe(few.counts[subgraph] ?? 0);
    }
    expect(many.counts.nutrition ?? 0).toBe(0);
    expect(many.counts.chat ?? 0).toBe(0);
  });
});
