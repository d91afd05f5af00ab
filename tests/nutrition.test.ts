/**
 * Nutrition through the gateway: the day is cut in the user's time zone, which the gateway
 * fetches from the user subgraph (@requires) before asking nutrition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, errorCodes, graphql, graphqlData, signUpUser, startTestStack, testViewer, type TestAccount, type TestStack } from '@fitgraph/testkit';

const oats = '6a1b0c9e-0004-4000-8000-000000000026';
const banana = '6a1b0c9e-0004-4000-8000-000000000057';
const chicken = '6a1b0c9e-0004-4000-8000-000000000001';

const LOG = 'mutation($input: LogMealInput!) { logMeal(input: $input) { id kcal food { name } } }';
const DAY = `query($id: ID!, $date: Date!) { user(id: $id) { timeZone dailyNutrition(date: $date) {
  date timeZone kcal proteinG carbsG fatG entries { grams food { name } } goals { kcal } remaining { kcal } percentOfGoals { kcal }
} } }`;

const near = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(0.1);

describe(`nutrition through the gateway (${backends.database})`, () => {
  let stack: TestStack;
  let gateway: string;
  /** Lives in New York (set with updateProfile); `utc` keeps the default zone. */
  let sam: TestAccount;
  let utc: TestAccount;
  beforeAll(async () => {
    stack = await startTestStack();
    gateway = stack.gateway.url;
    [sam, utc] = await Promise.all([signUpUser(gateway), signUpUser(gateway)]);
    await graphqlData(gateway, 'mutation { updateProfile(input: { timeZone: "America/New_York" }) { timeZone } }', { token: sam.accessToken });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("counts a meal at 23:30 New York time on that local date, with totals matching the fixture", async () => {
    const token = sam.accessToken;
    const log = (foodId: string, grams: number, eatenAt: string) => graphqlData(gateway, LOG, { token, variables: { input: { foodId, grams, eatenAt } } });
    await log(oats, 60, '2026-11-20T12:00:00Z'); // 07:00 EST on the 20th
    await log(chicken, 180, '2026-11-21T04:30:00Z'); // 23:30 EST on the 20th
    await log(banana, 100, '2026-11-21T05:00:00Z'); // 00:00 EST on the 21st

    const day = (await graphqlData(gateway, DAY, { token, variables: { id: sam.id, date: '2026-11-20' } })).user;
    expect(day.timeZone).toBe('America/New_York');
    // oats 60 g: 227.4 kcal, P 7.92, C 40.62, F 3.9; chicken 180 g: 297 kcal, P 55.8, C 0, F 6.48
    expect(day.dailyNutrition).toMatchObject({ date: '2026-11-20', timeZone: 'America/New_York', goals: null, remaining: null });
    near(day.dailyNutrition.kcal, 524.4);
    near(day.dailyNutrition.proteinG, 63.72);
    near(day.dailyNutrition.carbsG, 40.62);
    near(day.dailyNutrition.fatG, 10.38);
    expect(day.dailyNutrition.entries.map((e: any) => e.food.name)).toEqual(['Oats, rolled, dry', 'Chicken breast, cooked, skinless']);

    const next = (await graphqlData(gateway, DAY, { token, variables: { id: sam.id, date: '2026-11-21' } })).user.dailyNutrition;
    near(next.kcal, 89);
  });

  it('counts in UTC for a UTC user and reports goals', async () => {
    const token = utc.accessToken;
    await graphqlData(gateway, LOG, { token, variables: { input: { foodId: banana, grams: 200, eatenAt: '2026-11-20T23:30:00Z' } } });
    await graphqlData(gateway, 'mutation { setNutritionGoals(input: { kcal: 2000, proteinG: 120, carbsG: 250, fatG: 60 }) { kcal } }', { token });
    const day = (await graphqlData(gateway, DAY, { token, variables: { id: utc.id, date: '2026-11-20' } })).user.dailyNutrition;
    near(day.kcal, 178);
    expect(day.goals).toEqual({ kcal: 2000 });
    near(day.remaining.kcal, 1822);
    near(day.percentOfGoals.kcal, 8.9);
  });

  it("keeps a user's nutrition private, even from ADMIN", async () => {
    for (const role of ['MEMBER', 'TRAINER', 'ADMIN'] as const) {
      const { token } = await testViewer(role);
      const response = await graphql(gateway, DAY, { token, variables: { id: sam.id, date: '2026-11-20' } });
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.errors?.[0]?.path).toEqual(['user', 'dailyNutrition']);
    }
    const other = await testViewer('MEMBER');
    const token = sam.accessToken;
    const { logMeal } = await graphqlData(gateway, LOG, { token, variables: { input: { foodId: oats, grams: 10 } } });
    const del = await graphql(gateway, 'mutation($id: ID!) { deleteMealEntry(id: $id) }', { token: other.token, variables: { id: logMeal.id } });
    expect(errorCodes(del)).toEqual(['FORBIDDEN']);
    expect(await graphqlData(gateway, 'mutation($id: ID!) { deleteMealEntry(id: $id) }', { token, variables: { id: logMeal.id } })).toEqual({ deleteMealEntry: true });
  });

  it('reports validation errors with their field', async () => {
    const token = sam.accessToken;
    const response = await graphql(gateway, LOG, { token, variables: { input: { foodId: oats, grams: 0 } } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.grams' });
    const unknown = await graphql(gateway, LOG, { token, variables: { input: { foodId: '6a1b0c9e-0004-4000-8000-0000000009ff', grams: 10 } } });
    expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
  });
});
