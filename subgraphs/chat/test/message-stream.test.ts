/**
 * MessageStream on its own, against the real database, with pub/sub events handed in by the test
 * in the worst orders a network can produce: late, duplicated, lost, reordered.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Viewer } from '@fitgraph/platform';
import { createLogger } from '@fitgraph/service-kit';
import { backends, openTestDatabase } from '@fitgraph/testkit';
import * as chat from '../src/conversations';
import type { ConversationEvent } from '../src/events';
import { MessageStream } from '../src/message-stream';
import { schema } from '../src/server';
import type { ChatDb } from './harness';

const logger = createLogger('chat-stream-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const member = (): Viewer => ({ id: randomUUID(), role: 'MEMBER', sessionId: randomUUID() });
/** Far above what these tests send (the daily bound has its own test). */
const quota = { kind: 'chat messages', limit: 1_000_000 };

describe(`MessageStream (${backends.database})`, () => {
  let db: ChatDb;
  beforeAll(async () => {
    db = await openTestDatabase('chat', schema);
  });
  afterAll(async () => {
    await db?.close();
  });

  /** A conversation with `count` messages and the events their sends produced, in send order. */
  async function conversationWith(count: number) {
    const [alice, bob] = [member(), member()];
    // As the user subgraph's `user.created` events would: bob may be made a member.
    await chat.recordUser(db.db, bob.id);
    const conversation = await chat.startConversation(db.db, alice, [bob.id], null);
    const events: ConversationEvent[] = [];
    for (let i = 1; i <= count; i += 1) {
      const outcome = await chat.sendMessage(db.db, alice, conversation.id, `m${i}`, null, quota);
      events.push(...outcome.events.map((e) => e.payload as ConversationEvent));
    }
    return { alice, bob, conversationId: conversation.id, events };
  }

  function streamFor(viewer: Viewer, conversationId: string, options: { pageSize?: number; liveLimit?: number } = {}) {
    let closed = 0;
    let fetches = 0;
    const stream = new MessageStream({
      viewerId: viewer.id,
      fetchPage: (after, upto, limit) => {
        fetches += 1;
        return chat.streamPage(db.db, viewer.id, conversationId, after, upto, limit);
      },
      onClose: () => void (closed += 1),
      logger,
      ...options,
    });
    return { stream, closed: () => closed, fetches: () => fetches };
  }

  const bodies = async (stream: MessageStream, count: number) => {
    const out: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const result = await stream.next();
      if (result.done) throw new Error(`stream ended after ${out.length}`);
      out.push(result.value.messageAdded.body);
    }
    return out;
  };
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

  it('delivers each message once and in order whatever order, duplication or loss the events suffer', async () => {
    const { alice, bob, conversationId, events } = await conversationWith(30);
    const { stream } = streamFor(bob, conversationId);
    // Subscribed before any of these were sent: the stream starts at seq 0.
    stream.start({ afterSeq: 0, lastSeq: 0, membershipVersion: 0 });
    const pending = bodies(stream, 30);
    // Reversed, every third lost, some twice: only the newest event needs to arrive at all.
    const scrambled = events.filter((_, i) => i % 3 !== 1).reverse();
    for (const event of [...scrambled, events[5]!, events[0]!]) stream.onEvent(event);
    expect(await pending).toEqual(range(1, 30));
    // Late duplicates after delivery change nothing.
    for (const event of events) stream.onEvent(event);
    const following = await chat.sendMessage(db.db, alice, conversationId, 'm31', null, quota);
    stream.onEvent(following.events[0]!.payload as ConversationEvent);
    expect(await bodies(stream, 1)).toEqual(['m31']);
    await stream.return();
  });

  it('replays from a cursor, then switches to live without a gap or a duplicate', async () => {
    const { alice, bob, conversationId, events } = await conversationWith(10);
    const { stream, fetches } = streamFor(bob, conversationId, { pageSize: 4 });
    // Events of messages 6..10 arrive before the start position is known (subscribe-then-read).
    for (const event of events.slice(5)) stream.onEvent(event);
    stream.start({ afterSeq: 3, lastSeq: 10, membershipVersion: 0 });
    expect(await bodies(stream, 7)).toEqual(range(4, 10));
    const live = await chat.sendMessage(db.db, alice, conversationId, 'm11', null, quota);
    stream.onEvent(live.events[0]!.payload as ConversationEvent);
    const before = fetches();
    expect(await bodies(stream, 1)).toEqual(['m11']);
    // The event followed on from what was sent: delivered from memory, no query.
    expect(fetches()).toBe(before);
    await stream.return();
  });

  it('re-reads what a slow consumer was too far behind to hold in memory', async () => {
    const { bob, conversationId, events } = await conversationWith(25);
    const { stream } = streamFor(bob, conversationId, { liveLimit: 5, pageSize: 10 });
    stream.start({ afterSeq: 0, lastSeq: 0, membershipVersion: 0 });
    for (const event of events) stream.onEvent(event);
    expect(await bodies(stream, 25)).toEqual(range(1, 25));
    await stream.return();
  });

  it('ends at once on return() while a next() is waiting, and closes only once', async () => {
    const { bob, conversationId } = await conversationWith(1);
    const { stream, closed } = streamFor(bob, conversationId);
    stream.start({ afterSeq: 1, lastSeq: 1, membershipVersion: 0 });
    const waiting = stream.next();
    await stream.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    await stream.return();
    expect(closed()).toBe(1);
  });

  it("ends on the subscriber's own removal, not on someone else's", async () => {
    const [alice, bob, carol] = [member(), member(), member()];
    for (const known of [bob, carol]) await chat.recordUser(db.db, known.id);
    const group = await chat.startConversation(db.db, alice, [bob.id, carol.id], 'g');
    const { stream, closed } = streamFor(bob, group.id);
    stream.start({ afterSeq: 0, lastSeq: 0, membershipVersion: 0 });
    const carolLeft = await chat.leaveConversation(db.db, carol, group.id);
    for (const { payload } of carolLeft.events) stream.onEvent(payload as ConversationEvent);
    // A message from the newer membership version is checked against the database: bob is still in.
    const sent = await chat.sendMessage(db.db, alice, group.id, 'still here', null, quota);
    stream.onEvent(sent.events[0]!.payload as ConversationEvent);
    expect(await bodies(stream, 1)).toEqual(['still here']);
    const waiting = stream.next();
    const bobRemoved = await chat.removeMember(db.db, alice, group.id, bob.id);
    for (const { payload } of bobRemoved.events) stream.onEvent(payload as ConversationEvent);
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(closed()).toBe(1);
  });
});
