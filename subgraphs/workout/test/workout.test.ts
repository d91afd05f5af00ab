/** The workout subgraph alone against its own database: mutations, validation, visibility, pagination, batching. */
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventHandlerTools } from '@fitgraph/platform';
import { createLogger, openPubSub } from '@fitgraph/service-kit';
import { backends, eventually, graphql, graphqlData, startTestSubgraph, testViewer, type TestSubgraph } from '@fitgraph/testkit';
import { schema, workoutSubgraph } from '../src/server';

/** Statements a request made: not the background event consumer's or outbox relay's, which may run at any time. */
const requestStatements = (queries: string[]) => queries.filter((sql) => !/\b(outbox|processed_events|known_\w+)\b/.test(sql));

const backSquat = '6a1b0c9e-0003-4000-8000-000000000001';
const benchPress = '6a1b0c9e-0003-4000-8000-000000000005';
const deadlift = '6a1b0c9e-0003-4000-8000-000000000003';
const squatRack = '6a1b0c9e-0002-4000-8000-001000000004';
const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';

const START = 'mutation { startWorkout { id startedAt finishedAt user { id } sets { id } totalVolumeKg } }';
const LOG_SET = `mutation($workoutId: ID!, $input: LogSetInput!) {
  logSet(workoutId: $workoutId, input: $input) { id reps weightKg exercise { id name } machine { id } }
}`;
const FINISH = 'mutation($workoutId: ID!) { finishWorkout(workoutId: $workoutId) { id finishedAt } }';
const WORKOUT = 'query($id: ID!) { workout(id: $id) { id user { id } sets { reps weightKg exercise { name } } totalVolumeKg } }';
const USER_WORKOUTS = `query($reps: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $reps) { ... on User { id workouts(first: $first, after: $after) { nodes { id startedAt } endCursor hasNextPage } } }
}`;

/** What the event consumer hands a handler; these handlers use none of it. */
const handlerTools: EventHandlerTools = { pubsub: openPubSub(undefined, '').pubsub, logger: createLogger('test', 'silent'), afterCommit: () => {} };

