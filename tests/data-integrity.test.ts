/**
 * Data that reads back as written, and per-member bounds, through the gateway on real servers:
 * dates outside 1900–2100 are refused at the gateway and at the subgraph, and stored instants
 * come back to the millisecond; a chat retry key reused for another body is CONFLICT; names
 * people see hold no control, invisible or text-direction characters; and one account cannot
 * store more than its daily bound of workouts, sets, meals and chat messages, however many
 * requests it sends at once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, demoAdmin, errorCodes, graphql, graphqlData, signIn, signUpUser, startTestStack, type GraphQLResponse, type TestStack } from '@fitgraph/testkit';

const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';
const backSquat = '6a1b0c9e-0003-4000-8000-000000000001';
const oats = '6a1b0c9e-0004-4000-8000-000000000026';

const LOG_MEAL = 'mutation($input: LogMealInput!) { logMeal(input: $input) { id eatenAt } }';
const DAY = 'query($id: ID!, $date: Date!) { user(id: $id) { dailyNutrition(date: $date) { date entries { id eatenAt } } } }';
const START_WORKOUT = 'mutation { startWorkout { id } }';
const LOG_SET = 'mutation($w: ID!, $input: LogSetInput!) { logSet(workoutId: $w, input: $input) { id } }';
const WORKOUTS = 'query($id: ID!) { user(id: $id) { workouts(first: 100) { nodes { id sets { id } } } } }';
const START = 'mutation($ids: [ID!]!, $title: String) { startConversation(memberIds: $ids, title: $title) { id title } }';
const SEND = 'mutation($c: ID!, $body: String!, $key: String) { sendMessage(conversationId: $c, body: $body, clientMessageId: $key) { id body } }';
const MESSAGES = 'query($c: ID!) { conversation(id: $c) { messages(last: 200) { id body } } }';
const UPDATE_NAME = 'mutation($name: String!) { updateProfile(input: { displayName: $name }) { displayName } }';
const ADD_MACHINE = 'mutation($gym: ID!, $name: String!) { addMachine(gymId: $gym, name: $name, kind: "TREADMILL") { machine { id name } } }';

/** The daily bounds this stack runs with: small, so a test can reach them. */
const limits = { workouts: 3, sets: 5, meals: 4, messages: 3 };

const refusal = (response: GraphQLResponse<unknown>) => response.errors?.[0];

