/**
 * deleteAccount: the user subgraph deletes the account and publishes a durable `user.deleted`
 * event; gym, workout, nutrition and chat each forget (or anonymise) the user, exactly once in
 * effect, including a subgraph that was down when it happened.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletedUserId, type SubgraphName } from '@fitgraph/platform';
import {
  backends,
  errorCodes,
  eventually,
  graphql,
  graphqlData,
  signUpUser,
  startTestStack,
  type TestAccount,
  type TestStack,
} from '@fitgraph/testkit';

const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';
const consumers: SubgraphName[] = ['gym', 'workout', 'nutrition', 'chat'];

/** Everything one member leaves behind in the other subgraphs. */
interface Footprint {
  workoutId: string;
  mealId: string;
  machineId: string;
  conversationId: string;
  messageId: string;
}

async function leaveFootprint(url: string, member: TestAccount, friend: TestAccount): Promise<Footprint> {
  const token = member.accessToken;
  const { exercises, foods, gym } = await graphqlData(url, `{ exercises { id } foods { id } gym(id: "${ironHarbor}") { machines { id status } } }`);
  const { startWorkout } = await graphqlData(url, 'mutation { startWorkout { id } }', { token });
  await graphqlData(url, 'mutation($w: ID!, $e: ID!) { logSet(workoutId: $w, input: { exerciseId: $e, reps: 5, weightKg: 100 }) { id } }', {
    token,
    variables: { w: startWorkout.id, e: exercises[0].id },
  });
  const { logMeal } = await graphqlData(url, 'mutation($f: ID!) { logMeal(input: { foodId: $f, grams: 150 }) { id } }', { token, variables: { f: foods[0].id } });
  await graphqlData(url, 'mutation { setNutritionGoals(input: { kcal: 2500, proteinG: 150, carbsG: 300, fatG: 80 }) { kcal } }', { token });
  await graphqlData(url, `mutation { checkIn(gymId: "${ironHarbor}") { occupancy } }`, { token });
  const free = gym.machines.find((m: { status: string }) => m.status === 'AVAILABLE');
  await graphqlData(url, 'mutation($m: ID!) { claimMachine(machineId: $m) { status } }', { token, variables: { m: free.id } });
  const { startConversation } = await graphqlData(url, 'mutation($ids: [ID!]!) { startConversation(memberIds: $ids) { id } }', { token, variables: { ids: [friend.id] } });
  const { sendMessage } = await graphqlData(url, 'mutation($c: ID!) { sendMessage(conversationId: $c, body: "see you at the rack") { id } }', {
    token,
    variables: { c: startConversation.id },
  });
  return { workoutId: startWorkout.id, mealId: logMeal.id, machineId: free.id, conversationId: startConversation.id, messageId: sendMessage.id };
}

/** One SQL connection per subgraph database of the stack (PostgreSQL only). */
function openDatabases(stack: TestStack) {
  const connections = new Map<SubgraphName, postgres.Sql>();
  const sqlFor = (subgraph: SubgraphName) => {
    let sql = connections.get(subgraph);
    if (!sql) {
      const url = new URL(stack.env.DATABASE_URL!);
      url.pathname = `/${stack.env.DATABASE_NAME_PREFIX}${subgraph}`;
      sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
      connections.set(subgraph, sql);
    }
    return sql;
  };
  return { sqlFor, close: () => Promise.all([...connections.values()].map((sql) => sql.end())) };
}

/** Rows each consumer still holds about `userId` (PostgreSQL only). */
async function rowsAbout(sqlFor: (s: SubgraphName) => postgres.Sql, userId: string) {
  const count = async (subgraph: SubgraphName, query: string) => Number((await sqlFor(subgraph).unsafe(query, [userId]))[0]!.n);
  return {
    workouts: await count('workout', 'select count(*) as n from workouts where user_id = $1'),
    meals: await count('nutrition', 'select count(*) as n from meal_entries where user_id = $1'),
    goals: await count('nutrition', 'select count(*) as n from nutrition_goals where user_id = $1'),
    checkIns: await count('gym', 'select count(*) as n from check_ins where user_id = $1'),
    heldMachines: await count('gym', 'select count(*) as n from machines where current_user_id = $1'),
    chatMemberships: await count('chat', 'select count(*) as n from conversation_members where user_id = $1'),
    chatMessages: await count('chat', 'select count(*) as n from messages where sender_id = $1'),
  };
}
const nothing = { workouts: 0, meals: 0, goals: 0, checkIns: 0, heldMachines: 0, chatMemberships: 0, chatMessages: 0 };

