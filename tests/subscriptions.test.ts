/**
 * Federated subscriptions end to end: the gateway and the user, gym and chat subgraphs each
 * run as their own OS process (as in production), on PostgreSQL/Redis when DATABASE_URL /
 * REDIS_URL are set. Clients speak graphql-ws and SSE to the gateway; the gateway subscribes
 * upstream and fills in other subgraphs' fields per event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { type Role } from '@fitgraph/platform';
import { deleteRedisKeys } from '@fitgraph/service-kit';
import {
  backends,
  dropDatabasesWithPrefix,
  eventually,
  freePort,
  graphqlData,
  graphqlWsClient,
  sseClient,
  stackEnv,
  startCountingProxy,
  startServiceProcess,
  subscriptionTransports,
  testViewer,
  type TestSubscription,
  type CountingProxy,
  type ServiceProcess,
  type SubscriptionTestClient,
} from '@fitgraph/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// Seeded demo data (user and gym subgraphs).
const alex = '6a1b0c9e-0005-4000-8000-000000000001';
const sam = '6a1b0c9e-0005-4000-8000-000000000002';
/**
 * Chat accepts a member only once the user subgraph's `user.created` reached it. These
 * services are separate processes: their events cross only through Redis; the embedded default's
 * event bus is per process, so the conversation tests need REDIS_URL (CI sets it).
 */
const conversationsAcrossProcesses = Boolean(process.env.REDIS_URL);
const taylor = '6a1b0c9e-0005-4000-8000-000000000003';
const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';

const tokenFor = async (id: string, role: Role = 'MEMBER') => (await testViewer(role, id)).token;

const MACHINE_EVENTS = `subscription($gymId: ID!) {
  machineStatusChanged(gymId: $gymId) {
    previousStatus status
    machine { id name currentUser { displayName } gym { name } }
  }
}`;
const MESSAGES = `subscription($conversationId: ID!, $after: ID) {
  messageAdded(conversationId: $conversationId, after: $after) { id body sender { displayName } }
}`;

type MachineEvent = { previousStatus: string; status: string; machine: { id: string; name: string; currentUser: { displayName: string } | null; gym: { name: string } } };
/** Events of one machine (the pub/sub channel is per gym, and other test runs may share Redis). */
const eventsOf = (sub: TestSubscription, machineId: string): MachineEvent[] =>
  sub.results.flatMap((r) => (r.data?.machineStatusChanged?.machine?.id === machineId ? [r.data.machineStatusChanged as MachineEvent] : []));

