/**
 * Demo activity: right after a start, the demo members have weeks of workouts (with personal
 * records) and a week of meals with goals, as a developer signed in to Sandbox sees them. The
 * seed is a no-op the second time and writes no demo history in production.
 */
import { getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSubgraphConfig, seedOptionsOf, type AnySubgraphDefinition } from '@fitgraph/platform';
import type { Database } from '@fitgraph/service-kit';
import { allSubgraphs } from '@fitgraph/stack';
import { backends, demoAdmin, generatedAuthEnv, graphqlData, openTestDatabase, signIn, startTestStack, type TestStack } from '@fitgraph/testkit';

const day = 24 * 3_600_000;
/** YYYY-MM-DD of `instant` in `timeZone`. */
const localDate = (instant: Date | string, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instant));

const ME = `query($date: Date!) { me { displayName
  workouts(first: 20) { hasNextPage nodes { id startedAt finishedAt totalVolumeKg sets { reps weightKg exercise { name } machine { name gym { name } } } } }
  personalRecords { exercise { name } weightKg reps achievedAt workout { id } }
  dailyNutrition(date: $date) { date kcal proteinG carbsG fatG goals { kcal proteinG carbsG fatG } entries { grams eatenAt kcal food { name } } }
} }`;

describe(`demo members' activity through the gateway (${backends.database})`, () => {
  let stack: TestStack;
  const tokenOf = async (email: string) => (await signIn(stack.gateway.url, email, demoAdmin.password)).accessToken;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Alex sees three weeks of finished workouts with sets on Hamburg machines, one in progress, and growing records', async () => {
    const token = await tokenOf('alex@demo.fitgraph.dev');
    const { me } = await graphqlData(stack.gateway.url, ME, { token, variables: { date: localDate(new Date(), 'Europe/Berlin') } });
    expect(me.displayName).toBe('Alex Demo');
    const workouts: any[] = me.workouts.nodes;
    expect(workouts).toHaveLength(9);
    expect(me.workouts.hasNextPage).toBe(false);
    const [current, ...finished] = workouts;
    expect(current.finishedAt).toBeNull();
    expect(current.sets.length).toBeGreaterThan(0);
    for (const workout of finished) {
      expect(workout.finishedAt, workout.id).not.toBeNull();
      expect(Date.parse(workout.finishedAt)).toBeGreaterThan(Date.parse(workout.startedAt));
      expect(workout.sets.length).toBeGreaterThanOrEqual(3);
      expect(workout.sets.length).toBeLessThanOrEqual(6);
      expect(workout.totalVolumeKg).toBeGreaterThan(1000);
    }
    const oldest = Date.parse(finished.at(-1).startedAt);
    expect(Date.now() - oldest).toBeGreaterThan(14 * day);
    expect(Date.now() - oldest).toBeLessThan(28 * day);
    const onMachines = workouts.flatMap((w) => w.sets).filter((s) => s.machine);
    expect(onMachines.length).toBeGreaterThan(10);
    expect(new Set(onMachines.map((s) => s.machine.gym.name))).toEqual(new Set(['Iron Harbor Fitness']));

    // Progressive overload: the squat record is heavier than the first squat session.
    const firstSquat = Math.max(...finished.at(-1).sets.filter((s: any) => s.exercise.name === 'Back Squat').map((s: any) => s.weightKg));
    const records = new Map<string, any>(me.personalRecords.map((r: any) => [r.exercise.name, r]));
    expect([...records.keys()].sort()).toEqual(['Back Squat', 'Bench Press', 'Deadlift', 'Lat Pulldown', 'Overhead Press', 'Triceps Pushdown']);
    expect(records.get('Back Squat').weightKg).toBeGreaterThan(firstSquat);
    expect(records.get('Back Squat').workout.id).toBe(current.id);
    expect(records.get('Deadlift').weightKg).toBe(155);
  });

  it("Alex's day three days ago: meals of that Berlin date, totals as logged, goals 2600/160/300/80", async () => {
    const token = await tokenOf('alex@demo.fitgraph.dev');
    const date = localDate(new Date(Date.now() - 3 * day), 'Europe/Berlin');
    const { me } = await graphqlData(stack.gateway.url, ME, { token, variables: { date } });
    const nutrition = me.dailyNutrition;
    expect(nutrition.date).toBe(date);
    expect(nutrition.goals).toEqual({ kcal: 2600, proteinG: 160, carbsG: 300, fatG: 80 });
    expect(nutrition.entries.length).toBeGreaterThanOrEqual(8);
    for (const entry of nutrition.entries) expect(localDate(entry.eatenAt, 'Europe/Berlin')).toBe(date);
    expect(nutrition.kcal).toBeCloseTo(nutrition.entries.reduce((sum: number, e: any) => sum + e.kcal, 0), 5);
    expect(nutrition.kcal).toBeGreaterThan(2000);
    expect(nutrition.kcal).toBeLessThan(3200);
    expect(nutrition.proteinG).toBeGreaterThan(100);
    // Nothing is logged for today yet: the demo week ends yesterday.
    const today = await graphqlData(stack.gateway.url, ME, { token, variables: { date: localDate(new Date(), 'Europe/Berlin') } });
    expect(today.me.dailyNutrition.entries).toEqual([]);
  });

  it("Sam's New York day includes the dinner logged after midnight UTC; Sam trains in Munich", async () => {
    const token = await tokenOf('sam@demo.fitgraph.dev');
    const date = localDate(new Date(Date.now() - day), 'America/New_York');
    const { me } = await graphqlData(stack.gateway.url, ME, { token, variables: { date } });
    const entries: any[] = me.dailyNutrition.entries;
    expect(entries.length).toBeGreaterThanOrEqual(6);
    for (const entry of entries) expect(localDate(entry.eatenAt, 'America/New_York')).toBe(date);
    expect(entries.some((e) => e.eatenAt.slice(0, 10) !== date)).toBe(true);
    expect(me.dailyNutrition.goals.kcal).toBe(1900);
    expect(me.workouts.nodes).toHaveLength(8);
    expect(me.workouts.nodes.every((w: any) => w.finishedAt)).toBe(true);
    const gyms = new Set(me.workouts.nodes.flatMap((w: any) => w.sets).filter((s: any) => s.machine).map((s: any) => s.machine.gym.name));
    expect(gyms).toEqual(new Set(['Summit Strength Club']));
    // Body-weight pull-ups: the record is the set with the most reps.
    expect(me.personalRecords.find((r: any) => r.exercise.name === 'Pull-Up')).toMatchObject({ weightKg: 0, reps: 8 });
  });
});

