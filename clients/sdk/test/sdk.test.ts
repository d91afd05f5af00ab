/**
 * @fitgraph/sdk: it bundles for browsers and React Native without Node built-ins, its typed
 * operations reject wrong variables and fields at compile time, and against a whole stack (real
 * PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set) it signs in, refreshes tokens, runs the
 * member operations, and resumes both subscriptions after a dropped connection without losing
 * or doubling an event. The example script runs against the same stack.
 */
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { repoRoot } from '@fitgraph/platform';
import { eventually, graphqlData, signUpUser, startTestStack, type TestAccount, type TestStack } from '@fitgraph/testkit';
import {
  createFitGraphClient,
  FitGraphError,
  MachineBoardDocument,
  memoryTokenStore,
  type ChatMessageFragment,
  type FitGraph,
  type FitGraphClientOptions,
  type MachineStatusEvent,
  type Session,
} from '../src/index';

const sdkEntry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

describe('the SDK runs where React Native and browsers run', () => {
  /** Bundles the SDK for one set of conditions; every Node built-in it reaches is reported. */
  const bundle = async (platform: 'browser' | 'neutral', conditions: string[], mainFields: string[]) => {
    const reached: string[] = [];
    const noNode: Plugin = {
      name: 'no-node-builtins',
      setup(builder) {
        builder.onResolve({ filter: /.*/ }, (args) => {
          if (!nodeBuiltins.has(args.path)) return undefined;
          reached.push(`${args.path} (from ${args.importer.replace(repoRoot, '')})`);
          return { path: args.path, external: true };
        });
      },
    };
    const result = await build({ entryPoints: [sdkEntry], bundle: true, write: false, format: 'esm', platform, conditions, mainFields, plugins: [noNode], logLevel: 'silent' });
    return { reached, bytes: result.outputFiles[0]!.contents.length };
  };

  it('bundles for the browser without any Node built-in', async () => {
    const { reached, bytes } = await bundle('browser', ['browser'], ['browser', 'module', 'main']);
    expect(reached).toEqual([]);
    expect(bytes).toBeGreaterThan(10_000);
  });

  it('bundles for React Native (Metro conditions) without any Node built-in', async () => {
    const { reached } = await bundle('neutral', ['react-native', 'browser'], ['react-native', 'browser', 'module', 'main']);
    expect(reached).toEqual([]);
  });

  it('rejects wrong variables and unselected fields at compile time (pnpm typecheck)', () => {
    // Never called: the @ts-expect-error lines fail `tsc` if the typed documents stop catching these.
    const misuse = async (client: FitGraph) => {
      // @ts-expect-error gymId is an ID, not a boolean
      await client.request(MachineBoardDocument, { gymId: true });
      // @ts-expect-error the board's operation takes no `city` variable
      await client.request(MachineBoardDocument, { gymId: 'g', city: 'Hamburg' });
      const data = await client.request(MachineBoardDocument, { gymId: 'g' });
      // @ts-expect-error `pricePerHour` is not a field of Machine (nor selected)
      return data.gym?.machines[0]?.pricePerHour;
    };
    expect(typeof misuse).toBe('function');
  });
});

