/**
 * The authorization matrix: every private field and mutation of the contract, what each kind of
 * caller gets. Each cell runs against fresh accounts through the gateway, so a destructive
 * mutation in one cell cannot influence another.
 *
 * To extend it (workouts, meals, chats, ...), add a row to `matrix`: `setup` creates the owner's
 * data, `operation` builds the request, `path` points at the guarded value, `expected` says what
 * each caller gets. Outcomes: an error code (the value is absent and the response carries exactly
 * that code), `null` (no error, the value is null), `data` (no error, the value is there), or
 * `n/a` with a `note` saying why the caller cannot even address the owner's data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backends,
  demoAdmin,
  graphql,
  graphqlData,
  signIn,
  signUpUser,
  startTestStack,
  testViewer,
  type GraphQLResponse,
  type TestAccount,
  type TestStack,
} from '@fitgraph/testkit';

type Caller = 'anonymous' | 'otherMember' | 'owner' | 'admin';
type Outcome = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'null' | 'data' | 'n/a';

interface CellContext<TSetup> {
  url: string;
  owner: TestAccount;
  caller: Caller;
  /** The account making the request (null when anonymous). */
  callerAccount: { id: string; accessToken: string } | null;
  setup: TSetup;
}

interface MatrixRow<TSetup = unknown> {
  /** The contract member, e.g. `User.email` or `Mutation.deleteAccount`. */
  member: string;
  /** Creates the owner's data before each cell; its result reaches `operation` and `verify`. */
  setup?: (url: string, owner: TestAccount) => Promise<TSetup>;
  operation: (cell: CellContext<TSetup>) => { query: string; variables?: Record<string, unknown> };
  /** Where the guarded value sits in `data`. */
  path: string[];
  expected: Record<'anonymous' | 'otherMember' | 'owner', Outcome> & { admin?: Outcome };
  /** Extra assertions after the request (e.g. nothing changed for a refused caller). */
  verify?: (cell: CellContext<TSetup>, response: GraphQLResponse) => Promise<void>;
  /** Why a cell is `n/a`, or what the outcome means. */
  note?: string;
}

const row = <TSetup>(definition: MatrixRow<TSetup>) => definition as MatrixRow<unknown>;

const profileOf = async (url: string, account: TestAccount) =>
  (await graphqlData(url, 'query($id: ID!) { user(id: $id) { displayName role } }', { variables: { id: account.id } })).user;