describe(`data integrity and per-member bounds (${backends.database})`, () => {
  let stack: TestStack;
  let gateway: string;
  beforeAll(async () => {
    stack = await startTestStack({
      WORKOUT_DAILY_LIMIT: String(limits.workouts),
      WORKOUT_SET_DAILY_LIMIT: String(limits.sets),
      MEAL_DAILY_LIMIT: String(limits.meals),
      CHAT_MESSAGE_DAILY_LIMIT: String(limits.messages),
      // The flood window is not what these tests are about.
      CHAT_SEND_RATE_LIMIT: '1000',
    });
    gateway = stack.gateway.url;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // ---------------------------------------------------------------- dates

  describe('dates', () => {
    it.each([
      ['year 1', '0001-01-01T00:00:00Z'],
      ['a two-digit year', '0099-06-30T12:00:00Z'],
      ['just before 1900', '1899-12-31T23:59:59.999Z'],
      ['1900 at +01:00 (1899 in UTC)', '1900-01-01T00:30:00+01:00'],
      ['after 2100', '2101-01-01T00:00:00Z'],
    ])('refuses eatenAt in %s with BAD_USER_INPUT, at the gateway and at the nutrition subgraph, storing nothing', async (_what, eatenAt) => {
      const member = await signUpUser(gateway);
      for (const url of [gateway, stack.subgraphs.nutrition.url]) {
        for (const inline of [false, true]) {
          const response = inline
            ? await graphql(url, `mutation { logMeal(input: { foodId: "${oats}", grams: 50, eatenAt: "${eatenAt}" }) { id } }`, { token: member.accessToken })
            : await graphql(url, LOG_MEAL, { token: member.accessToken, variables: { input: { foodId: oats, grams: 50, eatenAt } } });
          expect(errorCodes(response), `${url} inline=${inline}`).toEqual(['BAD_USER_INPUT']);
          expect(refusal(response)?.message).toContain('between 1900-01-01 and 2100-12-31');
        }
      }
      // Nothing was stored, or counted: the member can still log a full day's meals.
      for (let i = 0; i < limits.meals; i += 1) {
        await graphqlData(gateway, LOG_MEAL, { token: member.accessToken, variables: { input: { foodId: oats, grams: 10 } } });
      }
    });

    it('refuses Date inputs outside 1900-01-01 .. 2100-12-31 at the gateway and the subgraph, and accepts the first day', async () => {
      const member = await signUpUser(gateway);
      const token = member.accessToken;
      for (const url of [gateway, stack.subgraphs.nutrition.url]) {
        for (const date of ['0001-01-01', '1899-12-31', '2101-01-01']) {
          // Straight to the subgraph the user is an entity reference (the gateway would ask the user subgraph for it).
          const response =
            url === gateway
              ? await graphql(url, DAY, { token, variables: { id: member.id, date } })
              : await graphql(url, `query($date: Date!) { _entities(representations: [{ __typename: "User", id: "${member.id}", timeZone: "UTC" }]) { ... on User { dailyNutrition(date: $date) { date } } } }`, {
                  token,
                  variables: { date },
                });
          expect(errorCodes(response), `${url} ${date}`).toEqual(['BAD_USER_INPUT']);
        }
      }
      const first = await graphqlData(gateway, DAY, { token, variables: { id: member.id, date: '1900-01-01' } });
      expect(first.user.dailyNutrition.date).toBe('1900-01-01');
    });

    it('returns every stored instant exactly as written, on logging and on reading back', async () => {
      const member = await signUpUser(gateway);
      const token = member.accessToken;
      const instants = ['1900-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '2000-02-29T12:34:56.789Z'];
      for (const eatenAt of instants) {
        const { logMeal } = await graphqlData(gateway, LOG_MEAL, { token, variables: { input: { foodId: oats, grams: 10, eatenAt } } });
        expect(logMeal.eatenAt).toBe(eatenAt);
        const day = await graphqlData(gateway, DAY, { token, variables: { id: member.id, date: eatenAt.slice(0, 10) } });
        expect(day.user.dailyNutrition.entries).toEqual([{ id: logMeal.id, eatenAt }]);
      }
      // An offset is kept as the instant it names.
      const { logMeal } = await graphqlData(gateway, LOG_MEAL, { token, variables: { input: { foodId: oats, grams: 10, eatenAt: '1900-01-01T06:00:00+05:30' } } });
      expect(logMeal.eatenAt).toBe('1900-01-01T00:30:00.000Z');
    });
  });

  // ---------------------------------------------------------------- chat retry keys

  describe('sendMessage retry keys', () => {
    it('answers a retry with the same body with the stored message, and the same key with another body with CONFLICT', async () => {
      const [alice, bob] = await Promise.all([signUpUser(gateway), signUpUser(gateway)]);
      const { startConversation } = await graphqlData(gateway, START, { token: alice.accessToken, variables: { ids: [bob.id] } });
      const c = startConversation.id;
      const key = `retry-${randomUUID()}`;
      const first = (await graphqlData(gateway, SEND, { token: alice.accessToken, variables: { c, body: 'See you at 6', key } })).sendMessage;
      // The same send again (whitespace is trimmed before comparing, as before storing).
      const retry = (await graphqlData(gateway, SEND, { token: alice.accessToken, variables: { c, body: '  See you at 6 ', key } })).sendMessage;
      expect(retry).toEqual(first);

      const reused = await graphql(gateway, SEND, { token: alice.accessToken, variables: { c, body: 'Make it 7', key } });
      expect(errorCodes(reused)).toEqual(['CONFLICT']);
      expect(refusal(reused)?.extensions?.field).toBe('clientMessageId');
      expect(refusal(reused)?.message).toMatch(/already used for a different message/);

      // Another sender may use the same key: keys are per sender.
      const bobs = (await graphqlData(gateway, SEND, { token: bob.accessToken, variables: { c, body: 'Make it 7', key } })).sendMessage;
      const { conversation } = await graphqlData(gateway, MESSAGES, { token: alice.accessToken, variables: { c } });
      expect(conversation.messages).toEqual([first, bobs]);
    });
  });

  // ---------------------------------------------------------------- names

  describe('names people see', () => {
    const hidden: [string, string][] = [
      ['right-to-left override U+202E', 'Ann\u202Eetsil'],
      ['left-to-right embedding U+202A', '\u202AAnn'],
      ['pop directional formatting U+202C', 'Ann\u202C'],
      ['first-strong isolate U+2068', 'Ann\u2068Lee\u2069'],
      ['left-to-right mark U+200E', 'Ann\u200E'],
      ['right-to-left mark U+200F', 'Ann\u200FLee'],
      ['Arabic letter mark U+061C', 'Ann\u061CLee'],
      ['zero-width space U+200B', 'Ann\u200BLee'],
      ['zero-width non-joiner U+200C', 'Ann\u200CLee'],
      ['zero-width joiner U+200D', 'Ann\u200DLee'],
      ['word joiner U+2060', 'Ann\u2060Lee'],
      ['byte order mark U+FEFF', 'Ann\uFEFFLee'],
      ['Mongolian vowel separator U+180E', 'Ann\u180ELee'],
      ['soft hyphen U+00AD', 'Ann\u00ADLee'],
      ['tag characters', 'Ann\u{E0041}\u{E0042}'],
      ['a variation selector alone', '\uFE0F'],
      ['a variation selector after a space', 'Ann \uFE0FLee'],
      ['only Hangul fillers', '\u3164\u3164'],
      ['only a braille blank', '\u2800'],
      ['a newline', 'Ann\nLee'],
      ['a tab', 'Ann\tLee'],
      ['a C1 control U+0085', 'Ann\u0085Lee'],
      ['a line separator U+2028', 'Ann\u2028Lee'],
    ];
    const fine = ['José Núñez', 'محمد', '山田\u3000太郎', 'Lift 💪️', '1\uFE0F\u20E3 rep max', 'Zoë'];

    it.each(hidden)('refuses a display name with %s (sign-up and profile), keeping the old one', async (_what, name) => {
      const signUp = await graphql(gateway, 'mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }', {
        variables: { input: { email: `n-${randomUUID().slice(0, 8)}@test.fitgraph.dev`, password: `pw-${randomUUID()}`, displayName: name } },
      });
      expect(errorCodes(signUp)).toEqual(['BAD_USER_INPUT']);
      expect(refusal(signUp)?.extensions?.field).toBe('input.displayName');

      const member = await signUpUser(gateway);
      const update = await graphql(gateway, UPDATE_NAME, { token: member.accessToken, variables: { name } });
      expect(errorCodes(update)).toEqual(['BAD_USER_INPUT']);
      expect(refusal(update)?.extensions?.field).toBe('input.displayName');
      const { me } = await graphqlData(gateway, '{ me { displayName } }', { token: member.accessToken });
      expect(me.displayName).toBe(member.displayName);
    });

    it('refuses the same characters in conversation titles and machine names', async () => {
      const [alice, bob] = await Promise.all([signUpUser(gateway), signUpUser(gateway)]);
      const admin = (await signIn(gateway, demoAdmin.email, demoAdmin.password)).accessToken;
      const failures: string[] = [];
      for (const [what, name] of hidden) {
        const title = await graphql(gateway, START, { token: alice.accessToken, variables: { ids: [bob.id], title: name } });
        if (errorCodes(title).join() !== 'BAD_USER_INPUT' || refusal(title)?.extensions?.field !== 'title') failures.push(`title with ${what}: ${JSON.stringify(title.errors ?? title.data)}`);
        const machine = await graphql(gateway, ADD_MACHINE, { token: admin, variables: { gym: ironHarbor, name } });
        if (errorCodes(machine).join() !== 'BAD_USER_INPUT' || refusal(machine)?.extensions?.field !== 'name') failures.push(`machine with ${what}: ${JSON.stringify(machine.errors ?? machine.data)}`);
      }
      expect(failures).toEqual([]);
      const { conversations } = await graphqlData(gateway, '{ conversations { id } }', { token: alice.accessToken });
      expect(conversations).toEqual([]);
    });

    it('accepts names in any script, with accents, ideographic spaces and emoji with their selectors', async () => {
      const member = await signUpUser(gateway);
      const [bob] = [await signUpUser(gateway)];
      for (const name of fine) {
        const { updateProfile } = await graphqlData(gateway, UPDATE_NAME, { token: member.accessToken, variables: { name: ` ${name} ` } });
        expect(updateProfile.displayName).toBe(name);
      }
      const { startConversation } = await graphqlData(gateway, START, { token: member.accessToken, variables: { ids: [bob.id], title: 'Leg day 🦵🏽' } });
      expect(startConversation.title).toBe('Leg day 🦵🏽');
    });
  });

  // ---------------------------------------------------------------- daily bounds

  describe('per-member daily bounds', () => {
    /** Sends `count` at once; the successes and the refusals. */
    async function burst(count: number, send: () => Promise<GraphQLResponse<any>>) {
      const responses = await Promise.all(Array.from({ length: count }, send));
      const refused = responses.filter((r) => r.errors);
      for (const r of refused) expect(errorCodes(r)).toEqual(['RATE_LIMITED']);
      return { ok: responses.filter((r) => !r.errors && r.data), refused };
    }
    const expectDailyRefusal = (response: GraphQLResponse<unknown>, limit: number, quota: string) => {
      const extensions = refusal(response)?.extensions as Record<string, unknown>;
      expect(extensions).toMatchObject({ code: 'RATE_LIMITED', limit, quota });
      expect(extensions.retryAfter).toBeGreaterThan(0);
      expect(extensions.retryAfter).toBeLessThanOrEqual(24 * 60 * 60);
      expect(refusal(response)?.message).toContain(`at most ${limit} ${quota} per day`);
    };

    it(`stores at most ${limits.meals} meals per member per day, however many requests race, whatever their eatenAt`, async () => {
      const [member, other] = await Promise.all([signUpUser(gateway), signUpUser(gateway)]);
      // Backdated meals count on the day they are logged: spreading eatenAt over years does not widen the bound.
      let n = 0;
      const { ok, refused } = await burst(12, () =>
        graphql(gateway, LOG_MEAL, {
          token: member.accessToken,
          variables: { input: { foodId: oats, grams: 10, eatenAt: `${2000 + (n++ % 12)}-06-01T12:00:00Z` } },
        }),
      );
      expect(ok).toHaveLength(limits.meals);
      expect(refused).toHaveLength(12 - limits.meals);
      expectDailyRefusal(refused[0]!, limits.meals, 'meals');
      // Stored: exactly the meals that were answered.
      const stored = await Promise.all(
        ok.map((r) => graphqlData(gateway, DAY, { token: member.accessToken, variables: { id: member.id, date: r.data.logMeal.eatenAt.slice(0, 10) } })),
      );
      expect(new Set(stored.flatMap((day) => day.user.dailyNutrition.entries.map((e: any) => e.id)))).toEqual(new Set(ok.map((r) => r.data.logMeal.id)));
      // Deleting one does not give it back; someone else is not affected.
      await graphqlData(gateway, 'mutation($id: ID!) { deleteMealEntry(id: $id) }', { token: member.accessToken, variables: { id: ok[0]!.data.logMeal.id } });
      expectDailyRefusal(await graphql(gateway, LOG_MEAL, { token: member.accessToken, variables: { input: { foodId: oats, grams: 10 } } }), limits.meals, 'meals');
      expect(errorCodes(await graphql(gateway, LOG_MEAL, { token: other.accessToken, variables: { input: { foodId: oats, grams: 10 } } }))).toEqual([]);
    });

    it(`stores at most ${limits.workouts} workouts and ${limits.sets} sets per member per day under concurrent requests`, async () => {
      const member = await signUpUser(gateway);
      const token = member.accessToken;
      const workouts = await burst(10, () => graphql(gateway, START_WORKOUT, { token }));
      expect(workouts.ok).toHaveLength(limits.workouts);
      expectDailyRefusal(workouts.refused[0]!, limits.workouts, 'workouts');

      // Sets spread over every workout at once: the bound is per member, not per workout.
      const ids = workouts.ok.map((r) => r.data.startWorkout.id as string);
      let n = 0;
      const sets = await burst(15, () => graphql(gateway, LOG_SET, { token, variables: { w: ids[n++ % ids.length], input: { exerciseId: backSquat, reps: 5, weightKg: 60 } } }));
      expect(sets.ok).toHaveLength(limits.sets);
      expectDailyRefusal(sets.refused[0]!, limits.sets, 'workout sets');

      const stored = (await graphqlData(gateway, WORKOUTS, { token, variables: { id: member.id } })).user.workouts.nodes;
      expect(stored).toHaveLength(limits.workouts);
      expect(stored.flatMap((w: any) => w.sets)).toHaveLength(limits.sets);
    });

    it(`stores at most ${limits.messages} chat messages per sender per day; retries of stored ones still answer`, async () => {
      const [alice, bob] = await Promise.all([signUpUser(gateway), signUpUser(gateway)]);
      const { startConversation } = await graphqlData(gateway, START, { token: alice.accessToken, variables: { ids: [bob.id] } });
      const c = startConversation.id;
      let n = 0;
      const sent = await burst(8, () => graphql(gateway, SEND, { token: alice.accessToken, variables: { c, body: `message ${n}`, key: `k${n++}` } }));
      expect(sent.ok).toHaveLength(limits.messages);
      expectDailyRefusal(sent.refused[0]!, limits.messages, 'chat messages');

      // A retry of a message that was stored is answered with it, over the bound or not.
      const stored = sent.ok[0]!.data.sendMessage;
      const key = `k${stored.body.split(' ')[1]}`;
      expect((await graphqlData(gateway, SEND, { token: alice.accessToken, variables: { c, body: stored.body, key } })).sendMessage).toEqual(stored);

      const { conversation } = await graphqlData(gateway, MESSAGES, { token: bob.accessToken, variables: { c } });
      expect(conversation.messages).toHaveLength(limits.messages);
      // Bob has his own bound.
      expect(errorCodes(await graphql(gateway, SEND, { token: bob.accessToken, variables: { c, body: 'hi' } }))).toEqual([]);
    });
  });
});
