/** `messageAdded` straight from the chat subgraph over graphql-ws: order, replay, replicas, membership. */
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, errorCodes, eventually, graphql, graphqlData, subscribe, type TestSubscription } from '@fitgraph/testkit';
import { schema } from '../src/server';
import {
  MESSAGE_ADDED,
  ended,
  send,
  startChat,
  startConversation,
  type ChatHarness,
  type ChatServer,
  type TestUser,
} from './harness';

type Added = { messageAdded: { id: string; body: string; sender: { id: string }; conversation: { id: string } } };

const LEAVE = `mutation($conversationId: ID!) { leaveConversation(conversationId: $conversationId) }`;
const REMOVE = `mutation($conversationId: ID!, $userId: ID!) { removeMember(conversationId: $conversationId, userId: $userId) }`;
const MESSAGES = `query($id: ID!, $last: Int) { conversation(id: $id) { messages(last: $last) { id body } } }`;

describe(`messageAdded over graphql-ws (${backends.database}, ${backends.pubsub} pub/sub)`, () => {
  let chat: ChatHarness;
  let server: ChatServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const open: TestSubscription[] = [];

  beforeAll(async () => {
    // These tests measure delivery under bursts of 200 sends from one sender, far beyond the
    // production flood limit (rate-limit.test.ts covers that limit), so it is raised here.
    chat = await startChat({ CHAT_SEND_RATE_LIMIT: '10000' });
    server = chat.servers[0]!;
  });
  // Fresh people per test: a direct conversation between the same two is reused by design.
  beforeEach(async () => {
    [alice, bob, carol] = await Promise.all([chat.user(), chat.user(), chat.user()]);
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((sub) => sub.close()));
  });
  afterAll(async () => {
    await chat?.stop();
  });

  const openStreams = () => chat.servers.reduce((sum, s) => sum + s.running.activeSubscriptions(), 0);

  function subscribeTo(on: ChatServer, as: TestUser, conversationId: string, after?: string): TestSubscription<Added> {
    const sub = subscribe<Added>(on.url, MESSAGE_ADDED, { token: as.token, variables: { conversationId, after } });
    open.push(sub);
    return sub;
  }

  /** Subscribes and returns once the server's stream is open, so what is sent next travels live. */
  async function subscribeLive(on: ChatServer, as: TestUser, conversationId: string, after?: string) {
    const before = on.running.activeSubscriptions();
    const sub = subscribeTo(on, as, conversationId, after);
    await eventually(() => on.running.activeSubscriptions() > before, { what: 'the stream to open' });
    return sub;
  }

  async function take(sub: TestSubscription<Added>, count: number) {
    const bodies: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const result = await sub.next();
      expect(result.errors).toBeUndefined();
      bodies.push(result.data!.messageAdded.body);
      ids.push(result.data!.messageAdded.id);
    }
    return { bodies, ids };
  }

  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);
  const sendAll = async (conversationId: string, from: number, to: number) => {
    const ids: string[] = [];
    for (let i = from; i <= to; i += 1) ids.push((await send(server.url, alice, conversationId, `m${i}`)).id);
    return ids;
  };

  it('delivers 200 messages sent back to back, all, in order, exactly once', async () => {
    const { id } = await startConversation(server.url, alice, [bob]);
    const sub = await subscribeLive(server, bob, id);
    const started = performance.now();
    const sentIds = await sendAll(id, 1, 200);
    const received = await take(sub, 200);
    const elapsedMs = performance.now() - started;
    expect(received.bodies).toEqual(range(1, 200));
    expect(received.ids).toEqual(sentIds);
    // Nothing extra: the next message is the next one sent.
    await send(server.url, alice, id, 'end');
    expect((await sub.next()).data!.messageAdded.body).toBe('end');
    expect(sub.results).toHaveLength(201);
    console.log(`200 sequential sends delivered live in ${elapsedMs.toFixed(0)} ms`);
  });

  it('delivers 200 concurrent sends exactly once, in the conversation order', async () => {
    const { id } = await startConversation(server.url, alice, [bob]);
    const sub = await subscribeLive(server, bob, id);
    const sent = await Promise.all(range(1, 200).map((body) => send(server.url, alice, id, body)));
    const received = await take(sub, 200);
    const sentIds = sent.map((m) => m.id).sort();
    expect(received.ids).toEqual(sentIds);
    expect(new Set(received.bodies).size).toBe(200);
    // The order a later reader sees is the same.
    const stored = await graphqlData(server.url, MESSAGES, { token: bob.token, variables: { id, last: 200 } });
    expect(stored.conversation.messages.map((m: { id: string }) => m.id)).toEqual(received.ids);
    await send(server.url, alice, id, 'end');
    expect((await sub.next()).data!.messageAdded.body).toBe('end');
  });

  it('resumes after a disconnect from `after`: the missed ones once, in order, then live ones', async () => {
    const { id } = await startConversation(server.url, alice, [bob]);
    const first = await subscribeLive(server, bob, id);
    const firstIds = await sendAll(id, 1, 50);
    const seen = await take(first, 50);
    expect(seen.bodies).toEqual(range(1, 50));
    const withFirst = openStreams();
    await first.close();
    await eventually(() => openStreams() === withFirst - 1, { what: 'the first stream to close' });

    await sendAll(id, 51, 150);
    // Resubscribe while more are being sent: the switch from replay to live happens mid-burst.
    const second = subscribeTo(server, bob, id, firstIds[49]);
    const during = sendAll(id, 151, 170);
    const resumed = await take(second, 120);
    await during;
    expect(resumed.bodies).toEqual(range(51, 170));
    await send(server.url, alice, id, 'live');
    expect((await second.next()).data!.messageAdded.body).toBe('live');
    expect(second.results).toHaveLength(121);
    await second.close();
  });

  it('replays nothing without `after` or when it is the newest message, and everything after the first one', async () => {
    const { id } = await startConversation(server.url, alice, [bob]);
    const ids = await sendAll(id, 1, 3);
    const base = openStreams();
    const withoutAfter = await subscribeLive(server, bob, id);
    const fromNewest = subscribeTo(server, bob, id, ids[2]);
    const fromFirst = subscribeTo(server, bob, id, ids[0]);
    expect((await take(fromFirst, 2)).bodies).toEqual(['m2', 'm3']);
    await eventually(() => openStreams() === base + 3, { what: 'the streams to open' });
    await send(server.url, alice, id, 'm4');
    for (const sub of [withoutAfter, fromNewest, fromFirst]) expect((await take(sub, 1)).bodies).toEqual(['m4']);
    expect(withoutAfter.results).toHaveLength(1);
    expect(fromNewest.results).toHaveLength(1);
  });

  it('carries a message sent through one replica to a subscriber on another', async () => {
    const other = chat.servers[1] ?? (await chat.addServer());
    const { id } = await startConversation(server.url, alice, [bob]);
    const sub = await subscribeLive(other, bob, id);
    const sent = await send(server.url, alice, id, 'across replicas');
    expect((await sub.next()).data!.messageAdded).toEqual({ id: sent.id, body: 'across replicas', sender: { id: alice.id }, conversation: { id } });
    // And a burst sent through both replicas at once arrives complete and ordered.
    const burst = await Promise.all(
      range(1, 40).map((body, i) => send((i % 2 === 0 ? server : other).url, alice, id, body)),
    );
    const got = await take(sub, 40);
    expect(got.ids).toEqual(burst.map((m) => m.id).sort());
    await sub.close();
  });

  it('refuses a non-member, an anonymous caller, unknown conversations and foreign cursors without opening a stream', async () => {
    const { id } = await startConversation(server.url, alice, [bob]);
    const other = await startConversation(server.url, alice, [carol]);
    const [otherMessage] = await sendAll(other.id, 1, 1);
    const before = openStreams();
    const cases: [TestUser | null, Record<string, unknown>, string][] = [
      [carol, { conversationId: id }, 'FORBIDDEN'],
      [null, { conversationId: id }, 'UNAUTHENTICATED'],
      [bob, { conversationId: crypto.randomUUID() }, 'NOT_FOUND'],
      [bob, { conversationId: 'not-an-id' }, 'BAD_USER_INPUT'],
      [bob, { conversationId: id, after: otherMessage }, 'BAD_USER_INPUT'],
      [bob, { conversationId: id, after: 'garbage' }, 'BAD_USER_INPUT'],
      [bob, { conversationId: id, after: `${id}.2147483647` }, 'BAD_USER_INPUT'],
    ];
    for (const [as, variables, code] of cases) {
      const sub = subscribe<Added>(server.url, MESSAGE_ADDED, { token: as?.token, variables });
      open.push(sub);
      const result = await sub.next();
      expect(result.errors?.map((e) => e.extensions?.code), JSON.stringify(variables)).toEqual([code]);
      expect(result.data ?? null).toBeNull();
      expect(await ended(sub)).toEqual({});
    }
    expect(openStreams()).toBe(before);
    // And the refused non-member never receives anything.
    await send(server.url, alice, id, 'private');
    expect(open.slice(-cases.length).every((sub) => sub.results.length === 1)).toBe(true);
    // The query is refused too.
    const query = await graphql(server.url, MESSAGES, { token: carol.token, variables: { id } });
    expect(errorCodes(query)).toEqual(['FORBIDDEN']);
    expect(query.data?.conversation ?? null).toBeNull();
  });

  it('ends the stream of a member who leaves or is removed, and sends them nothing after', async () => {
    const dave = await chat.user();
    const base = openStreams();
    const group = await startConversation(server.url, alice, [bob, carol, dave], 'Leg day');
    const bobSub = await subscribeLive(server, bob, group.id);
    const carolSub = await subscribeLive(server, carol, group.id);
    const daveSub = await subscribeLive(server, dave, group.id);
    await send(server.url, alice, group.id, 'hello all');
    for (const sub of [bobSub, carolSub, daveSub]) expect((await sub.next()).data!.messageAdded.body).toBe('hello all');

    await graphqlData(server.url, LEAVE, { token: bob.token, variables: { conversationId: group.id } });
    expect(await ended(bobSub)).toEqual({});
    await graphqlData(server.url, REMOVE, { token: alice.token, variables: { conversationId: group.id, userId: carol.id } });
    expect(await ended(carolSub)).toEqual({});

    await send(server.url, alice, group.id, 'after they left');
    expect((await daveSub.next()).data!.messageAdded.body).toBe('after they left');
    expect(bobSub.results).toHaveLength(1);
    expect(carolSub.results).toHaveLength(1);
    await daveSub.close();
    await eventually(() => openStreams() === base, { what: 'every stream to close' });
  });

  it('stops a removed member even when the removal event never arrives', async () => {
    const group = await startConversation(server.url, alice, [bob, carol]);
    const carolSub = await subscribeLive(server, carol, group.id);
    // A removal committed without its live event (a lost publish): only the version moves.
    await chat.db.db.transaction(async (tx) => {
      await tx
        .update(schema.conversations)
        .set({ membershipVersion: sql`${schema.conversations.membershipVersion} + 1` })
        .where(eq(schema.conversations.id, group.id));
      await tx.delete(schema.conversationMembers).where(sql`${schema.conversationMembers.conversationId} = ${group.id} and ${schema.conversationMembers.userId} = ${carol.id}`);
    });
    await send(server.url, alice, group.id, 'not for carol');
    expect(await ended(carolSub)).toEqual({});
    expect(carolSub.results).toHaveLength(0);
  });

  it('closes streams at once when clients go away while waiting for a message', async () => {
    const { id } = await startConversation(server.url, alice, [bob]);
    const base = openStreams();
    const subs = [];
    for (let i = 0; i < 3; i += 1) subs.push(await subscribeLive(server, bob, id));
    expect(openStreams()).toBe(base + 3);
    await Promise.all(subs.map((sub) => sub.close()));
    await eventually(() => openStreams() === base, { what: 'the streams to close' });
  });
});