describe(`subscriptions through the gateway, services as processes (${backends.database}, ${backends.pubsub})`, () => {
  const env = stackEnv();
  const dataDirs: string[] = [];
  const pgliteDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'fitgraph-sub-'));
    dataDirs.push(dir);
    return dir;
  };
  // PGlite keeps each subgraph's data on disk so a killed subgraph comes back with it.
  if (!env.DATABASE_URL) env.PGLITE_DIR = pgliteDir();
  const processes: ServiceProcess[] = [];
  const clients: SubscriptionTestClient[] = [];
  let user: ServiceProcess;
  let gym: ServiceProcess;
  let chat: ServiceProcess;
  let gateway: ServiceProcess;
  let userProxy: CountingProxy;
  let gatewayEnv: NodeJS.ProcessEnv;
  let staffToken: string;
  const machines: Record<'warmUp' | 'claimed' | 'fanOut', string> = { warmUp: '', claimed: '', fanOut: '' };

  const start = async (service: Parameters<typeof startServiceProcess>[0], extra: NodeJS.ProcessEnv = {}) => {
    const started = await startServiceProcess(service, { ...env, ...extra });
    processes.push(started);
    return started;
  };
  const ws = async (url: string, token?: string) => {
    const client = graphqlWsClient(url, { token });
    clients.push(client);
    await client.connected;
    return client;
  };
  const gatewayStats = async (target = gateway) => (await target.health()).subscriptions as Record<string, number>;
  /** A new machine at Iron Harbor (as staff), so a test's status changes are its own. */
  const addMachine = async (label: string): Promise<string> => {
    const data = await graphqlData(
      gateway.url,
      'mutation($gymId: ID!, $name: String!) { addMachine(gymId: $gymId, name: $name, kind: "ROWER") { machine { id } } }',
      { token: staffToken, variables: { gymId: ironHarbor, name: `Subscription ${label} ${randomUUID().slice(0, 6)}` } },
    );
    return data.addMachine.machine.id as string;
  };

  /**
   * Changes the warm-up machine's status until every subscription saw it: from then on each
   * upstream stream is live at the subgraph (its pub/sub listener attached), so the events a
   * test counts cannot race the subscription set-up.
   */
  const warmUp = async (subs: TestSubscription[], via = gateway) => {
    const statuses = ['OUT_OF_ORDER', 'MAINTENANCE'];
    for (let round = 0; ; round += 1) {
      await graphqlData(via.url, 'mutation($id: ID!, $s: MachineStatus!) { setMachineStatus(machineId: $id, status: $s) { id } }', {
        token: staffToken,
        variables: { id: machines.warmUp, s: statuses[round % 2] },
      });
      const ready = await eventually(() => subs.every((sub) => eventsOf(sub, machines.warmUp).length > 0), { timeoutMs: 1000, what: 'warm-up' }).catch(() => false);
      if (ready) return;
      if (round > 30) throw new Error('subscriptions never became live');
    }
  };

  beforeAll(async () => {
    [user, gym, chat] = await Promise.all([start('user'), start('gym'), start('chat')]);
    userProxy = await startCountingProxy(user.url);
    const nowhere = `http://127.0.0.1:${await freePort()}/graphql`;
    gatewayEnv = {
      USER_SUBGRAPH_URL: userProxy.url,
      GYM_SUBGRAPH_URL: gym.url,
      CHAT_SUBGRAPH_URL: chat.url,
      WORKOUT_SUBGRAPH_URL: nowhere,
      NUTRITION_SUBGRAPH_URL: nowhere,
      SUBSCRIPTIONS_UPSTREAM_RETRY_MAX_MS: '300',
      // Quick retries need more of them: 30 at 300 ms is ~9 s, less than a restarted subgraph takes to
      // load on a busy machine, after which the gateway gives the upstream up (the crash tests).
      SUBSCRIPTIONS_UPSTREAM_RETRY_ATTEMPTS: '400',
    };
    gateway = await start('gateway', gatewayEnv);
    staffToken = await tokenFor(randomUUID(), 'GYM_STAFF');
    for (const key of Object.keys(machines) as (keyof typeof machines)[]) machines[key] = await addMachine(key);
    await graphqlData(gateway.url, 'mutation($g: ID!) { checkIn(gymId: $g) { id } }', { token: await tokenFor(alex), variables: { g: ironHarbor } });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (client) => client.close()));
  });
  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await userProxy?.stop();
    if (env.DATABASE_URL) await dropDatabasesWithPrefix(env.DATABASE_URL, env.DATABASE_NAME_PREFIX!);
    if (env.REDIS_URL) await deleteRedisKeys(env.REDIS_URL, env.REDIS_KEY_PREFIX!);
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers machineStatusChanged over graphql-ws and SSE with currentUser.displayName from the user subgraph', async () => {
    const token = await tokenFor(sam);
    const overWs = (await ws(gateway.url, token)).subscribe({ query: MACHINE_EVENTS, variables: { gymId: ironHarbor } });
    const sse = sseClient(gateway.url, { token });
    const overSse = sse.subscribe({ query: MACHINE_EVENTS, variables: { gymId: ironHarbor } });
    try {
      await warmUp([overWs, overSse]);
      const alexToken = await tokenFor(alex);
      await graphqlData(gateway.url, 'mutation($id: ID!) { claimMachine(machineId: $id) { status } }', { token: alexToken, variables: { id: machines.claimed } });
      for (const sub of [overWs, overSse]) {
        await eventually(() => eventsOf(sub, machines.claimed).length === 1, { what: 'the claim event' });
        expect(eventsOf(sub, machines.claimed)).toEqual([
          {
            previousStatus: 'AVAILABLE',
            status: 'IN_USE',
            machine: { id: machines.claimed, name: expect.stringMatching(/^Subscription claimed/), currentUser: { displayName: 'Alex Demo' }, gym: { name: 'Iron Harbor Fitness' } },
          },
        ]);
      }
      await graphqlData(gateway.url, 'mutation($id: ID!) { releaseMachine(machineId: $id) { status } }', { token: alexToken, variables: { id: machines.claimed } });
    } finally {
      overSse.unsubscribe();
      sse.close();
    }
    await eventually(async () => (await gatewayStats()).subscriptions === 1, { what: 'the SSE subscription to end' });
  });

  it('gives 500 concurrent subscribers each of 50 events exactly once, with a bounded number of _entities fetches', async () => {
    const identities = 5;
    const perSocket = 10;
    const subscribers = 500;
    const rounds = 25; // claim + release: 50 events
    const tokens = await Promise.all(Array.from({ length: identities }, () => tokenFor(randomUUID())));
    const sockets = await Promise.all(Array.from({ length: subscribers / perSocket }, (_, i) => ws(gateway.url, tokens[i % identities])));
    const subs = sockets.flatMap((socket) =>
      Array.from({ length: perSocket }, () => socket.subscribe({ query: MACHINE_EVENTS, variables: { gymId: ironHarbor } })),
    );
    await eventually(async () => (await gatewayStats()).subscriptions === subscribers, { what: '500 subscriptions at the gateway' });
    await warmUp(subs);
    const stats = await gatewayStats();
    expect(stats).toMatchObject({ upstreamStreams: identities, executionGroups: identities });
    expect((await gym.health()).activeSubscriptions).toBe(identities);

    const alexToken = await tokenFor(alex);
    const entitiesBefore = userProxy.entityRequests;
    const started = performance.now();
    for (let i = 0; i < rounds; i += 1) {
      await graphqlData(gateway.url, 'mutation($id: ID!) { claimMachine(machineId: $id) { id } }', { token: alexToken, variables: { id: machines.fanOut } });
      await graphqlData(gateway.url, 'mutation($id: ID!) { releaseMachine(machineId: $id) { id } }', { token: alexToken, variables: { id: machines.fanOut } });
    }
    const sent = performance.now();
    await eventually(() => subs.every((sub) => eventsOf(sub, machines.fanOut).length >= rounds * 2), { timeoutMs: 60_000, intervalMs: 20, what: 'every event at every subscriber' });
    const delivered = performance.now();

    const expected = Array.from({ length: rounds }, () => ['IN_USE', 'AVAILABLE']).flat();
    for (const sub of subs) expect(eventsOf(sub, machines.fanOut).map((e) => e.status)).toEqual(expected);
    const entityFetches = userProxy.entityRequests - entitiesBefore;
    // One per claim event and identity at most (released machines have no currentUser to fetch).
    expect(entityFetches).toBeLessThanOrEqual(identities * rounds);
    expect(entityFetches).toBeGreaterThan(0);
    console.log(
      `fan-out: ${subscribers} subscribers (${identities} identities) × ${rounds * 2} events: ` +
        `mutations ${(sent - started).toFixed(0)} ms, all delivered ${(delivered - started).toFixed(0)} ms after the first ` +
        `(${(delivered - sent).toFixed(0)} ms after the last mutation); user _entities fetches: ${entityFetches} ` +
        `(${(entityFetches / (rounds * 2)).toFixed(1)}/event, not ${subscribers})`,
    );
  });

  it.skipIf(!conversationsAcrossProcesses)('refuses an invalid token at connection: graphql-ws closes with 4401, SSE answers 401', async () => {
    const { startConversation } = await graphqlData(gateway.url, 'mutation($m: [ID!]!) { startConversation(memberIds: $m) { id } }', {
      token: await tokenFor(alex),
      variables: { m: [sam] },
    });
    const refused = graphqlWsClient(gateway.url, { token: 'not-a-token' });
    clients.push(refused);
    await expect(refused.connected).rejects.toMatchObject({ code: 4401 });
    const overSse = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer not-a-token' },
      body: JSON.stringify({ query: MESSAGES, variables: { conversationId: startConversation.id } }),
    });
    expect(overSse.status).toBe(401);
    expect(((await overSse.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  // The same scenarios over both client transports (the gateway's subscription engine is shared).
  describe.each(subscriptionTransports)('over $transport', ({ connect }) => {
    const open = (token?: string, via = gateway) => {
      const client = connect(via.url, { token });
      clients.push(client);
      return client;
    };

    it.skipIf(!conversationsAcrossProcesses)('answers FORBIDDEN to a non-member subscribing to a conversation', async () => {
      const { startConversation } = await graphqlData(gateway.url, 'mutation($m: [ID!]!) { startConversation(memberIds: $m) { id } }', {
        token: await tokenFor(alex),
        variables: { m: [sam] },
      });
      const outsider = open(await tokenFor(randomUUID())).subscribe({ query: MESSAGES, variables: { conversationId: startConversation.id } });
      const [denied] = await outsider.waitFor(1);
      expect(denied!.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(await outsider.ended).toEqual({});
    });

    it.skipIf(!conversationsAcrossProcesses)('survives a chat subgraph crash: messages after its return arrive, none before is lost or doubled', async () => {
      const alexToken = await tokenFor(alex);
      const send = async (conversationId: string, body: string) =>
        (await graphqlData(gateway.url, 'mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { id } }', { token: alexToken, variables: { c: conversationId, b: body } })).sendMessage.id as string;
      const { startConversation } = await graphqlData(gateway.url, 'mutation($m: [ID!]!, $t: String) { startConversation(memberIds: $m, title: $t) { id } }', {
        token: alexToken,
        // A third member who is an account (chat refuses ids of no account).
        variables: { m: [sam, taylor], t: 'crash test' },
      });
      const conversationId = startConversation.id as string;
      // Subscribing after a known message makes the stream's start race-free (the subgraph replays from it).
      const first = await send(conversationId, 'm0');
      const sub = open(await tokenFor(sam)).subscribe({ query: MESSAGES, variables: { conversationId, after: first } });
      const sent = [await send(conversationId, 'm1'), await send(conversationId, 'm2')];
      await sub.waitFor(2);
      // Sent, then the subgraph dies before (or while) they are streamed.
      sent.push(await send(conversationId, 'm3'), await send(conversationId, 'm4'));
      await chat.restart();
      sent.push(await send(conversationId, 'm5'), await send(conversationId, 'm6'));
      await sub.waitFor(6, 30_000);
      expect(sub.results.map((r) => r.data?.messageAdded.id)).toEqual(sent);
      expect(sub.results.map((r) => r.data?.messageAdded.body)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
      expect(sub.results.every((r) => r.data?.messageAdded.sender.displayName === 'Alex Demo')).toBe(true);
      expect((await gatewayStats()).reconnects).toBeGreaterThanOrEqual(1);
      // Nothing more arrives (no late duplicates from the replay).
      await send(conversationId, 'm7');
      await sub.waitFor(7);
      expect(sub.results).toHaveLength(7);
    });

    it('survives a gym subgraph crash: status changes before the kill and after the restart arrive once, in order', async () => {
      const machineId = await addMachine('crash');
      const set = (status: string) =>
        graphqlData(gateway.url, 'mutation($id: ID!, $s: MachineStatus!) { setMachineStatus(machineId: $id, status: $s) { id } }', {
          token: staffToken,
          variables: { id: machineId, s: status },
        });
      const sub = open().subscribe({
        query: `subscription($gymId: ID!) { machineStatusChanged(gymId: $gymId) { id previousStatus status machine { id name gym { name } } } }`,
        variables: { gymId: ironHarbor },
      });
      await warmUp([sub]);
      // Each differs from the one before, so each is a change with an event.
      const statuses = ['MAINTENANCE', 'AVAILABLE', 'OUT_OF_ORDER', 'AVAILABLE', 'MAINTENANCE', 'AVAILABLE', 'OUT_OF_ORDER'];
      await set(statuses[0]!);
      await set(statuses[1]!);
      await eventually(() => eventsOf(sub, machineId).length === 2, { what: 'the first two changes' });
      // Committed right before the kill: their events may be in flight or never published.
      await set(statuses[2]!);
      await set(statuses[3]!);
      await gym.restart();
      await set(statuses[4]!);
      await set(statuses[5]!);
      await eventually(() => eventsOf(sub, machineId).length >= 6, { timeoutMs: 30_000, what: 'every change after the restart' });
      // Nothing more arrives (no late duplicates from the replay).
      await set(statuses[6]!);
      await eventually(() => eventsOf(sub, machineId).length >= 7, { what: 'the last change' });
      expect(eventsOf(sub, machineId).map((e) => e.status)).toEqual(statuses);
      expect(eventsOf(sub, machineId).every((e) => e.machine.gym.name === 'Iron Harbor Fitness')).toBe(true);
      // Across the whole stream (warm-up events too): every id once, in the gym's order.
      const ids = sub.results.map((r) => Number(r.data?.machineStatusChanged?.id));
      expect(ids.every((id, i) => Number.isInteger(id) && (i === 0 || id === ids[i - 1]! + 1))).toBe(true);
      expect((await gatewayStats()).reconnects).toBeGreaterThanOrEqual(1);
    });

    it.skipIf(!conversationsAcrossProcesses)('ends the upstream subscription when the client completes', async () => {
      const { startConversation } = await graphqlData(gateway.url, 'mutation($m: [ID!]!) { startConversation(memberIds: $m) { id } }', {
        token: await tokenFor(alex),
        variables: { m: [sam] },
      });
      await eventually(async () => (await chat.health()).activeSubscriptions === 0, { what: 'no chat subscriptions from earlier tests' });
      const sub = open(await tokenFor(sam)).subscribe({ query: MESSAGES, variables: { conversationId: startConversation.id } });
      await eventually(async () => (await chat.health()).activeSubscriptions === 1, { what: 'the upstream subscription' });
      sub.unsubscribe();
      await eventually(async () => (await chat.health()).activeSubscriptions === 0, { what: 'the upstream subscription to end' });
      expect(await gatewayStats()).toMatchObject({ subscriptions: 0, upstreamStreams: 0 });
    });

    describe.skipIf(!process.env.REDIS_URL)('replicas on one Redis', () => {
      it('a status change made through gym #1 reaches subscribers on both gateways', async () => {
        // A machine of its own: the suite runs once per transport, and an unchanged status announces nothing.
        const machineId = await addMachine('replicas');
        // A second gym process (same database when PostgreSQL is used) and a gateway in front of it.
        const gym2 = await start('gym', env.DATABASE_URL ? {} : { PGLITE_DIR: pgliteDir() });
        const gateway2 = await start('gateway', { ...gatewayEnv, GYM_SUBGRAPH_URL: gym2.url });
        const token = await tokenFor(sam);
        const viaGym1 = open(token).subscribe({ query: MACHINE_EVENTS, variables: { gymId: ironHarbor } });
        const viaGym2 = open(token, gateway2).subscribe({ query: MACHINE_EVENTS, variables: { gymId: ironHarbor } });
        await warmUp([viaGym1, viaGym2], gateway);
        expect((await gym.health()).activeSubscriptions).toBe(1);
        expect((await gym2.health()).activeSubscriptions).toBe(1);

        await graphqlData(gateway.url, 'mutation($id: ID!) { setMachineStatus(machineId: $id, status: MAINTENANCE) { id } }', {
          token: staffToken,
          variables: { id: machineId },
        });
        for (const sub of [viaGym1, viaGym2]) {
          await eventually(() => eventsOf(sub, machineId).length === 1, { what: 'the event on both gateways' });
          expect(eventsOf(sub, machineId)[0]).toMatchObject({ previousStatus: 'AVAILABLE', status: 'MAINTENANCE', machine: { gym: { name: 'Iron Harbor Fitness' } } });
        }
      });
    });
  });
});