describe(`account deletion across subgraphs (${backends.database}, ${backends.pubsub === 'redis' ? 'Redis Streams' : 'in-process'} events)`, () => {
  let stack: TestStack;
  let url: string;
  let trainer: TestAccount;
  let databases: ReturnType<typeof openDatabases> | null = null;
  beforeAll(async () => {
    stack = await startTestStack();
    url = stack.gateway.url;
    trainer = await signUpUser(url, { role: 'TRAINER' });
    if (stack.env.DATABASE_URL) databases = openDatabases(stack);
  });
  afterAll(async () => {
    await databases?.close();
    await stack?.stop();
  });

  it('forgets the user everywhere: workouts, meals, goals, check-ins and machines go; messages stay as "Deleted user"', async () => {
    const member = await signUpUser(url);
    const friend = await signUpUser(url);
    const footprint = await leaveFootprint(url, member, friend);
    const friendsData = await leaveFootprint(url, friend, trainer);
    const occupancy = async () => (await graphqlData(url, `{ gym(id: "${ironHarbor}") { occupancy } }`)).gym.occupancy as number;
    const before = await occupancy();

    expect(await graphqlData(url, 'mutation { deleteAccount }', { token: member.accessToken })).toEqual({ deleteAccount: true });

    // The user subgraph: gone at once; the session with it, and its access token is refused everywhere (tests/revocation.test.ts).
    expect(errorCodes(await graphql(url, '{ me { id } }', { token: member.accessToken }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { variables: { t: member.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { accessToken } }', { variables: { e: member.email, p: member.password } }))).toEqual(['UNAUTHENTICATED']);
    expect((await graphqlData(url, `{ user(id: "${member.id}") { id } }`)).user).toBeNull();

    // The other subgraphs, as soon as they handled the event (poll, never sleep).
    const started = Date.now();
    const { asFriend } = await eventually(
      async () => {
        const data = await graphqlData(
          url,
          `query($w: ID!, $m: ID!, $c: ID!) {
            workout(id: $w) { id }
            machine(id: $m) { status currentUser { id } }
            conversation(id: $c) { members { id } messages { id sender { id displayName email } } }
          }`,
          { token: trainer.accessToken, variables: { w: footprint.workoutId, m: footprint.machineId, c: friendsData.conversationId } },
        );
        const asFriend = await graphqlData(url, 'query($c: ID!) { conversation(id: $c) { members { id } messages { id sender { id displayName email } } } }', {
          token: friend.accessToken,
          variables: { c: footprint.conversationId },
        });
        return (
          data.workout === null &&
          data.machine.status === 'AVAILABLE' &&
          asFriend.conversation?.members.every((m: { id: string }) => m.id !== member.id) &&
          asFriend.conversation.messages[0]?.sender.id === deletedUserId &&
          (await occupancy()) === before - 1
        ) ? { data, asFriend } : null;
      },
      { what: 'every subgraph forgot the deleted user', timeoutMs: 15_000 },
    );
    console.log(`  every subgraph forgot the user ${Date.now() - started} ms after deleteAccount returned`);

    // Chat keeps the conversation readable for the others.
    expect(asFriend.conversation.messages).toEqual([{ id: footprint.messageId, sender: { id: deletedUserId, displayName: 'Deleted user', email: null } }]);

    // The friend's own data is untouched.
    expect((await graphqlData(url, 'query($w: ID!) { workout(id: $w) { id } }', { token: trainer.accessToken, variables: { w: friendsData.workoutId } })).workout).toEqual({ id: friendsData.workoutId });
    const today = new Date().toISOString().slice(0, 10);
    const friendsDay = await graphqlData(url, `{ me { dailyNutrition(date: "${today}") { entries { id } } } }`, { token: friend.accessToken });
    expect(friendsDay.me.dailyNutrition.entries.map((e: { id: string }) => e.id)).toContain(friendsData.mealId);

    if (!databases) {
      console.log('  storage checks skipped: PGlite in memory cannot be inspected from the test (set DATABASE_URL)');
      return;
    }
    expect(await rowsAbout(databases.sqlFor, member.id)).toEqual(nothing);
  });

  it('applies a redelivered event no second time (each subgraph records the event id with its deletes)', async (ctx) => {
    if (!databases) {
      console.log('  skipped: needs DATABASE_URL to read processed_events and plant rows');
      ctx.skip();
      return;
    }
    const member = await signUpUser(url);
    await graphqlData(url, 'mutation { startWorkout { id } }', { token: member.accessToken });
    await graphqlData(url, 'mutation { deleteAccount }', { token: member.accessToken });
    const [event] = await databases.sqlFor('user')`select id, topic, payload, published_at from event_outbox where topic = 'user.deleted' and payload->>'userId' = ${member.id}`;
    expect(event).toMatchObject({ topic: 'user.deleted', payload: { userId: member.id } });
    const processed = async () =>
      Promise.all(consumers.map(async (subgraph) => Number((await databases!.sqlFor(subgraph)`select count(*) as n from processed_events where event_id = ${event!.id}`)[0]!.n)));
    await eventually(async () => (await processed()).every((n) => n === 1), { what: 'all four consumers recorded the event' });
    expect((await rowsAbout(databases.sqlFor, member.id)).workouts).toBe(0);

    // A row written after the deletion (a stale access token, say) must not be touched by a
    // second delivery of the old event: deduplicated, not re-applied.
    await databases.sqlFor('workout')`insert into workouts (user_id) values (${member.id})`;
    await stack.events.publish('user.deleted', { userId: member.id }, { id: event!.id });
    // A later event proves each consumer got past the duplicate (a group handles events in order).
    const marker = await stack.events.publish('user.deleted', { userId: randomUUID() });
    await eventually(
      async () =>
        (
          await Promise.all(consumers.map(async (subgraph) => (await databases!.sqlFor(subgraph)`select 1 from processed_events where event_id = ${marker.id}`).length))
        ).every((n) => n === 1),
      { what: 'the marker event handled by every consumer' },
    );
    expect(await processed()).toEqual([1, 1, 1, 1]);
    expect((await rowsAbout(databases.sqlFor, member.id)).workouts).toBe(1);
  });

  it('a subgraph that was down when the account was deleted catches up when it starts again', async (ctx) => {
    if (!databases) {
      console.log('  skipped: a restarted in-memory PGlite subgraph starts empty, so catching up proves nothing (set DATABASE_URL)');
      ctx.skip();
      return;
    }
    const member = await signUpUser(url);
    const friend = await signUpUser(url);
    await leaveFootprint(url, member, friend);
    expect((await rowsAbout(databases.sqlFor, member.id)).workouts).toBe(1);

    await stack.subgraphs.workout.stop();
    expect(await graphqlData(url, 'mutation { deleteAccount }', { token: member.accessToken })).toEqual({ deleteAccount: true });
    // The running subgraphs forget at once; the workout database still holds the rows.
    await eventually(async () => {
      const rows = await rowsAbout(databases!.sqlFor, member.id);
      return rows.meals + rows.goals + rows.checkIns + rows.heldMachines + rows.chatMemberships === 0;
    }, { what: 'the running subgraphs forgot the user' });
    expect((await rowsAbout(databases.sqlFor, member.id)).workouts).toBe(1);

    const restarted = Date.now();
    await stack.restartSubgraph('workout');
    await eventually(async () => (await rowsAbout(databases!.sqlFor, member.id)).workouts === 0, { what: 'the restarted workout subgraph caught up', timeoutMs: 10_000 });
    console.log(`  workout caught up ${Date.now() - restarted} ms after it was started again`);
    expect(await rowsAbout(databases.sqlFor, member.id)).toEqual(nothing);
    const [event] = await databases.sqlFor('user')`select id from event_outbox where topic = 'user.deleted' and payload->>'userId' = ${member.id}`;
    for (const subgraph of consumers) {
      const [row] = await databases.sqlFor(subgraph)`select count(*) as n from processed_events where event_id = ${event!.id}`;
      expect(Number(row!.n), subgraph).toBe(1);
    }
    // The gateway reaches the restarted subgraph again.
    expect((await graphqlData(url, '{ exercises { id } }')).exercises.length).toBeGreaterThan(0);
  });
});
