/** The nutrition subgraph alone against its own database: meals, daily totals per time zone, goals, validation, batching. */
import { randomUUID } from 'node:crypto';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventHandlerTools } from '@fitgraph/platform';
import { createLogger, openPubSub } from '@fitgraph/service-kit';
import { backends, graphql, graphqlData, startTestSubgraph, testViewer, type TestSubgraph } from '@fitgraph/testkit';
import { nutritionSubgraph, schema } from '../src/server';

/** Statements a request made: not the background event consumer's or outbox relay's, which may run at any time. */
const requestStatements = (queries: string[]) => queries.filter((sql) => !/\b(outbox|processed_events|known_\w+)\b/.test(sql));

const food = {
  oats: '6a1b0c9e-0004-4000-8000-000000000026',
  banana: '6a1b0c9e-0004-4000-8000-000000000057',
  chicken: '6a1b0c9e-0004-4000-8000-000000000001',
  oliveOil: '6a1b0c9e-0004-4000-8000-000000000074',
};

const LOG_MEAL = 'mutation($input: LogMealInput!) { logMeal(input: $input) { id grams eatenAt kcal proteinG food { name } } }';
const DELETE = 'mutation($id: ID!) { deleteMealEntry(id: $id) }';
const SET_GOALS = 'mutation($input: NutritionGoalsInput!) { setNutritionGoals(input: $input) { kcal proteinG carbsG fatG updatedAt } }';
const DAY = `query($reps: [_Any!]!, $date: Date!) { _entities(representations: $reps) { ... on User {
  dailyNutrition(date: $date) {
    date timeZone kcal proteinG carbsG fatG entries { id grams eatenAt kcal food { name } }
    goals { kcal } remaining { kcal proteinG carbsG fatG } percentOfGoals { kcal proteinG carbsG fatG }
  }
} } }`;

/** Within 0.1 (kcal or g), the acceptance tolerance. */
const near = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(0.1);

/** What the event consumer hands a handler; these handlers use none of it. */
const handlerTools: EventHandlerTools = { pubsub: openPubSub(undefined, '').pubsub, logger: createLogger('test', 'silent'), afterCommit: () => {} };