describe(`workout subgraph (${backends.database})`, () => {
  let sub: TestSubgraph<typeof schema>;
  let url: string;
  beforeAll(async () => {
    sub = await startTestSubgraph(workoutSubgraph);
    url = sub.url;
    // As the gym subgraph announces its machines (service-kit references.ts).
    await sub.events.publish('machine.created', { machineId: squatRack, gymId: ironHarbor });
    await eventually(async () => (await sub.db.db.select().from(schema.knownMachines).where(eq(schema.knownMachines.id, squatRack))).length === 1, {
      what: 'the workout subgraph to know the squat rack',
    });
  });
  afterAll(async () => {
    await sub?.stop();
  });

  const snapshot = async () => ({
    workouts: await sub.db.db.select().from(schema.workouts).orderBy(asc(schema.workouts.id)),
    sets: await sub.db.db.select().from(schema.workoutSets).orderBy(asc(schema.workoutSets.id)),
  });

  async function startWorkout(token: string): Promise<string> {
    return (await graphqlData(url, START, { token })).startWorkout.id;
  }
  const logSet = (token: string, workoutId: string, input: Record<string, unknown>) =>
    graphqlData(url, LOG_SET, { token, variables: { workoutId, input } });

  it('starts a workout, logs sets, sums the volume and finishes it', async () => {
    const me = await testViewer();
    const started = (await graphqlData(url, START, { token: me.token })).startWorkout;
    expect(started).toMatchObject({ finishedAt: null, user: { id: me.id }, sets: [], totalVolumeKg: 0 });
    expect(Math.abs(Date.parse(started.startedAt) - Date.now())).toBeLessThan(60_000);

    const first = await logSet(me.token, started.id, { exerciseId: backSquat, machineId: squatRack, reps: 5, weightKg: 100 });
    expect(first.logSet).toMatchObject({ reps: 5, weightKg: 100, exercise: { name: 'Back Squat' }, machine: { id: squatRack } });
    await logSet(me.token, started.id, { exerciseId: benchPress, reps: 8, weightKg: 62.5 });
    await logSet(me.token, started.id, { exerciseId: benchPress, reps: 12, weightKg: 0 });

    const { workout } = await graphqlData(url, WORKOUT, { token: me.token, variables: { id: started.id } });
    expect(workout.sets).toEqual([
      { reps: 5, weightKg: 100, exercise: { name: 'Back Squat' } },
      { reps: 8, weightKg: 62.5, exercise: { name: 'Bench Press' } },
      { reps: 12, weightKg: 0, exercise: { name: 'Bench Press' } },
    ]);
    expect(workout.totalVolumeKg).toBe(5 * 100 + 8 * 62.5);

    const finished = (await graphqlData(url, FINISH, { token: me.token, variables: { workoutId: started.id } })).finishWorkout;
    expect(Date.parse(finished.finishedAt)).toBeGreaterThanOrEqual(Date.parse(started.startedAt));

    const before = await snapshot();
    const late = await graphql(url, LOG_SET, { token: me.token, variables: { workoutId: started.id, input: { exerciseId: backSquat, reps: 1, weightKg: 1 } } });
    expect(late.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(late.errors?.[0]?.message).toMatch(/finished/);
    expect(await snapshot()).toEqual(before);
  });

  describe('rejects bad input, leaving the database unchanged', () => {
    let owner: Awaited<ReturnType<typeof testViewer>>;
    let other: Awaited<ReturnType<typeof testViewer>>;
    let openId: string;
    let othersId: string;
    let finishedId: string;
    beforeAll(async () => {
      owner = await testViewer();
      other = await testViewer();
      openId = await startWorkout(owner.token);
      othersId = await startWorkout(other.token);
      finishedId = await startWorkout(owner.token);
      await logSet(owner.token, openId, { exerciseId: backSquat, reps: 5, weightKg: 80 });
      await graphqlData(url, FINISH, { token: owner.token, variables: { workoutId: finishedId } });
    });

    const valid = { exerciseId: backSquat, reps: 5, weightKg: 80 };
    type Case = { name: string; workout?: 'open' | 'others' | 'finished' | string; input?: Record<string, unknown>; as?: 'owner' | 'anonymous' | 'other'; code: string; field?: string };
    const logSetCases: Case[] = [
      { name: 'negative reps', input: { ...valid, reps: -1 }, code: 'BAD_USER_INPUT', field: 'input.reps' },
      { name: 'zero reps', input: { ...valid, reps: 0 }, code: 'BAD_USER_INPUT', field: 'input.reps' },
      { name: 'huge reps', input: { ...valid, reps: 1001 }, code: 'BAD_USER_INPUT', field: 'input.reps' },
      { name: 'reps out of Int range', input: { ...valid, reps: 2 ** 31 }, code: 'BAD_USER_INPUT' },
      { name: 'fractional reps', input: { ...valid, reps: 2.5 }, code: 'BAD_USER_INPUT' },
      { name: 'reps as text', input: { ...valid, reps: 'ten' }, code: 'BAD_USER_INPUT' },
      { name: 'negative weight', input: { ...valid, weightKg: -0.5 }, code: 'BAD_USER_INPUT', field: 'input.weightKg' },
      { name: 'huge weight', input: { ...valid, weightKg: 1000.5 }, code: 'BAD_USER_INPUT', field: 'input.weightKg' },
      { name: 'enormous weight', input: { ...valid, weightKg: 1e308 }, code: 'BAD_USER_INPUT', field: 'input.weightKg' },
      { name: 'weight as text', input: { ...valid, weightKg: 'heavy' }, code: 'BAD_USER_INPUT' },
      { name: 'missing reps', input: { exerciseId: backSquat, weightKg: 1 }, code: 'BAD_USER_INPUT' },
      { name: 'unknown exercise', input: { ...valid, exerciseId: randomUUID() }, code: 'NOT_FOUND' },
      { name: 'malformed exercise id', input: { ...valid, exerciseId: 'squat' }, code: 'NOT_FOUND' },
      { name: 'malformed machine id', input: { ...valid, machineId: 'rack-1' }, code: 'BAD_USER_INPUT', field: 'input.machineId' },
      // Stored, it would make every later read of the set fail ("Cannot return null for non-nullable field").
      { name: 'unknown machine', input: { ...valid, machineId: randomUUID() }, code: 'BAD_USER_INPUT', field: 'input.machineId' },
      { name: 'unknown workout', workout: randomUUID(), code: 'NOT_FOUND' },
      { name: 'malformed workout id', workout: '42', code: 'NOT_FOUND' },
      { name: "another user's workout", workout: 'others', code: 'FORBIDDEN' },
      { name: 'a finished workout', workout: 'finished', code: 'CONFLICT' },
      { name: 'anonymous caller', as: 'anonymous', code: 'UNAUTHENTICATED' },
    ];
    it.each(logSetCases)('logSet: $name -> $code', async ({ workout = 'open', input = valid, as = 'owner', code, field }) => {
      const workoutId = { open: openId, others: othersId, finished: finishedId }[workout] ?? workout;
      const token = as === 'owner' ? owner.token : as === 'other' ? other.token : undefined;
      const before = await snapshot();
      const response = await graphql(url, LOG_SET, { token, variables: { workoutId, input } });
      expect(response.data?.logSet ?? null).toBeNull();
      expect(response.errors?.[0]?.extensions?.code).toBe(code);
      if (field) expect(response.errors?.[0]?.extensions?.field).toBe(field);
      expect(JSON.stringify(response.errors)).not.toMatch(/at .*\.(ts|js):\d+/);
      expect(await snapshot()).toEqual(before);
    });

    const finishCases: Case[] = [
      { name: 'unknown workout', workout: randomUUID(), code: 'NOT_FOUND' },
      { name: 'malformed id', workout: 'x', code: 'NOT_FOUND' },
      { name: "another user's workout", workout: 'others', code: 'FORBIDDEN' },
      { name: 'already finished', workout: 'finished', code: 'CONFLICT' },
      { name: 'anonymous caller', as: 'anonymous', code: 'UNAUTHENTICATED' },
    ];
    it.each(finishCases)('finishWorkout: $name -> $code', async ({ workout = 'open', as = 'owner', code }) => {
      const workoutId = { open: openId, others: othersId, finished: finishedId }[workout] ?? workout;
      const before = await snapshot();
      const response = await graphql(url, FINISH, { token: as === 'owner' ? owner.token : undefined, variables: { workoutId } });
      expect(response.errors?.[0]?.extensions?.code).toBe(code);
      expect(await snapshot()).toEqual(before);
    });

    it('finishWorkout: a workout id of the wrong type -> BAD_USER_INPUT', async () => {
      const before = await snapshot();
      const response = await graphql(url, FINISH, { token: owner.token, variables: { workoutId: { id: openId } } });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await snapshot()).toEqual(before);
    });

    it('startWorkout: anonymous or with a forged token -> UNAUTHENTICATED', async () => {
      const before = await snapshot();
      expect((await graphql(url, START)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const forged = `${owner.token.slice(0, -4)}AAAA`;
      expect((await graphql(url, START, { token: forged })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(await snapshot()).toEqual(before);
    });
  });

  it('shows a workout to its owner, TRAINER and ADMIN only', async () => {
    const owner = await testViewer();
    const id = await startWorkout(owner.token);
    for (const role of ['TRAINER', 'ADMIN'] as const) {
      const { workout } = await graphqlData(url, WORKOUT, { token: (await testViewer(role)).token, variables: { id } });
      expect(workout.user.id).toBe(owner.id);
    }
    for (const viewer of [await testViewer('MEMBER'), await testViewer('GYM_STAFF')]) {
      const response = await graphql(url, WORKOUT, { token: viewer.token, variables: { id } });
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(response.data?.workout ?? null).toBeNull();
    }
    expect((await graphql(url, WORKOUT, { variables: { id } })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Unknown ids are null, as everywhere in the graph.
    expect((await graphqlData(url, WORKOUT, { token: owner.token, variables: { id: randomUUID() } })).workout).toBeNull();

    const reps = [{ __typename: 'User', id: owner.id }];
    const stranger = await graphql(url, USER_WORKOUTS, { token: (await testViewer()).token, variables: { reps } });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const trainer = await graphqlData(url, USER_WORKOUTS, { token: (await testViewer('TRAINER')).token, variables: { reps } });
    expect(trainer._entities[0].workouts.nodes.map((w: any) => w.id)).toEqual([id]);
  });

  it('pages through User.workouts newest first with opaque cursors', async () => {
    const me = await testViewer();
    const started: { id: string; startedAt: string }[] = [];
    for (let i = 0; i < 7; i++) started.push((await graphqlData(url, START, { token: me.token })).startWorkout);
    // Newest first; workouts started in the same millisecond are ordered by id, descending.
    const expected = started
      .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || (a.id < b.id ? 1 : -1))
      .map((w) => w.id);
    const reps = [{ __typename: 'User', id: me.id }];
    const seen: string[] = [];
    let after: string | null = null;
    const pages: number[] = [];
    for (;;) {
      const data: any = await graphqlData(url, USER_WORKOUTS, { token: me.token, variables: { reps, first: 3, after } });
      const page = data._entities[0].workouts;
      pages.push(page.nodes.length);
      seen.push(...page.nodes.map((w: any) => w.id));
      if (!page.hasNextPage) break;
      after = page.endCursor;
      expect(after).not.toContain(page.nodes.at(-1).id); // opaque, not the raw id
    }
    expect(pages).toEqual([3, 3, 1]);
    expect(seen).toEqual(expected);

    const defaults = await graphqlData(url, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { workouts { nodes { id } hasNextPage } } } }`, { token: me.token, variables: { reps } });
    expect(defaults._entities[0].workouts).toMatchObject({ hasNextPage: false });
    expect(defaults._entities[0].workouts.nodes).toHaveLength(7);

    for (const [first, after, field] of [[0, null, 'first'], [-5, null, 'first'], [101, null, 'first'], [3, 'bm9wZQ', 'after'], [3, 'not a cursor!', 'after']] as const) {
      const response = await graphql(url, USER_WORKOUTS, { token: me.token, variables: { reps, first, after } });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });

  it('keeps the heaviest set per exercise as the personal record', async () => {
    const me = await testViewer();
    const w1 = await startWorkout(me.token);
    await logSet(me.token, w1, { exerciseId: backSquat, reps: 5, weightKg: 100 });
    await logSet(me.token, w1, { exerciseId: benchPress, reps: 5, weightKg: 70 });
    const w2 = await startWorkout(me.token);
    await logSet(me.token, w2, { exerciseId: backSquat, reps: 3, weightKg: 110 });
    await logSet(me.token, w2, { exerciseId: backSquat, reps: 4, weightKg: 110 }); // same weight, more reps wins
    await logSet(me.token, w2, { exerciseId: benchPress, reps: 10, weightKg: 60 });
    await logSet(me.token, w2, { exerciseId: deadlift, reps: 1, weightKg: 0 });
    const { _entities } = await graphqlData(
      url,
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { personalRecords { exercise { name } weightKg reps achievedAt workout { id } } } } }`,
      { token: me.token, variables: { reps: [{ __typename: 'User', id: me.id }] } },
    );
    const records = _entities[0].personalRecords;
    expect(records.map((r: any) => [r.exercise.name, r.weightKg, r.reps, r.workout.id])).toEqual([
      ['Back Squat', 110, 4, w2],
      ['Bench Press', 70, 5, w1],
      ['Deadlift', 0, 1, w2],
    ]);
    for (const record of records) expect(Number.isNaN(Date.parse(record.achievedAt))).toBe(false);
    const stranger = await graphql(url, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { personalRecords { reps } } } }`, {
      token: (await testViewer()).token,
      variables: { reps: [{ __typename: 'User', id: me.id }] },
    });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("forgets a deleted user's workouts and sets, and no one else's", async () => {
    const [gone, stays] = [await testViewer(), await testViewer()];
    for (const user of [gone, stays]) {
      const workoutId = await startWorkout(user.token);
      await logSet(user.token, workoutId, { exerciseId: backSquat, reps: 5, weightKg: 50 });
    }
    const handler = workoutSubgraph.eventHandlers!['user.deleted']!;
    await sub.db.db.transaction((tx) => handler(tx, { userId: gone.id }, { id: randomUUID(), topic: 'user.deleted', payload: { userId: gone.id }, occurredAt: new Date().toISOString() }, handlerTools));
    const { workouts, sets } = await snapshot();
    expect(workouts.filter((w) => w.userId === gone.id)).toEqual([]);
    expect(workouts.filter((w) => w.userId === stays.id)).toHaveLength(1);
    expect(sets.filter((s) => !workouts.some((w) => w.id === s.workoutId))).toEqual([]);
    expect(sets.filter((s) => s.workoutId === workouts.find((w) => w.userId === stays.id)!.id)).toHaveLength(1);
  });

  it('loads workouts, sets, exercises and records of many users in a constant number of statements', async () => {
    const admin = await testViewer('ADMIN');
    const users = await Promise.all(Array.from({ length: 12 }, () => testViewer()));
    const exercisesIds = [backSquat, benchPress, deadlift];
    for (const [i, user] of users.entries()) {
      for (let w = 0; w < 1 + (i % 3); w++) {
        const workoutId = await startWorkout(user.token);
        for (let s = 0; s < 3; s++) await logSet(user.token, workoutId, { exerciseId: exercisesIds[s]!, reps: 5 + s, weightKg: 20 * (s + 1) + i });
      }
    }
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User {
      workouts(first: 100) { nodes { id user { id } totalVolumeKg sets { reps exercise { name } machine { id } } } }
      personalRecords { exercise { name } weightKg workout { startedAt } }
    } } }`;
    const count = async (n: number) => {
      const reps = users.slice(0, n).map((u) => ({ __typename: 'User', id: u.id }));
      const before = requestStatements(sub.db.queries).length;
      const data = await graphqlData(url, query, { token: admin.token, variables: { reps } });
      expect(data._entities).toHaveLength(n);
      expect(data._entities[n - 1].workouts.nodes.length).toBeGreaterThan(0);
      return requestStatements(sub.db.queries).length - before;
    };
    // Four or five, whatever the number of users: a record's `workout` is served from the workouts
    // the page already loaded (primed) unless it is asked for before that page's rows arrive, which
    // is timing (one more batched statement). What must not happen is a statement per user.
    const few = await count(2);
    const many = await count(12);
    expect(few).toBeLessThanOrEqual(5);
    expect(many).toBeLessThanOrEqual(5);
  });

  it("serves the dashboard's workouts, their sets and the sets' exercises in two statements", async () => {
    const member = await testViewer();
    const workoutId = await startWorkout(member.token);
    for (const [s, exerciseId] of [backSquat, benchPress].entries()) await logSet(member.token, workoutId, { exerciseId, reps: 5, weightKg: 40 + s });
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User {
      workouts(first: 10) { nodes { startedAt totalVolumeKg sets { reps weightKg exercise { name } machine { id } } } }
    } } }`;
    const before = requestStatements(sub.db.queries).length;
    const data = await graphqlData(url, query, { token: member.token, variables: { reps: [{ __typename: 'User', id: member.id }] } });
    expect(data._entities[0].workouts.nodes[0].sets.map((set: { exercise: { name: string } }) => set.exercise.name)).toHaveLength(2);
    // The page, then its sets joined with their exercises.
    expect(requestStatements(sub.db.queries).length - before).toBe(2);
  });
});
