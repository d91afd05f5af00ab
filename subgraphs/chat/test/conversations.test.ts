/** Conversations and messages over HTTP, straight from the chat subgraph. */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletedUserId } from '@fitgraph/platform';
import { processedEvents } from '@fitgraph/service-kit';
import { backends, errorCodes, eventually, graphql, graphqlData, subscribe } from '@fitgraph/testkit';
import {
  MESSAGE_ADDED,
  SEND,
  START,
  ended,
  send,
  snapshot,
  startChat,
  startConversation,
  type ChatHarness,
  type TestUser,
} from './harness';
import { schema } from '../src/server';

const CONVERSATION = `query($id: ID!) { conversation(id: $id) { id kind title members { id } } }`;
const CONVERSATIONS = `{ conversations { id } }`;
const MESSAGES = `query($id: ID!, $last: Int, $before: ID) {
  conversation(id: $id) { messages(last: $last, before: $before) { id body sentAt sender { id } conversation { id } } }
}`;
const ADD = `mutation($conversationId: ID!, $memberIds: [ID!]!) { addMembers(conversationId: $conversationId, memberIds: $memberIds) { id members { id } } }`;
const REMOVE = `mutation($conversationId: ID!, $userId: ID!) { removeMember(conversationId: $conversationId, userId: $userId) }`;
const LEAVE = `mutation($conversationId: ID!) { leaveConversation(conversationId: $conversationId) }`;
const JOIN_GYM = `mutation($gymId: ID!) { joinGymRoom(gymId: $gymId) { id kind title gym { id } members { id } } }`;
type Tuple<T, N extends number, R extends T[] = []> = number extends N ? T[] : R['length'] extends N ? R : Tuple<T, N, [...R, T]>;

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Conversation { id title } ... on Message { id body } }
}`;

describe(`conversations and messages (${backends.database}, ${backends.pubsub} pub/sub)`, () => {
  let chat: ChatHarness;
  let url: string;
  beforeAll(async () => {
    chat = await startChat();
    url = chat.servers[0]!.url;
  });
  afterAll(async () => {
    await chat?.stop();
  });

  /** `count` fresh people (a direct conversation between the same two is reused by design). */
  const people = <N extends number>(count: N) => Promise.all(Array.from({ length: count }, () => chat.user())) as Promise<Tuple<TestUser, N>>;
  const ids = (list: { id: string }[]) => list.map((item) => item.id).sort();

  /** Runs `query` expecting exactly `code` (and `field` when given), and that nothing was stored. */
  async function refused(as: TestUser | null, query: string, variables: Record<string, unknown>, code: string, field?: string) {
    const before = await snapshot(chat.db);
    const response = await graphql(url, query, { token: as?.token, variables });
    expect(errorCodes(response), JSON.stringify({ variables, response })).toEqual([code]);
    if (field) expect(response.errors?.[0]?.extensions?.field).toBe(field);
    expect(await snapshot(chat.db)).toEqual(before);
    return response;
  }

  describe('startConversation', () => {
    it('makes the caller a member and reuses the direct conversation of a pair', async () => {
      const [alice, bob] = await people(2);
      const direct = await startConversation(url, alice, [bob]);
      expect(direct.kind).toBe('DIRECT');
      expect(ids(direct.members)).toEqual([alice.id, bob.id].sort());
      expect((await startConversation(url, bob, [alice])).id).toBe(direct.id);
      expect((await startConversation(url, alice, [bob, alice, bob])).id).toBe(direct.id);
      // Both starting it at once still make one.
      const [carol, dave] = await people(2);
      const raced = await Promise.all([startConversation(url, carol, [dave]), startConversation(url, dave, [carol])]);
      expect(raced[0].id).toBe(raced[1].id);
    });

    it('starts a group with a trimmed title, up to 100 members', async () => {
      const [alice, ...others] = await people(100);
      const group = await startConversation(url, alice, others.slice(0, 2), '  Leg day  ');
      expect(group).toMatchObject({ kind: 'GROUP', title: 'Leg day' });
      expect(ids(group.members)).toEqual([alice.id, others[0]!.id, others[1]!.id].sort());
      const full = await startConversation(url, alice, others);
      expect(full.members).toHaveLength(100);
      expect((await startConversation(url, alice, others.slice(0, 2), '   ')).title).toBeNull();
    });

    it('refuses bad member lists and titles, storing nothing', async () => {
      const [alice, bob] = await people(2);
      const tooMany = Array.from({ length: 100 }, () => randomUUID());
      await refused(alice, START, { memberIds: [] }, 'BAD_USER_INPUT', 'memberIds');
      await refused(alice, START, { memberIds: [alice.id] }, 'BAD_USER_INPUT', 'memberIds');
      await refused(alice, START, { memberIds: tooMany }, 'BAD_USER_INPUT', 'memberIds');
      await refused(alice, START, { memberIds: [bob.id, 'not-an-id'] }, 'BAD_USER_INPUT', 'memberIds.1');
      await refused(alice, START, { memberIds: [bob.id], title: 'x'.repeat(101) }, 'BAD_USER_INPUT', 'title');
      await refused(alice, START, { memberIds: [deletedUserId] }, 'BAD_USER_INPUT', 'memberIds.0');
      await refused(null, START, { memberIds: [bob.id] }, 'UNAUTHENTICATED');
    });

    it('refuses member ids that are no account (never announced, or deleted), storing nothing', async () => {
      const [alice, bob, carol] = await people(3);
      const stranger = randomUUID();
      const started = Date.now();
      const unknown = await refused(alice, START, { memberIds: [bob.id, stranger] }, 'BAD_USER_INPUT', 'memberIds');
      expect(unknown.errors?.[0]?.message).toContain(stranger);
      // Unknown ids wait for the replica to catch up (references.ts), then give up.
      expect(Date.now() - started).toBeLessThan(5000);
      await refused(alice, START, { memberIds: [stranger] }, 'BAD_USER_INPUT', 'memberIds');
      const group = await startConversation(url, alice, [bob, carol]);
      await refused(bob, ADD, { conversationId: group.id, memberIds: [stranger] }, 'BAD_USER_INPUT', 'memberIds');

      // Deleted: refused from then on, even when a late `user.created` arrives after the deletion.
      const gone = await chat.user();
      await chat.events.publish('user.deleted', { userId: gone.id });
      await eventually(async () => errorCodes(await graphql(url, START, { token: alice.token, variables: { memberIds: [gone.id] } })).includes('BAD_USER_INPUT'), {
        what: 'the deletion to reach chat',
      });
      const lateEvent = await chat.events.publish('user.created', { userId: gone.id });
      await eventually(async () => (await chat.db.db.select().from(processedEvents).where(eq(processedEvents.eventId, lateEvent.id))).length === 1, {
        what: 'the late user.created to be handled',
      });
      const [tombstone] = await chat.db.db.select().from(schema.knownUsers).where(eq(schema.knownUsers.id, gone.id));
      expect(tombstone?.forgottenAt).not.toBeNull();
      await refused(alice, ADD, { conversationId: group.id, memberIds: [gone.id] }, 'BAD_USER_INPUT', 'memberIds');
    });
  });

  describe('reading', () => {
    it("lists the caller's conversations, most recent activity first", async () => {
      const [alice, bob, carol, dave] = await people(4);
      const first = await startConversation(url, alice, [bob]);
      const second = await startConversation(url, alice, [carol]);
      const third = await startConversation(url, alice, [bob, carol]);
      await startConversation(url, bob, [dave]);
      const list = async (as: TestUser) => (await graphqlData(url, CONVERSATIONS, { token: as.token })).conversations.map((c: { id: string }) => c.id);
      expect(await list(alice)).toEqual([third.id, second.id, first.id]);
      await send(url, bob, first.id, 'bump');
      expect(await list(alice)).toEqual([first.id, third.id, second.id]);
      expect(await list(carol)).toEqual([third.id, second.id]);
      expect(errorCodes(await graphql(url, CONVERSATIONS))).toEqual(['UNAUTHENTICATED']);
    });

    it('shows a conversation to its members only: FORBIDDEN for others, null for unknown ids', async () => {
      const [alice, bob, eve] = await people(3);
      const { id } = await startConversation(url, alice, [bob], 'Spotting');
      expect((await graphqlData(url, CONVERSATION, { token: bob.token, variables: { id } })).conversation).toMatchObject({ id, title: 'Spotting' });
      const forbidden = await graphql(url, CONVERSATION, { token: eve.token, variables: { id } });
      expect(errorCodes(forbidden)).toEqual(['FORBIDDEN']);
      expect(forbidden.data?.conversation).toBeNull();
      expect(errorCodes(await graphql(url, CONVERSATION, { variables: { id } }))).toEqual(['UNAUTHENTICATED']);
      for (const unknown of [randomUUID(), 'nope', '']) {
        expect((await graphqlData(url, CONVERSATION, { token: eve.token, variables: { id: unknown } })).conversation).toBeNull();
      }
      // Not through federation's entry point either.
      const message = await send(url, alice, id, 'hi');
      const representations = [
        { __typename: 'Conversation', id },
        { __typename: 'Message', id: message.id },
      ];
      expect((await graphqlData(url, ENTITIES, { token: eve.token, variables: { representations } }))._entities).toEqual([null, null]);
      expect((await graphqlData(url, ENTITIES, { variables: { representations } }))._entities).toEqual([null, null]);
      expect((await graphqlData(url, ENTITIES, { token: bob.token, variables: { representations } }))._entities).toEqual([
        { id, title: 'Spotting' },
        { id: message.id, body: 'hi' },
      ]);
    });

    it('pages messages backwards, oldest first, with ids that sort in send order', async () => {
      const [alice, bob, carol] = await people(3);
      const { id } = await startConversation(url, alice, [bob]);
      const other = await startConversation(url, alice, [carol]);
      const sent = [];
      for (let i = 1; i <= 12; i += 1) sent.push(await send(url, i % 2 ? alice : bob, id, `m${i}`));
      const page = async (variables: Record<string, unknown>) =>
        (await graphqlData(url, MESSAGES, { token: bob.token, variables: { id, ...variables } })).conversation.messages.map((m: { body: string }) => m.body);
      expect(await page({})).toEqual(sent.map((m) => m.body));
      expect(await page({ last: 3 })).toEqual(['m10', 'm11', 'm12']);
      expect(await page({ last: 3, before: sent[9]!.id })).toEqual(['m7', 'm8', 'm9']);
      expect(await page({ last: 50, before: sent[1]!.id })).toEqual(['m1']);
      expect(await page({ before: sent[0]!.id })).toEqual([]);
      expect([...sent.map((m) => m.id)].sort()).toEqual(sent.map((m) => m.id));
      const times = sent.map((m) => Date.parse(m.sentAt));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      const [otherMessage] = [await send(url, alice, other.id, 'elsewhere')];
      for (const [variables, field] of [
        [{ last: 0 }, 'last'],
        [{ last: 201 }, 'last'],
        [{ before: otherMessage!.id }, 'before'],
        [{ before: 'garbage' }, 'before'],
      ] as const) {
        const response = await graphql(url, MESSAGES, { token: bob.token, variables: { id, ...variables } });
        expect(errorCodes(response), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
        expect(response.errors?.[0]?.extensions?.field).toBe(field);
      }
    });

    it('loads a page of conversations with members and messages in a fixed number of statements', async () => {
      const count = async (conversations: number) => {
        const alice = await chat.user();
        const others: TestUser[] = await people(conversations);
        for (const other of others) {
          const { id } = await startConversation(url, alice, [other, ...others.slice(0, 2)].filter((p, i, a) => a.indexOf(p) === i));
          await send(url, other, id, 'one');
          await send(url, alice, id, 'two');
        }
        const before = chat.db.queries.length;
        const data = await graphqlData(
          url,
          `{ conversations { id title members { id } messages(last: 2) { id body sender { id } conversation { id title } } } }`,
          { token: alice.token },
        );
        expect(data.conversations).toHaveLength(conversations);
        for (const c of data.conversations) expect(c.messages.map((m: { body: string }) => m.body)).toEqual(['one', 'two']);
        return chat.db.queries.length - before;
      };
      const few = await count(3);
      const many = await count(12);
      expect(many).toBe(few);
      // conversations, members, messages, conversation by id (the isMember checks are not needed here).
      expect(many).toBeLessThanOrEqual(4);
    });
  });

  describe('membership', () => {
    it('adds members to a group, within the limit, by members only', async () => {
      const [alice, bob, carol, dave, eve] = await people(5);
      const group = await startConversation(url, alice, [bob, carol]);
      const added = await graphqlData(url, ADD, { token: bob.token, variables: { conversationId: group.id, memberIds: [dave.id, carol.id, dave.id] } });
      expect(ids(added.addMembers.members)).toEqual([alice.id, bob.id, carol.id, dave.id].sort());
      const direct = await startConversation(url, alice, [bob]);
      const crowd = Array.from({ length: 97 }, () => randomUUID());
      await chat.announceUsers(crowd);
      await refused(eve, ADD, { conversationId: group.id, memberIds: [eve.id] }, 'FORBIDDEN');
      await refused(alice, ADD, { conversationId: direct.id, memberIds: [carol.id] }, 'BAD_USER_INPUT', 'conversationId');
      await refused(alice, ADD, { conversationId: group.id, memberIds: crowd }, 'BAD_USER_INPUT', 'memberIds');
      await refused(alice, ADD, { conversationId: randomUUID(), memberIds: [eve.id] }, 'NOT_FOUND');
      await refused(alice, ADD, { conversationId: group.id, memberIds: ['x'] }, 'BAD_USER_INPUT', 'memberIds.0');
      // 96 more makes exactly 100.
      const filled = await graphqlData(url, ADD, { token: alice.token, variables: { conversationId: group.id, memberIds: crowd.slice(1) } });
      expect(filled.addMembers.members).toHaveLength(100);
    });

    it('lets a member leave, and only the starter or an ADMIN remove someone', async () => {
      const [alice, bob, carol, dave] = await people(4);
      const admin = await chat.user('ADMIN');
      const group = await startConversation(url, alice, [bob, carol, dave]);
      await refused(bob, REMOVE, { conversationId: group.id, userId: carol.id }, 'FORBIDDEN');
      expect((await graphqlData(url, REMOVE, { token: alice.token, variables: { conversationId: group.id, userId: carol.id } })).removeMember).toBe(true);
      expect((await graphqlData(url, REMOVE, { token: alice.token, variables: { conversationId: group.id, userId: carol.id } })).removeMember).toBe(false);
      expect((await graphqlData(url, REMOVE, { token: admin.token, variables: { conversationId: group.id, userId: dave.id } })).removeMember).toBe(true);
      expect((await graphqlData(url, LEAVE, { token: bob.token, variables: { conversationId: group.id } })).leaveConversation).toBe(true);
      await refused(bob, LEAVE, { conversationId: group.id }, 'FORBIDDEN');
      await refused(bob, LEAVE, { conversationId: randomUUID() }, 'NOT_FOUND');
      for (const gone of [bob, carol, dave]) {
        expect(errorCodes(await graphql(url, CONVERSATION, { token: gone.token, variables: { id: group.id } }))).toEqual(['FORBIDDEN']);
        expect((await graphqlData(url, CONVERSATIONS, { token: gone.token })).conversations).toEqual([]);
        await refused(gone, SEND, { conversationId: group.id, body: 'let me back' }, 'FORBIDDEN');
      }
      const remaining = await graphqlData(url, CONVERSATION, { token: alice.token, variables: { id: group.id } });
      expect(ids(remaining.conversation.members)).toEqual([alice.id]);
      // A direct conversation cannot lose someone to removal; leaving it and starting again brings both back.
      const direct = await startConversation(url, alice, [bob]);
      await refused(admin, REMOVE, { conversationId: direct.id, userId: bob.id }, 'BAD_USER_INPUT', 'conversationId');
      await refused(carol, REMOVE, { conversationId: direct.id, userId: bob.id }, 'FORBIDDEN');
      // A starter who left no longer moderates the group.
      const another = await startConversation(url, carol, [alice, dave]);
      await graphqlData(url, LEAVE, { token: carol.token, variables: { conversationId: another.id } });
      await refused(carol, REMOVE, { conversationId: another.id, userId: dave.id }, 'FORBIDDEN');
      await graphqlData(url, LEAVE, { token: bob.token, variables: { conversationId: direct.id } });
      const again = await startConversation(url, alice, [bob]);
      expect(again.id).toBe(direct.id);
      expect(ids(again.members)).toEqual([alice.id, bob.id].sort());
    });

    it("opens a gym's community room to members who checked in there (gym.checked_in events)", async () => {
      const [alice, bob, carol] = await people(3);
      const gymId = randomUUID();
      await refused(alice, JOIN_GYM, { gymId }, 'FORBIDDEN');
      await refused(alice, JOIN_GYM, { gymId: 'gym-1' }, 'BAD_USER_INPUT', 'gymId');
      await chat.events.publish('gym.checked_in', { gymId, userId: alice.id, at: new Date().toISOString() });
      await chat.events.publish('gym.checked_in', { gymId, userId: carol.id, at: new Date().toISOString() });
      const join = (as: TestUser) => graphql(url, JOIN_GYM, { token: as.token, variables: { gymId } });
      await eventually(async () => !(await join(carol)).errors, { what: 'the check-in events to be handled' });
      const room = (await join(alice)).data!.joinGymRoom;
      expect(room).toMatchObject({ kind: 'GYM_ROOM', title: null, gym: { id: gymId } });
      expect(ids(room.members)).toEqual([alice.id, carol.id].sort());
      expect((await join(alice)).data!.joinGymRoom.id).toBe(room.id);
      await refused(bob, JOIN_GYM, { gymId }, 'FORBIDDEN');
      await refused(alice, ADD, { conversationId: room.id, memberIds: [bob.id] }, 'BAD_USER_INPUT', 'conversationId');
      await send(url, carol, room.id, 'who is up for a run?');
      // A repeated delivery of the same event changes nothing; a malformed one is skipped.
      await chat.events.publish('gym.checked_in', { gymId, userId: alice.id, at: new Date().toISOString() });
      await chat.events.publish('gym.checked_in', { gymId: 'nope', userId: bob.id, at: 'never' });
      await chat.events.publish('gym.checked_in', { gymId, userId: bob.id, at: new Date().toISOString() });
      await eventually(async () => !(await join(bob)).errors, { what: 'bob to be allowed in' });
    });
  });

  describe('sendMessage', () => {
    it('refuses bad bodies, unknown conversations and non-members, storing nothing', async () => {
      const [alice, bob, eve] = await people(3);
      const { id } = await startConversation(url, alice, [bob]);
      await send(url, alice, id, 'first');
      await refused(alice, SEND, { conversationId: id, body: '' }, 'BAD_USER_INPUT', 'body');
      await refused(alice, SEND, { conversationId: id, body: ' \n\t  ' }, 'BAD_USER_INPUT', 'body');
      await refused(alice, SEND, { conversationId: id, body: 'x'.repeat(4001) }, 'BAD_USER_INPUT', 'body');
      await refused(alice, SEND, { conversationId: randomUUID(), body: 'hello' }, 'NOT_FOUND');
      await refused(alice, SEND, { conversationId: 'not-a-conversation', body: 'hello' }, 'BAD_USER_INPUT', 'conversationId');
      await refused(alice, SEND, { conversationId: id, body: 'hello', clientMessageId: '' }, 'BAD_USER_INPUT', 'clientMessageId');
      await refused(alice, SEND, { conversationId: id, body: 'hello', clientMessageId: 'k'.repeat(101) }, 'BAD_USER_INPUT', 'clientMessageId');
      await refused(eve, SEND, { conversationId: id, body: 'let me in' }, 'FORBIDDEN');
      await refused(null, SEND, { conversationId: id, body: 'anonymous' }, 'UNAUTHENTICATED');
      const bad = await graphql(url, SEND, { token: alice.token, variables: { conversationId: id, body: '' } });
      expect(bad.errors?.[0]?.message).toBe('body: must not be empty');
      expect(JSON.stringify(bad)).not.toMatch(/stack|at .*\.ts:\d+/);
    });

    it('stores the body trimmed, counting characters rather than UTF-16 units, and attributes the sender', async () => {
      const [alice, bob] = await people(2);
      const { id } = await startConversation(url, alice, [bob]);
      const longest = await send(url, bob, id, `   ${'x'.repeat(4000)}\n`);
      expect(longest.body).toHaveLength(4000);
      const emoji = await send(url, alice, id, '💪'.repeat(4000));
      expect([...emoji.body]).toHaveLength(4000);
      expect(emoji).toMatchObject({ sender: { id: alice.id }, conversation: { id } });
      expect(longest.id < emoji.id).toBe(true);
    });

    it('stores a retried send with one clientMessageId once, even when the retries race', async () => {
      const [alice, bob] = await people(2);
      const { id } = await startConversation(url, alice, [bob]);
      const first = await send(url, alice, id, 'on my way', 'phone-1');
      const retry = await send(url, alice, id, 'on my way', 'phone-1');
      expect(retry).toEqual(first);
      const raced = await Promise.all(Array.from({ length: 10 }, () => send(url, alice, id, 'running late', 'phone-2')));
      expect(new Set(raced.map((m) => m.id)).size).toBe(1);
      // The same key from someone else is their own message.
      const bobs = await send(url, bob, id, 'me too', 'phone-1');
      expect(bobs.id).not.toBe(first.id);
      const next = await send(url, alice, id, 'here');
      const stored = (await graphqlData(url, MESSAGES, { token: alice.token, variables: { id } })).conversation.messages;
      expect(stored.map((m: { body: string }) => m.body)).toEqual(['on my way', 'running late', 'me too', 'here']);
      // Retries gave their seq back: the ids stay dense.
      const seqs = stored.map((m: { id: string }) => Number(m.id.split('.')[1]));
      expect(seqs).toEqual([1, 2, 3, 4]);
      expect(stored.at(-1).id).toBe(next.id);
    });
  });

  it('forgets a deleted user: memberships and visits gone, messages kept under the deleted-user placeholder', async () => {
    const [alice, bob] = await people(2);
    const gymId = randomUUID();
    const { id } = await startConversation(url, alice, [bob]);
    await send(url, alice, id, 'my last words', 'k1');
    await send(url, bob, id, 'reply');
    await chat.events.publish('gym.checked_in', { gymId, userId: alice.id, at: new Date().toISOString() });
    await eventually(async () => !(await graphql(url, JOIN_GYM, { token: alice.token, variables: { gymId } })).errors, { what: 'the check-in' });
    const aliceStream = subscribe(url, MESSAGE_ADDED, { token: alice.token, variables: { conversationId: id } });
    await eventually(() => chat.servers[0]!.running.activeSubscriptions() > 0, { what: 'the stream to open' });

    await chat.events.publish('user.deleted', { userId: alice.id });
    const mentionsAlice = async () => {
      const rows = await chat.db.db.execute(
        sql`select 1 from conversations c full join conversation_members m on false full join messages g on false full join gym_visitors v on false
            where ${alice.id} in (c.created_by::text, m.user_id::text, g.sender_id::text, v.user_id::text) or c.direct_key like ${`%${alice.id}%`}`,
      );
      return (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows).length > 0;
    };
    await eventually(async () => !(await mentionsAlice()), { what: 'the deletion to be handled' });
    const messages = (await graphqlData(url, MESSAGES, { token: bob.token, variables: { id } })).conversation.messages;
    expect(messages.map((m: { body: string; sender: { id: string } }) => [m.body, m.sender.id])).toEqual([
      ['my last words', deletedUserId],
      ['reply', bob.id],
    ]);
    expect(ids((await graphqlData(url, CONVERSATION, { token: bob.token, variables: { id } })).conversation.members)).toEqual([bob.id]);
    // Her open stream ends, and nothing sent afterwards reached it.
    expect(await ended(aliceStream)).toEqual({});
    await send(url, bob, id, 'are you there?');
    expect(aliceStream.results).toHaveLength(0);
    await aliceStream.close();
  });
});