const matrix: MatrixRow[] = [
  row({
    member: 'User.email',
    operation: ({ owner }) => ({ query: 'query($id: ID!) { user(id: $id) { id email } }', variables: { id: owner.id } }),
    path: ['user', 'email'],
    expected: { anonymous: 'null', otherMember: 'null', owner: 'data', admin: 'data' },
    verify: async ({ owner, caller }, response) => {
      if (caller === 'owner' || caller === 'admin') expect((response.data as any).user.email).toBe(owner.email);
    },
    note: 'documented as null (not an error) for everyone but the user and ADMIN',
  }),
  row({
    member: 'Query.me',
    operation: () => ({ query: '{ me { id email } }' }),
    path: ['me'],
    expected: { anonymous: 'null', otherMember: 'data', owner: 'data', admin: 'data' },
    // Always the caller's own account, never anyone else's.
    verify: async ({ callerAccount }, response) => {
      if (callerAccount) expect((response.data as any).me.id).toBe(callerAccount.id);
    },
  }),
  row({
    member: 'Mutation.updateProfile',
    operation: () => ({ query: 'mutation { updateProfile(input: { displayName: "Changed by caller" }) { id displayName } }' }),
    path: ['updateProfile'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'data' },
    verify: async ({ url, owner, caller }, _response) => {
      expect((await profileOf(url, owner)).displayName).toBe(caller === 'owner' ? 'Changed by caller' : owner.displayName);
    },
    note: 'acts on the caller only: there is no argument naming another user',
  }),
  row({
    member: 'Mutation.deleteAccount',
    operation: () => ({ query: 'mutation { deleteAccount }' }),
    path: ['deleteAccount'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'data' },
    verify: async ({ url, owner, caller }) => {
      const stillThere = (await graphqlData(url, 'query($id: ID!) { user(id: $id) { id } }', { variables: { id: owner.id } })).user;
      expect(stillThere === null).toBe(caller === 'owner');
    },
    note: 'acts on the caller only: there is no argument naming another user',
  }),
  row({
    member: 'Mutation.setUserRole',
    operation: ({ owner }) => ({
      query: 'mutation($id: ID!) { setUserRole(userId: $id, role: TRAINER) { id role } }',
      variables: { id: owner.id },
    }),
    path: ['setUserRole'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'FORBIDDEN', admin: 'data' },
    verify: async ({ url, owner, caller }) => {
      expect((await profileOf(url, owner)).role).toBe(caller === 'admin' ? 'TRAINER' : 'MEMBER');
    },
    note: 'ADMIN only; a member cannot promote themself',
  }),
  // ---------------------------------------------------------------- gym floor
  row({
    member: 'Machine.currentUser',
    setup: (url, owner) => newMachine(url, owner),
    operation: ({ setup }) => ({ query: 'query($id: ID!) { machine(id: $id) { id currentUser { id } } }', variables: { id: setup.machineId } }),
    path: ['machine', 'currentUser'],
    expected: { anonymous: 'null', otherMember: 'data', owner: 'data', admin: 'data' },
    verify: async ({ owner, caller }, response) => {
      if (caller !== 'anonymous') expect((response.data as any).machine.currentUser.id).toBe(owner.id);
    },
    note: 'who is on a machine is shown to signed-in members of the network, null for anonymous callers',
  }),
  row({
    member: 'Mutation.checkIn',
    operation: () => ({ query: `mutation { checkIn(gymId: "${ironHarbor}") { id } }` }),
    path: ['checkIn'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'data' },
    note: 'acts on the caller only: there is no argument naming another user',
  }),
  row({
    member: 'Mutation.checkOut',
    setup: async (url, owner) => {
      await graphqlData(url, `mutation { checkIn(gymId: "${ironHarbor}") { id } }`, { token: owner.accessToken });
    },
    operation: () => ({ query: `mutation { checkOut(gymId: "${ironHarbor}") { id } }` }),
    path: ['checkOut'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'data' },
    note: "acts on the caller only: another member cannot check the owner out",
  }),
  row({
    member: 'Mutation.claimMachine',
    setup: (url) => newMachine(url),
    operation: ({ setup }) => ({ query: 'mutation($id: ID!) { claimMachine(machineId: $id) { id } }', variables: { id: setup.machineId } }),
    path: ['claimMachine'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'data' },
    verify: async ({ url, caller, setup }) => {
      expect(await machineStatusOf(url, setup.machineId)).toBe(caller === 'owner' ? 'IN_USE' : 'AVAILABLE');
    },
    note: 'claims for the caller only: there is no argument naming another user',
  }),
  row({
    member: 'Mutation.releaseMachine',
    setup: (url, owner) => newMachine(url, owner),
    operation: ({ setup }) => ({ query: 'mutation($id: ID!) { releaseMachine(machineId: $id) { id } }', variables: { id: setup.machineId } }),
    path: ['releaseMachine'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'data' },
    verify: async ({ url, caller, setup }) => {
      expect(await machineStatusOf(url, setup.machineId)).toBe(caller === 'owner' || caller === 'admin' ? 'AVAILABLE' : 'IN_USE');
    },
    note: 'the holder (owner), GYM_STAFF or ADMIN',
  }),
  row({
    member: 'Mutation.setMachineStatus',
    setup: (url) => newMachine(url),
    operation: ({ setup }) => ({
      query: 'mutation($id: ID!) { setMachineStatus(machineId: $id, status: OUT_OF_ORDER) { id } }',
      variables: { id: setup.machineId },
    }),
    path: ['setMachineStatus'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'FORBIDDEN', admin: 'data' },
    verify: async ({ url, caller, setup }) => {
      expect(await machineStatusOf(url, setup.machineId)).toBe(caller === 'admin' ? 'OUT_OF_ORDER' : 'AVAILABLE');
    },
    note: "GYM_STAFF/ADMIN, or the machine itself with its device key (x-device-key; tested in tests/gym.test.ts)",
  }),
  row({
    member: 'Mutation.addMachine',
    operation: () => ({ query: `mutation { addMachine(gymId: "${ironHarbor}", name: "Matrix Rower", kind: "ROWER") { deviceKey } }` }),
    path: ['addMachine'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'FORBIDDEN', admin: 'data' },
    note: 'GYM_STAFF/ADMIN only',
  }),
  // ---------------------------------------------------------------- chat: members only, ADMIN included
  row({
    member: 'Query.conversation',
    setup: (url, owner) => chatWithFriend(url, owner),
    operation: ({ setup }) => ({ query: 'query($id: ID!) { conversation(id: $id) { id messages { body } } }', variables: { id: setup.conversationId } }),
    path: ['conversation'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'FORBIDDEN' },
    note: 'conversations are private to their members; an ADMIN is no exception',
  }),
  row({
    member: 'Query.conversations',
    setup: (url, owner) => chatWithFriend(url, owner),
    operation: () => ({ query: '{ conversations { id } }' }),
    path: ['conversations'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'data', owner: 'data', admin: 'data' },
    verify: async ({ caller, setup }, response) => {
      const ids = (response.data as any)?.conversations?.map((c: { id: string }) => c.id) ?? [];
      expect(ids.includes(setup.conversationId)).toBe(caller === 'owner');
    },
    note: "always the caller's own conversations",
  }),
  row({
    member: 'Mutation.startConversation',
    setup: async (url) => ({ friendId: (await signUpUser(url)).id }),
    operation: ({ setup }) => ({
      query: 'mutation($who: [ID!]!) { startConversation(memberIds: $who, title: "Spotting") { id } }',
      variables: { who: [setup.friendId] },
    }),
    path: ['startConversation'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'data' },
    note: 'the caller is always a member of the conversation they start',
  }),
  row({
    member: 'Mutation.joinGymRoom',
    operation: () => ({
      query: 'mutation { joinGymRoom(gymId: "6a1b0c9e-0001-4000-8000-000000000001") { id } }',
    }),
    path: ['joinGymRoom'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'FORBIDDEN' },
    note: 'only members who checked in at the gym may join its room; the owner here never did (tests/chat.test.ts covers the allowed case)',
  }),
  row({
    member: 'Mutation.sendMessage',
    setup: (url, owner) => chatWithFriend(url, owner),
    operation: ({ setup }) => ({
      query: 'mutation($id: ID!) { sendMessage(conversationId: $id, body: "from the caller") { id } }',
      variables: { id: setup.conversationId },
    }),
    path: ['sendMessage'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'FORBIDDEN' },
    verify: async ({ url, owner, caller, setup }) => {
      expect(await messageBodies(url, owner, setup.conversationId)).toEqual(caller === 'owner' ? ['hello', 'from the caller'] : ['hello']);
    },
  }),
  row({
    member: 'Mutation.addMembers',
    setup: (url, owner) => chatWithFriend(url, owner, 2),
    operation: ({ setup }) => ({
      query: 'mutation($id: ID!, $who: [ID!]!) { addMembers(conversationId: $id, memberIds: $who) { id } }',
      variables: { id: setup.conversationId, who: [setup.newcomerId] },
    }),
    path: ['addMembers'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'FORBIDDEN' },
    verify: async ({ url, owner, caller, setup }) => {
      expect((await memberIds(url, owner, setup.conversationId)).includes(setup.newcomerId)).toBe(caller === 'owner');
    },
  }),
  row({
    member: 'Mutation.removeMember',
    setup: (url, owner) => chatWithFriend(url, owner, 2),
    operation: ({ setup }) => ({
      query: 'mutation($id: ID!, $who: ID!) { removeMember(conversationId: $id, userId: $who) }',
      variables: { id: setup.conversationId, who: setup.friendId },
    }),
    path: ['removeMember'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'data' },
    verify: async ({ url, owner, caller, setup }) => {
      expect((await memberIds(url, owner, setup.conversationId)).includes(setup.friendId)).toBe(caller !== 'owner' && caller !== 'admin');
    },
    note: "the group's starter (owner) or an ADMIN (moderation) only",
  }),
  row({
    member: 'Mutation.leaveConversation',
    setup: (url, owner) => chatWithFriend(url, owner),
    operation: ({ setup }) => ({ query: 'mutation($id: ID!) { leaveConversation(conversationId: $id) }', variables: { id: setup.conversationId } }),
    path: ['leaveConversation'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'FORBIDDEN' },
    note: 'acts on the caller, who must be a member',
  }),
  // ---------------------------------------------------------------- workouts: the owner, TRAINER and ADMIN see; only the owner writes
  row({
    member: 'User.workouts',
    setup: (url, owner) => newWorkout(url, owner),
    operation: ({ owner }) => ({ query: 'query($id: ID!) { user(id: $id) { id workouts { nodes { id } } } }', variables: { id: owner.id } }),
    path: ['user', 'workouts'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'data' },
    verify: async ({ caller, setup }, response) => {
      if (caller === 'owner' || caller === 'admin') expect((response.data as any).user.workouts.nodes).toEqual([{ id: setup.workoutId }]);
    },
    note: 'TRAINER sees them too (tests/workout.test.ts)',
  }),
  row({
    member: 'User.personalRecords',
    setup: (url, owner) => newWorkout(url, owner),
    operation: ({ owner }) => ({ query: 'query($id: ID!) { user(id: $id) { id personalRecords { weightKg } } }', variables: { id: owner.id } }),
    path: ['user', 'personalRecords'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'data' },
    verify: async ({ caller }, response) => {
      if (caller === 'owner' || caller === 'admin') expect((response.data as any).user.personalRecords).toEqual([{ weightKg: 100 }]);
    },
  }),
  row({
    member: 'Query.workout',
    setup: (url, owner) => newWorkout(url, owner),
    operation: ({ setup }) => ({ query: 'query($id: ID!) { workout(id: $id) { id sets { reps } } }', variables: { id: setup.workoutId } }),
    path: ['workout'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'data' },
  }),
  row({
    member: 'Mutation.startWorkout',
    operation: () => ({ query: 'mutation { startWorkout { id } }' }),
    path: ['startWorkout'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'data' },
    note: 'starts a workout of the caller only: there is no argument naming another user',
  }),
  row({
    member: 'Mutation.logSet',
    setup: (url, owner) => newWorkout(url, owner),
    operation: ({ setup }) => ({
      query: 'mutation($id: ID!) { logSet(workoutId: $id, input: { exerciseId: "6a1b0c9e-0003-4000-8000-000000000005", reps: 8, weightKg: 60 }) { id } }',
      variables: { id: setup.workoutId },
    }),
    path: ['logSet'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'FORBIDDEN' },
    verify: async ({ url, owner, caller, setup }) => {
      expect((await workoutAsOwner(url, owner, setup.workoutId)).sets).toHaveLength(caller === 'owner' ? 2 : 1);
    },
    note: "only the owner logs sets in their workout; ADMIN reads but does not write someone's training log",
  }),
  row({
    member: 'Mutation.finishWorkout',
    setup: (url, owner) => newWorkout(url, owner),
    operation: ({ setup }) => ({ query: 'mutation($id: ID!) { finishWorkout(workoutId: $id) { id } }', variables: { id: setup.workoutId } }),
    path: ['finishWorkout'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'FORBIDDEN' },
    verify: async ({ url, owner, caller, setup }) => {
      expect((await workoutAsOwner(url, owner, setup.workoutId)).finishedAt !== null).toBe(caller === 'owner');
    },
    note: 'only the owner',
  }),
  // ---------------------------------------------------------------- nutrition: the user themself only, ADMIN included
  row({
    member: 'User.dailyNutrition',
    setup: (url, owner) => newMeal(url, owner),
    operation: ({ owner }) => ({
      query: `query($id: ID!) { user(id: $id) { id dailyNutrition(date: "${mealDate}") { kcal entries { id } } } }`,
      variables: { id: owner.id },
    }),
    path: ['user', 'dailyNutrition'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'FORBIDDEN' },
    note: 'the user themself only; an ADMIN is no exception',
  }),
  row({
    member: 'User.nutritionGoals',
    setup: async (url, owner) => {
      await graphqlData(url, 'mutation { setNutritionGoals(input: { kcal: 2200, proteinG: 140, carbsG: 250, fatG: 70 }) { kcal } }', { token: owner.accessToken });
    },
    operation: ({ owner }) => ({ query: 'query($id: ID!) { user(id: $id) { id nutritionGoals { kcal } } }', variables: { id: owner.id } }),
    path: ['user', 'nutritionGoals'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'FORBIDDEN' },
    note: 'the user themself only',
  }),
  row({
    member: 'Mutation.logMeal',
    operation: () => ({ query: 'mutation { logMeal(input: { foodId: "6a1b0c9e-0004-4000-8000-000000000057", grams: 120 }) { id kcal } }' }),
    path: ['logMeal'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'data' },
    note: "logs for the caller only: there is no argument naming another user",
  }),
  row({
    member: 'Mutation.deleteMealEntry',
    setup: (url, owner) => newMeal(url, owner),
    operation: ({ setup }) => ({ query: 'mutation($id: ID!) { deleteMealEntry(id: $id) }', variables: { id: setup.mealId } }),
    path: ['deleteMealEntry'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'FORBIDDEN', owner: 'data', admin: 'FORBIDDEN' },
    verify: async ({ url, owner, caller }) => {
      expect(await mealCountOf(url, owner)).toBe(caller === 'owner' ? 0 : 1);
    },
    note: 'the owner only',
  }),
  row({
    member: 'Mutation.setNutritionGoals',
    operation: () => ({ query: 'mutation { setNutritionGoals(input: { kcal: 1800, proteinG: 120, carbsG: 200, fatG: 60 }) { kcal } }' }),
    path: ['setNutritionGoals'],
    expected: { anonymous: 'UNAUTHENTICATED', otherMember: 'n/a', owner: 'data' },
    note: "sets the caller's goals only: there is no argument naming another user",
  }),
];