describe(`nutrition subgraph (${backends.database})`, () => {
  let sub: TestSubgraph<typeof schema>;
  let url: string;
  beforeAll(async () => {
    sub = await startTestSubgraph(nutritionSubgraph);
    url = sub.url;
  });
  afterAll(async () => {
    await sub?.stop();
  });

  const snapshot = async () => ({
    entries: await sub.db.db.select().from(schema.mealEntries).orderBy(asc(schema.mealEntries.id)),
    goals: await sub.db.db.select().from(schema.nutritionGoals).orderBy(asc(schema.nutritionGoals.userId)),
  });
  const logMeal = async (token: string, foodId: string, grams: number, eatenAt?: string) =>
    (await graphqlData(url, LOG_MEAL, { token, variables: { input: { foodId, grams, eatenAt } } })).logMeal;
  const day = async (token: string, userId: string, timeZone: string, date: string) =>
    (await graphqlData(url, DAY, { token, variables: { reps: [{ __typename: 'User', id: userId, timeZone }], date } }))._entities[0].dailyNutrition;

  it('sums kcal and macros of a day from the foods per 100 g (hand-computed fixture)', async () => {
    const me = await testViewer();
    await logMeal(me.token, food.oats, 80, '2026-05-04T07:15:00Z');
    await logMeal(me.token, food.banana, 118, '2026-05-04T10:00:00Z');
    await logMeal(me.token, food.chicken, 150, '2026-05-04T12:30:00Z');
    await logMeal(me.token, food.oliveOil, 13.5, '2026-05-04T23:59:59.999Z');
    await logMeal(me.token, food.banana, 500, '2026-05-03T23:59:59.999Z'); // the day before
    await logMeal(me.token, food.banana, 500, '2026-05-05T00:00:00.000Z'); // the day after

    const result = await day(me.token, me.id, 'UTC', '2026-05-04');
    // oats 80 g: 379*0.8 = 303.2 kcal, P 10.56, C 54.16, F 5.2
    // banana 118 g: 89*1.18 = 105.02 kcal, P 1.298, C 26.904, F 0.354
    // chicken 150 g: 165*1.5 = 247.5 kcal, P 46.5, C 0, F 5.4
    // olive oil 13.5 g: 884*0.135 = 119.34 kcal, P 0, C 0, F 13.5
    near(result.kcal, 775.06);
    near(result.proteinG, 58.358);
    near(result.carbsG, 81.064);
    near(result.fatG, 24.454);
    expect(result).toMatchObject({ date: '2026-05-04', timeZone: 'UTC', goals: null, remaining: null, percentOfGoals: null });
    expect(result.entries.map((e: any) => [e.food.name, e.grams])).toEqual([
      ['Oats, rolled, dry', 80],
      ['Banana, raw', 118],
      ['Chicken breast, cooked, skinless', 150],
      ['Olive oil', 13.5],
    ]);
    near(result.entries[0].kcal, 303.2);
    expect((await day(me.token, me.id, 'UTC', '2026-05-06')).entries).toEqual([]);
  });

  it("counts a meal on the user's local date: 23:30 in New York is the same local day", async () => {
    const me = await testViewer();
    // 2026-03-14 23:30 EDT (UTC-4) = 2026-03-15T03:30Z; 2026-03-15 00:15 EDT = 04:15Z.
    await logMeal(me.token, food.banana, 100, '2026-03-15T03:30:00Z');
    await logMeal(me.token, food.oats, 100, '2026-03-15T04:15:00Z');
    // DST starts 2026-03-08 (a 23-hour day): 23:30 EDT = 2026-03-09T03:30Z; 00:30 EST = 05:30Z.
    await logMeal(me.token, food.chicken, 100, '2026-03-09T03:30:00Z');
    await logMeal(me.token, food.chicken, 200, '2026-03-08T05:30:00Z');

    const ny = (date: string) => day(me.token, me.id, 'America/New_York', date);
    near((await ny('2026-03-14')).kcal, 89);
    near((await ny('2026-03-15')).kcal, 379);
    near((await ny('2026-03-08')).kcal, 165 * 3);
    expect((await ny('2026-03-09')).entries).toEqual([]);
    // The same meals in UTC fall on other dates.
    near((await day(me.token, me.id, 'UTC', '2026-03-15')).kcal, 89 + 379);
    expect((await day(me.token, me.id, 'UTC', '2026-03-14')).entries).toEqual([]);
  });

  it('sets goals and reports the day against them', async () => {
    const me = await testViewer();
    expect((await graphqlData(url, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { nutritionGoals { kcal } } } }`, {
      token: me.token, variables: { reps: [{ __typename: 'User', id: me.id }] },
    }))._entities[0].nutritionGoals).toBeNull();
    await graphqlData(url, SET_GOALS, { token: me.token, variables: { input: { kcal: 3000, proteinG: 100, carbsG: 300, fatG: 100 } } });
    const goals = (await graphqlData(url, SET_GOALS, { token: me.token, variables: { input: { kcal: 2000, proteinG: 150, carbsG: 200, fatG: 70 } } })).setNutritionGoals;
    expect(goals).toMatchObject({ kcal: 2000, proteinG: 150, carbsG: 200, fatG: 70 });
    await logMeal(me.token, food.chicken, 200, '2026-06-01T12:00:00Z'); // 330 kcal, P 62, C 0, F 7.2
    const result = await day(me.token, me.id, 'UTC', '2026-06-01');
    expect(result.goals).toEqual({ kcal: 2000 });
    near(result.remaining.kcal, 1670);
    near(result.remaining.proteinG, 88);
    near(result.remaining.carbsG, 200);
    near(result.remaining.fatG, 62.8);
    near(result.percentOfGoals.kcal, 16.5);
    near(result.percentOfGoals.proteinG, 41.333);
    near(result.percentOfGoals.fatG, 10.286);
    expect(await sub.db.db.select().from(schema.nutritionGoals).then((rows) => rows.filter((r) => r.userId === me.id))).toHaveLength(1);
  });

  it('deletes an own meal entry', async () => {
    const me = await testViewer();
    const entry = await logMeal(me.token, food.oats, 50, '2026-07-01T08:00:00Z');
    expect(await graphqlData(url, DELETE, { token: me.token, variables: { id: entry.id } })).toEqual({ deleteMealEntry: true });
    expect((await day(me.token, me.id, 'UTC', '2026-07-01')).entries).toEqual([]);
    expect((await graphql(url, DELETE, { token: me.token, variables: { id: entry.id } })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('logs a meal now when eatenAt is omitted', async () => {
    const me = await testViewer();
    const entry = (await graphqlData(url, LOG_MEAL, { token: me.token, variables: { input: { foodId: food.banana, grams: 120 } } })).logMeal;
    expect(Math.abs(Date.parse(entry.eatenAt) - Date.now())).toBeLessThan(60_000);
    near(entry.kcal, 106.8);
    near(entry.proteinG, 1.32);
  });

  it('shows daily nutrition and goals to the user themself only', async () => {
    const me = await testViewer();
    const reps = [{ __typename: 'User', id: me.id, timeZone: 'UTC' }];
    for (const role of ['MEMBER', 'TRAINER', 'GYM_STAFF', 'ADMIN'] as const) {
      const token = (await testViewer(role)).token;
      const daily = await graphql(url, DAY, { token, variables: { reps, date: '2026-01-01' } });
      expect(daily.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const goals = await graphql(url, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { nutritionGoals { kcal } } } }`, { token, variables: { reps } });
      expect(goals.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect((await graphql(url, DAY, { variables: { reps, date: '2026-01-01' } })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  describe('rejects bad input, leaving the database unchanged', () => {
    let owner: Awaited<ReturnType<typeof testViewer>>;
    let othersEntry: string;
    beforeAll(async () => {
      owner = await testViewer();
      const other = await testViewer();
      othersEntry = (await logMeal(other.token, food.oats, 40)).id;
      await logMeal(owner.token, food.oats, 40);
      await graphqlData(url, SET_GOALS, { token: owner.token, variables: { input: { kcal: 2500, proteinG: 120, carbsG: 250, fatG: 80 } } });
    });

    const valid = { foodId: food.banana, grams: 100 };
    const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
    it.each([
      { name: 'negative grams', input: { ...valid, grams: -10 }, code: 'BAD_USER_INPUT', field: 'input.grams' },
      { name: 'zero grams', input: { ...valid, grams: 0 }, code: 'BAD_USER_INPUT', field: 'input.grams' },
      { name: 'huge grams', input: { ...valid, grams: 5000.01 }, code: 'BAD_USER_INPUT', field: 'input.grams' },
      { name: 'enormous grams', input: { ...valid, grams: 1e308 }, code: 'BAD_USER_INPUT', field: 'input.grams' },
      { name: 'grams as text', input: { ...valid, grams: 'a lot' }, code: 'BAD_USER_INPUT' },
      { name: 'unknown food', input: { ...valid, foodId: randomUUID() }, code: 'NOT_FOUND' },
      { name: 'malformed food id', input: { ...valid, foodId: 'banana' }, code: 'NOT_FOUND' },
      { name: 'eatenAt a week ahead', input: { ...valid, eatenAt: inAWeek }, code: 'BAD_USER_INPUT', field: 'input.eatenAt' },
      { name: 'eatenAt not a date-time', input: { ...valid, eatenAt: 'yesterday' }, code: 'BAD_USER_INPUT' },
      { name: 'anonymous caller', input: valid, anonymous: true, code: 'UNAUTHENTICATED' },
    ])('logMeal: $name -> $code', async ({ input, anonymous, code, field }) => {
      const before = await snapshot();
      const response = await graphql(url, LOG_MEAL, { token: anonymous ? undefined : owner.token, variables: { input } });
      expect(response.data?.logMeal ?? null).toBeNull();
      expect(response.errors?.[0]?.extensions?.code).toBe(code);
      if (field) expect(response.errors?.[0]?.extensions?.field).toBe(field);
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      { name: 'unknown entry', id: randomUUID(), code: 'NOT_FOUND' },
      { name: 'malformed id', id: '-1', code: 'NOT_FOUND' },
      { name: "another user's entry", id: 'others', code: 'FORBIDDEN' },
      { name: 'id of the wrong type', id: { nested: true }, code: 'BAD_USER_INPUT' },
      { name: 'anonymous caller', id: 'others', anonymous: true, code: 'UNAUTHENTICATED' },
    ])('deleteMealEntry: $name -> $code', async ({ id, anonymous, code }) => {
      const before = await snapshot();
      const response = await graphql(url, DELETE, { token: anonymous ? undefined : owner.token, variables: { id: id === 'others' ? othersEntry : id } });
      expect(response.errors?.[0]?.extensions?.code).toBe(code);
      expect(await snapshot()).toEqual(before);
    });

    const goals = { kcal: 2000, proteinG: 150, carbsG: 200, fatG: 70 };
    it.each([
      { name: 'negative kcal', input: { ...goals, kcal: -1 }, code: 'BAD_USER_INPUT', field: 'input.kcal' },
      { name: 'zero protein', input: { ...goals, proteinG: 0 }, code: 'BAD_USER_INPUT', field: 'input.proteinG' },
      { name: 'huge kcal', input: { ...goals, kcal: 1e9 }, code: 'BAD_USER_INPUT', field: 'input.kcal' },
      { name: 'huge fat', input: { ...goals, fatG: 2000.5 }, code: 'BAD_USER_INPUT', field: 'input.fatG' },
      { name: 'carbs as text', input: { ...goals, carbsG: 'some' }, code: 'BAD_USER_INPUT' },
      { name: 'missing a goal', input: { kcal: 2000, proteinG: 150, carbsG: 200 }, code: 'BAD_USER_INPUT' },
      { name: 'anonymous caller', input: goals, anonymous: true, code: 'UNAUTHENTICATED' },
    ])('setNutritionGoals: $name -> $code', async ({ input, anonymous, code, field }) => {
      const before = await snapshot();
      const response = await graphql(url, SET_GOALS, { token: anonymous ? undefined : owner.token, variables: { input } });
      expect(response.errors?.[0]?.extensions?.code).toBe(code);
      if (field) expect(response.errors?.[0]?.extensions?.field).toBe(field);
      expect(await snapshot()).toEqual(before);
    });

    it('dailyNutrition: a date that is not YYYY-MM-DD -> BAD_USER_INPUT', async () => {
      for (const date of ['2026-02-30', '01/02/2026', 20260101]) {
        const response = await graphql(url, DAY, { token: owner.token, variables: { reps: [{ __typename: 'User', id: owner.id, timeZone: 'UTC' }], date } });
        expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });
  });

  it("forgets a deleted user's meals and goals, and no one else's", async () => {
    const [gone, stays] = [await testViewer(), await testViewer()];
    for (const user of [gone, stays]) {
      await logMeal(user.token, food.oats, 30);
      await graphqlData(url, SET_GOALS, { token: user.token, variables: { input: { kcal: 2000, proteinG: 100, carbsG: 200, fatG: 60 } } });
    }
    const handler = nutritionSubgraph.eventHandlers!['user.deleted']!;
    await sub.db.db.transaction((tx) => handler(tx, { userId: gone.id }, { id: randomUUID(), topic: 'user.deleted', payload: { userId: gone.id }, occurredAt: new Date().toISOString() }, handlerTools));
    const { entries, goals } = await snapshot();
    expect([...entries, ...goals].filter((row) => row.userId === gone.id)).toEqual([]);
    expect(entries.filter((row) => row.userId === stays.id)).toHaveLength(1);
    expect(goals.filter((row) => row.userId === stays.id)).toHaveLength(1);
  });

  it('loads many users\' days, entries and foods in a constant number of statements', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => testViewer()));
    const foods = Object.values(food);
    for (const [i, user] of users.entries()) {
      for (let m = 0; m < 3; m++) await logMeal(user.token, foods[(i + m) % foods.length]!, 50 + i, `2026-08-0${1 + (m % 2)}T12:00:00Z`);
    }
    // Only the user themself may read their day, so each viewer asks for their own: batching across users is per request.
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User {
      a: dailyNutrition(date: "2026-08-01") { kcal entries { kcal food { name } } goals { kcal } remaining { kcal } }
      b: dailyNutrition(date: "2026-08-02") { kcal entries { food { name } } }
      nutritionGoals { kcal }
    } } }`;
    const count = async (user: (typeof users)[number], times: number) => {
      const reps = Array.from({ length: times }, (_, i) => ({ __typename: 'User', id: user.id, timeZone: i % 2 ? 'UTC' : 'Europe/Berlin' }));
      const before = requestStatements(sub.db.queries).length;
      const data = await graphqlData(url, query, { token: user.token, variables: { reps } });
      expect(data._entities[0].a.entries.length).toBeGreaterThan(0);
      return requestStatements(sub.db.queries).length - before;
    };
    const one = await count(users[0]!, 1);
    const many = await count(users[1]!, 8);
    expect(many).toBe(one);
    expect(many).toBeLessThanOrEqual(3);
  });
});