describe('the SDK against a running stack', () => {
  let stack: TestStack;
  let staff: TestAccount;
  let gym: { id: string; machines: { id: string; name: string }[] };
  const clients: FitGraph[] = [];
  /** Set true to make every new WebSocket of `flakyWebSocket` fail, as with no network. */
  let offline = false;
  class FlakyWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      // Port 9 (discard) is closed here: the connection is refused, as it is without a network.
      super(offline ? 'ws://127.0.0.1:9/graphql' : url, protocols);
    }
  }

  const client = (options: Partial<FitGraphClientOptions> = {}) => {
    const created = createFitGraphClient({ url: stack.gateway.url, webSocketImpl: FlakyWebSocket, maxReconnectDelayMs: 1000, ...options });
    clients.push(created);
    return created;
  };
  const signedIn = async (options: Partial<FitGraphClientOptions> = {}) => {
    const created = client(options);
    const account = await signUpUser(stack.gateway.url);
    await created.signIn(account.email, account.password);
    return { client: created, account };
  };
  const setStatus = (machineId: string, status: string) =>
    graphqlData(stack.gateway.url, 'mutation($id: ID!, $s: MachineStatus!) { setMachineStatus(machineId: $id, status: $s) { id } }', {
      variables: { id: machineId, s: status },
      token: staff.accessToken,
    });

  beforeAll(async () => {
    stack = await startTestStack();
    staff = await signUpUser(stack.gateway.url, { role: 'GYM_STAFF' });
    const { gyms } = await graphqlData(stack.gateway.url, '{ gyms { id machines { id name } } }');
    gym = gyms[1];
  });
  afterAll(async () => {
    await Promise.all(clients.map((each) => each.dispose()));
    await stack?.stop();
  });

  it('signs up, keeps the session in the token store, and signs out', async () => {
    const store = memoryTokenStore();
    const changes: (Session | null)[] = [];
    const fitgraph = client({ tokenStore: store, onSessionChange: (session) => changes.push(session) });
    const email = `sdk-${Date.now()}@test.fitgraph.dev`;
    const session = await fitgraph.signUp({ email, password: 'a-long-enough-password', displayName: 'Sdk Member' });
    expect(session.user).toMatchObject({ email, displayName: 'Sdk Member', role: 'MEMBER' });
    expect(JSON.parse((await store.getItem('fitgraph.session'))!)).toMatchObject({ refreshToken: session.refreshToken });
    expect((await fitgraph.me())?.email).toBe(email);
    expect((await fitgraph.updateProfile({ homeGymId: gym.id, timeZone: 'Europe/Berlin' })).homeGym?.id).toBe(gym.id);

    await fitgraph.signOut();
    expect(await store.getItem('fitgraph.session')).toBeNull();
    expect(changes.at(-1)).toBeNull();
    expect(await fitgraph.me()).toBeNull(); // signed out: no token sent
    // The refresh token died with the session.
    const refused = await graphqlData(stack.gateway.url, 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', {
      variables: { t: session.refreshToken },
    }).catch((error: Error) => error.message);
    expect(refused).toContain('UNAUTHENTICATED');
    const wrong = await fitgraph.signIn(email, 'not-the-password').catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(FitGraphError);
    expect((wrong as FitGraphError).code).toBe('UNAUTHENTICATED');
  });

  it('refreshes the access token before it expires and when the gateway answers UNAUTHENTICATED', async () => {
    const store = memoryTokenStore();
    // A leeway longer than the token lives: every request refreshes first.
    const early = client({ tokenStore: store, refreshLeewaySeconds: 24 * 3600 });
    const account = await signUpUser(stack.gateway.url);
    const first = await early.signIn(account.email, account.password);
    expect((await early.me())?.id).toBe(account.id);
    const rotated = (await early.session())!;
    expect(rotated.refreshToken).not.toBe(first.refreshToken);
    expect(rotated.accessToken).not.toBe(first.accessToken);

    // A token the gateway refuses (here: garbage, as after a key rotation): refresh once, retry.
    const lazy = client({ tokenStore: store });
    await store.setItem('fitgraph.session', JSON.stringify({ ...rotated, accessToken: 'not-a-valid-token' }));
    expect((await lazy.me())?.id).toBe(account.id);
    expect((await lazy.session())!.accessToken).not.toBe('not-a-valid-token');

    // A refresh token the gateway refuses ends the session.
    await store.setItem('fitgraph.session', JSON.stringify({ ...rotated, accessToken: 'not-a-valid-token', refreshToken: 'revoked' }));
    const ended = await lazy.gyms().catch((error: unknown) => error);
    expect(ended).toBeInstanceOf(FitGraphError);
    expect((ended as FitGraphError).code).toBe('UNAUTHENTICATED');
    expect(await lazy.session()).toBeNull();
  });

  it('logs a workout and reads it back with personal records; logs a meal against goals', async () => {
    const { client: fitgraph } = await signedIn();
    const [exercise] = await fitgraph.exercises('bench');
    const workout = await fitgraph.startWorkout();
    await fitgraph.logSet(workout.id, { exerciseId: exercise!.id, machineId: gym.machines[0]!.id, reps: 8, weightKg: 60 });
    await fitgraph.logSet(workout.id, { exerciseId: exercise!.id, reps: 5, weightKg: 70 });
    const finished = await fitgraph.finishWorkout(workout.id);
    expect(finished.totalVolumeKg).toBe(8 * 60 + 5 * 70);
    expect((await fitgraph.workout(workout.id))?.sets.map((set) => [set.reps, set.weightKg, set.machine?.id ?? null])).toEqual([
      [8, 60, gym.machines[0]!.id],
      [5, 70, null],
    ]);
    const history = await fitgraph.workoutHistory();
    expect(history.workouts.nodes.map((node) => node.id)).toEqual([workout.id]);
    expect(history.personalRecords).toEqual([expect.objectContaining({ weightKg: 70, reps: 5, exercise: { id: exercise!.id, name: exercise!.name } })]);

    const [food] = await fitgraph.foods('oat');
    await fitgraph.setNutritionGoals({ kcal: 2000, proteinG: 150, carbsG: 200, fatG: 70 });
    const meal = await fitgraph.logMeal({ foodId: food!.id, grams: 100, eatenAt: '2026-11-20T08:00:00.000Z' });
    const day = await fitgraph.dailyNutrition('2026-11-20');
    expect(day.entries.map((entry) => entry.id)).toEqual([meal.id]);
    expect(day.kcal).toBeCloseTo(food!.kcalPer100g);
    expect(day.remaining?.kcal).toBeCloseTo(2000 - food!.kcalPer100g);
    expect((await fitgraph.nutritionGoals())?.kcal).toBe(2000);
  });

  it('claims and releases a machine with the board live; resumes the board after a dropped connection', async () => {
    const { client: fitgraph, account } = await signedIn();
    const events: MachineStatusEvent[] = [];
    fitgraph.onMachineStatusChanged(gym.id, { next: (event) => events.push(event) });
    const machine = gym.machines[2]!;
    await fitgraph.checkIn(gym.id);
    // The first change also proves the subscription is open (graphql-ws does not acknowledge one).
    await eventually(async () => {
      if (events.some((event) => event.machine.id === machine.id)) return true;
      const board = await fitgraph.machineBoard(gym.id);
      const status = board!.machines.find((each) => each.id === machine.id)!.status;
      await (status === 'AVAILABLE' ? fitgraph.claimMachine(machine.id) : fitgraph.releaseMachine(machine.id));
      return false;
    }, { timeoutMs: 15_000, intervalMs: 500, what: 'a first board event' });
    const seen = events.length;

    offline = true;
    fitgraph.reconnect();
    await setStatus(gym.machines[3]!.id, 'MAINTENANCE');
    await setStatus(gym.machines[3]!.id, 'AVAILABLE');
    offline = false;
    const offlineChanges = () => events.slice(seen).filter((event) => event.machine.id === gym.machines[3]!.id);
    await eventually(() => offlineChanges().length >= 2, { what: 'the changes made while offline' });
    expect(offlineChanges().map((event) => [event.machine.id, event.status])).toEqual([
      [gym.machines[3]!.id, 'MAINTENANCE'],
      [gym.machines[3]!.id, 'AVAILABLE'],
    ]);
    // Consecutive ids (the gym's history positions): nothing missed, nothing twice.
    const ids = events.map((event) => Number(event.id));
    expect(ids).toEqual(ids.map((_, index) => ids[0]! + index));
    const board = await fitgraph.machineBoard(gym.id);
    expect(board!.occupancy).toBe(1);
    expect(board!.machines.find((each) => each.currentUser?.id === account.id)?.id ?? machine.id).toBe(machine.id);
  });

  it('resumes messageAdded after a dropped connection: every message once, in order; retried sends store one', async () => {
    const { client: reader, account: readerAccount } = await signedIn();
    const { client: writer } = await signedIn();
    const conversation = await writer.startConversation([readerAccount.id], 'Leg day');
    await writer.sendMessage(conversation.id, 'first');
    const page = await reader.messages(conversation.id, { last: 10 });
    expect(page?.messages.map((message) => message.body)).toEqual(['first']);

    const received: ChatMessageFragment[] = [];
    reader.onMessageAdded(conversation.id, { next: (message) => received.push(message) }, { after: page!.messages.at(-1)!.id });
    await eventually(async () => {
      if (received.length > 0) return true;
      await writer.sendMessage(conversation.id, 'ping', 'ping'); // same client id: stored once however often it is sent
      return false;
    }, { timeoutMs: 15_000, intervalMs: 300, what: 'the subscription to open' });

    offline = true;
    reader.reconnect();
    for (const body of ['while offline 1', 'while offline 2', 'while offline 3']) await writer.sendMessage(conversation.id, body);
    offline = false;
    const retried = await writer.sendMessage(conversation.id, 'after', 'after-id');
    expect((await writer.sendMessage(conversation.id, 'after', 'after-id')).id).toBe(retried.id);

    const expected = ['ping', 'while offline 1', 'while offline 2', 'while offline 3', 'after'];
    await eventually(() => received.length >= expected.length, { what: 'every message after the reconnect' });
    expect(received.map((message) => message.body)).toEqual(expected);
    const stored = await reader.messages(conversation.id, { last: 50 });
    expect(stored?.messages.map((message) => message.body)).toEqual(['first', ...expected]);
  });

  it('runs the example script (sign in, workout, board change)', async () => {
    const { stdout } = await promisify(execFile)(`${repoRoot}node_modules/.bin/tsx`, ['examples/member.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, FITGRAPH_URL: stack.gateway.url },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^signed in as Alex Demo$/m);
    expect(stdout).toMatch(/^read back workout [0-9a-f-]+ \(finished .+\); personal record for .+: \d+ kg x \d+$/m);
    expect(stdout).toMatch(/^saw .+ change to IN_USE on the board$/m);
    expect(stdout).toMatch(/^saw .+ change to AVAILABLE on the board$/m);
    expect(stdout.trim().split('\n').at(-1)).toBe('done');
  });
});