const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';

/** A machine of its own for one cell (added by GYM_STAFF, a token minted with the dev keys), claimed by `holder` when given. */
async function newMachine(url: string, holder?: TestAccount): Promise<{ machineId: string }> {
  const { token: staffToken } = await testViewer('GYM_STAFF');
  const { addMachine } = await graphqlData(url, `mutation { addMachine(gymId: "${ironHarbor}", name: "Matrix Treadmill", kind: "TREADMILL") { machine { id } } }`, {
    token: staffToken,
  });
  if (holder) {
    await graphqlData(url, 'mutation($id: ID!) { claimMachine(machineId: $id) { id } }', { token: holder.accessToken, variables: { id: addMachine.machine.id } });
  }
  return { machineId: addMachine.machine.id };
}

const machineStatusOf = async (url: string, id: string): Promise<string> =>
  (await graphqlData(url, 'query($id: ID!) { machine(id: $id) { status } }', { variables: { id } })).machine.status;

interface ChatSetup {
  conversationId: string;
  friendId: string;
  /** Someone not yet in the conversation (for addMembers). */
  newcomerId: string;
}

/** A conversation of `owner` with a friend (plus `extra` more people, making it a group) and one message. */
async function chatWithFriend(url: string, owner: TestAccount, extra = 0): Promise<ChatSetup> {
  const [friend, newcomer, ...more] = await Promise.all(Array.from({ length: 2 + extra }, () => signUpUser(url)));
  const { startConversation } = await graphqlData(url, 'mutation($ids: [ID!]!) { startConversation(memberIds: $ids) { id } }', {
    token: owner.accessToken,
    variables: { ids: [friend!.id, ...more.map((m) => m.id)] },
  });
  await graphqlData(url, 'mutation($id: ID!) { sendMessage(conversationId: $id, body: "hello") { id } }', {
    token: owner.accessToken,
    variables: { id: startConversation.id },
  });
  return { conversationId: startConversation.id, friendId: friend!.id, newcomerId: newcomer!.id };
}