/** Every row of every table of the subgraph's schema, by table name. */
async function snapshot(db: Database<Record<string, unknown>>, schema: Record<string, unknown>) {
  const rows: Record<string, unknown[]> = {};
  for (const table of Object.values(schema)) if (is(table, PgTable)) rows[getTableName(table)] = await db.select().from(table);
  return rows;
}

describe.each(['workout', 'nutrition'])('%s demo seed', (name) => {
  const definition = allSubgraphs.find((d) => d.name === name) as AnySubgraphDefinition;
  const seeded = async (source: NodeJS.ProcessEnv, times = 1) => {
    const database = await openTestDatabase(definition.name, definition.dbSchema);
    try {
      const runs = [];
      for (let i = 0; i < times; i++) {
        await definition.seed(database.db, seedOptionsOf(loadSubgraphConfig(definition, { ...generatedAuthEnv(), ...source })));
        runs.push(await snapshot(database.db, definition.dbSchema));
        await new Promise((resolve) => setTimeout(resolve, 20)); // a later "now" would move any re-written time
      }
      return runs;
    } finally {
      await database.close();
    }
  };
  const activity = name === 'workout' ? ['workouts', 'workout_sets'] : ['meal_entries', 'nutrition_goals'];

  it('is a no-op the second time: same rows, same times', async () => {
    const [first, second] = await seeded({ NODE_ENV: 'development' }, 2);
    for (const table of activity) expect(first![table]!.length, table).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });

  it('writes no demo activity in production unless DEMO_PASSWORD enables the demo accounts', async () => {
    const [production] = await seeded({ NODE_ENV: 'production' });
    for (const table of activity) expect(production![table], table).toEqual([]);
    expect(Object.values(production!).some((rows) => rows.length > 0)).toBe(true); // the catalogue
    const [demo] = await seeded({ NODE_ENV: 'production', DEMO_PASSWORD: 'a-demo-password' });
    for (const table of activity) expect(demo![table]!.length, table).toBeGreaterThan(0);
  });
});
