/** Flood protection of `sendMessage`: a per-sender budget per window, RATE_LIMITED beyond it. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, errorCodes, eventually, graphql } from '@fitgraph/testkit';
import { SEND, send, snapshot, startChat, startConversation, type ChatHarness, type TestUser } from './harness';

const limit = 3;

async function attempt(url: string, as: TestUser, conversationId: string, body: string, clientMessageId?: string) {
  return graphql(url, SEND, { token: as.token, variables: { conversationId, body, clientMessageId } });
}

const retryAfter = (response: Awaited<ReturnType<typeof attempt>>) => response.errors?.[0]?.extensions?.retryAfter as number;

describe(`sendMessage rate limit (${backends.database}, ${backends.pubsub === 'redis' ? 'Redis' : 'in-memory'} counters)`, () => {
  // A long window here, so a slow run never sees it reset mid-test; the reset has its own server below.
  let chat: ChatHarness;
  let url: string;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: string;

  beforeAll(async () => {
    chat = await startChat({ CHAT_SEND_RATE_LIMIT: String(limit), CHAT_SEND_RATE_WINDOW: '60' });
    url = chat.servers[0]!.url;
  });
  beforeEach(async () => {
    [alice, bob] = await Promise.all([chat.user(), chat.user()]);
    conversationId = (await startConversation(url, alice, [bob])).id;
  });
  afterAll(async () => {
    await chat?.stop();
  });

  it('refuses the sender’s message over the limit with retryAfter, and stores nothing', async () => {
    for (let i = 1; i <= limit; i += 1) await send(url, alice, conversationId, `m${i}`);
    const before = await snapshot(chat.db);
    const over = await attempt(url, alice, conversationId, 'one too many');
    expect(errorCodes(over)).toEqual(['RATE_LIMITED']);
    expect(over.data?.sendMessage ?? null).toBeNull();
    expect(retryAfter(over)).toBeGreaterThan(0);
    expect(retryAfter(over)).toBeLessThanOrEqual(60);
    // The budget is the sender's, not the conversation's: another conversation is no way around it.
    const other = (await startConversation(url, alice, [await chat.user()])).id;
    const before2 = await snapshot(chat.db);
    expect(errorCodes(await attempt(url, alice, other, 'elsewhere'))).toEqual(['RATE_LIMITED']);
    expect(await snapshot(chat.db)).toEqual(before2);
    expect(before2.messages).toEqual(before.messages);
  });

  it('leaves other senders unaffected', async () => {
    for (let i = 1; i <= limit; i += 1) await send(url, alice, conversationId, `m${i}`);
    expect(errorCodes(await attempt(url, alice, conversationId, 'too many'))).toEqual(['RATE_LIMITED']);
    const reply = await send(url, bob, conversationId, 'calm down');
    expect(reply.sender.id).toBe(bob.id);
  });

  it('never counts or refuses a retry of a message already stored', async () => {
    const first = await send(url, alice, conversationId, 'on my way', 'phone-1');
    // Retries within budget give their point back: after five of them alice still has limit - 1 sends left.
    for (let i = 0; i < 5; i += 1) expect((await send(url, alice, conversationId, 'on my way', 'phone-1')).id).toBe(first.id);
    for (let i = 2; i <= limit; i += 1) await send(url, alice, conversationId, `m${i}`);
    expect(errorCodes(await attempt(url, alice, conversationId, 'too many', 'phone-2'))).toEqual(['RATE_LIMITED']);
    // Limited now, and the retry still gets the original message; nothing new is stored.
    const before = await snapshot(chat.db);
    const retried = await attempt(url, alice, conversationId, 'on my way', 'phone-1');
    expect(retried.errors).toBeUndefined();
    expect((retried.data as { sendMessage: { id: string } }).sendMessage.id).toBe(first.id);
    expect(await snapshot(chat.db)).toEqual(before);
    // An unused clientMessageId is a new message, so it is limited.
    expect(errorCodes(await attempt(url, alice, conversationId, 'new', 'phone-3'))).toEqual(['RATE_LIMITED']);
    // A used one with another body is no retry: CONFLICT, limited or not, and the stored message stays as it was.
    const reused = await attempt(url, alice, conversationId, 'changed my mind', 'phone-1');
    expect(errorCodes(reused)).toEqual(['CONFLICT']);
    expect(reused.errors?.[0]?.extensions?.field).toBe('clientMessageId');
    expect(await snapshot(chat.db)).toEqual(before);
  });

  it('does not let a retry replay into a conversation the sender left', async () => {
    await send(url, alice, conversationId, 'bye', 'phone-1');
    for (let i = 2; i <= limit; i += 1) await send(url, alice, conversationId, `m${i}`);
    await graphql(url, `mutation($c: ID!) { leaveConversation(conversationId: $c) }`, { token: alice.token, variables: { c: conversationId } });
    expect(errorCodes(await attempt(url, alice, conversationId, 'bye', 'phone-1'))).toEqual(['RATE_LIMITED']);
  });
});

describe('sendMessage rate limit window', () => {
  let chat: ChatHarness;

  beforeAll(async () => {
    chat = await startChat({ CHAT_SEND_RATE_LIMIT: '2', CHAT_SEND_RATE_WINDOW: '1' });
  });
  afterAll(async () => {
    await chat?.stop();
  });

  it('lets the sender send again once the window has passed', async () => {
    const url = chat.servers[0]!.url;
    const [alice, bob] = await Promise.all([chat.user(), chat.user()]);
    const { id } = await startConversation(url, alice, [bob]);
    // Send until refused (a slow run may cross a window boundary on the way, hence the loop).
    const refused = await eventually(
      async () => {
        const response = await attempt(url, alice, id, 'flood');
        return errorCodes(response).includes('RATE_LIMITED') ? response : null;
      },
      { intervalMs: 0, timeoutMs: 10_000, what: 'a RATE_LIMITED send' },
    );
    expect(retryAfter(refused)).toBe(1);
    const sent = await eventually(async () => (await attempt(url, alice, id, 'later')).data?.sendMessage as { id: string } | undefined, {
      timeoutMs: 5_000,
      what: 'a send after the window',
    });
    expect(sent.id).toBeTruthy();
  });
});