const conversationAsOwner = async (url: string, owner: TestAccount, id: string) =>
  (await graphqlData(url, 'query($id: ID!) { conversation(id: $id) { members { id } messages { body } } }', { token: owner.accessToken, variables: { id } }))
    .conversation;
const messageBodies = async (url: string, owner: TestAccount, id: string): Promise<string[]> =>
  (await conversationAsOwner(url, owner, id)).messages.map((m: { body: string }) => m.body);
const memberIds = async (url: string, owner: TestAccount, id: string): Promise<string[]> =>
  (await conversationAsOwner(url, owner, id)).members.map((m: { id: string }) => m.id);


/** A workout of `owner` with one set (Back Squat 5 x 100 kg). */
async function newWorkout(url: string, owner: TestAccount): Promise<{ workoutId: string }> {
  const token = owner.accessToken;
  const { startWorkout } = await graphqlData(url, 'mutation { startWorkout { id } }', { token });
  await graphqlData(url, 'mutation($id: ID!) { logSet(workoutId: $id, input: { exerciseId: "6a1b0c9e-0003-4000-8000-000000000001", reps: 5, weightKg: 100 }) { id } }', {
    token,
    variables: { id: startWorkout.id },
  });
  return { workoutId: startWorkout.id };
}

const workoutAsOwner = async (url: string, owner: TestAccount, id: string) =>
  (await graphqlData(url, 'query($id: ID!) { workout(id: $id) { finishedAt sets { id } } }', { token: owner.accessToken, variables: { id } })).workout;

const mealDate = '2026-04-02';

/** One meal of `owner` on {@link mealDate} (UTC, the default zone). */
async function newMeal(url: string, owner: TestAccount): Promise<{ mealId: string }> {
  const { logMeal } = await graphqlData(url, `mutation { logMeal(input: { foodId: "6a1b0c9e-0004-4000-8000-000000000026", grams: 80, eatenAt: "${mealDate}T08:00:00Z" }) { id } }`, {
    token: owner.accessToken,
  });
  return { mealId: logMeal.id };
}

const mealCountOf = async (url: string, owner: TestAccount): Promise<number> =>
  (await graphqlData(url, `query($id: ID!) { user(id: $id) { dailyNutrition(date: "${mealDate}") { entries { id } } } }`, { token: owner.accessToken, variables: { id: owner.id } }))
    .user.dailyNutrition.entries.length;

const valueAt = (data: unknown, path: string[]) => path.reduce<unknown>((value, key) => (value as Record<string, unknown> | null | undefined)?.[key], data);

describe(`authorization matrix through the gateway (${backends.database})`, () => {
  let stack: TestStack;
  let url: string;
  let admin: { id: string; accessToken: string };
  beforeAll(async () => {
    stack = await startTestStack({ SIGN_IN_MAX_FAILURES_PER_IP: '1000' });
    url = stack.gateway.url;
    const session = await signIn(url, demoAdmin.email, demoAdmin.password);
    admin = { id: session.user.id, accessToken: session.accessToken };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe.each(matrix.map((entry) => [entry.member, entry] as const))('%s', (_member, entry) => {
    const cells = (Object.entries(entry.expected) as [Caller, Outcome][]).filter(([, outcome]) => outcome !== 'n/a');
    it.each(cells)('%s → %s', async (caller, outcome) => {
      const owner = await signUpUser(url);
      const setup = entry.setup ? await entry.setup(url, owner) : undefined;
      const callerAccount =
        caller === 'anonymous' ? null : caller === 'owner' ? owner : caller === 'admin' ? admin : await signUpUser(url);
      const cell: CellContext<unknown> = { url, owner, caller, callerAccount, setup };
      const { query, variables } = entry.operation(cell);
      const response = await graphql(url, query, { variables, token: callerAccount?.accessToken });
      const value = valueAt(response.data, entry.path);
      const codes = (response.errors ?? []).map((error) => error.extensions?.code);
      const shown = JSON.stringify({ data: response.data, errors: response.errors });
      if (outcome === 'data') {
        expect(codes, shown).toEqual([]);
        expect(value, shown).not.toBeNull();
        expect(value, shown).toBeDefined();
      } else if (outcome === 'null') {
        expect(codes, shown).toEqual([]);
        expect(value, shown).toBeNull();
      } else {
        expect(codes, shown).toEqual([outcome]);
        expect(value ?? null, shown).toBeNull();
      }
      await entry.verify?.(cell, response);
    });
  });

  it('lists each member once', () => {
    const members = matrix.map((entry) => entry.member);
    expect(new Set(members).size).toBe(members.length);
    for (const entry of matrix) {
      for (const [caller, outcome] of Object.entries(entry.expected)) {
        if (outcome === 'n/a') expect(entry.note, `${entry.member}/${caller} is n/a without a reason`).toBeTruthy();
      }
    }
  });
});
