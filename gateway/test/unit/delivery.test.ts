/** Delivery groups writing graphql-ws `next` messages themselves: order, ids, unsubscribe, the drop policy. */
import type { FormattedExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DeliveryGroup, type FrameConnection } from '../../src/subscriptions/delivery';
import type { PreparedSubscription } from '../../src/subscriptions/planner';

/** A connection that records messages per id; `stuck` holds its writes unfinished (a client that stopped reading). */
function fakeConnection(options: { stuck?: boolean } = {}) {
  const open = new Set<string>();
  const messages: { id: string; type: string; payload: unknown }[] = [];
  const unfinished: (() => void)[] = [];
  const connection: FrameConnection = {
    accepts: (id) => open.has(id),
    write: (message, written) => {
      messages.push(JSON.parse(message));
      if (options.stuck) unfinished.push(written);
      else queueMicrotask(written);
    },
  };
  return { connection, open, messages, unfinished };
}

const group = (maxQueuedEvents = 100) => new DeliveryGroup('key', {} as PreparedSubscription, {}, maxQueuedEvents);
const event = (n: number): FormattedExecutionResult => ({ data: { tick: { n, text: `"quoted" é ${n}` } } });
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('DeliveryGroup with frame streams', () => {
  it('gives every subscriber every event once, in upstream order, under its own id, although executions finish out of order', async () => {
    const g = group();
    const connections = Array.from({ length: 3 }, () => fakeConnection());
    const ended: string[] = [];
    connections.forEach(({ connection, open }, c) => {
      for (const id of [`${c}-a`, `${c}-"b"`]) {
        open.add(id);
        g.join(() => ended.push(id), { connection, id });
      }
    });
    const resolvers: ((result: FormattedExecutionResult) => void)[] = [];
    for (let n = 1; n <= 5; n += 1) g.enqueue(new Promise((resolve) => resolvers.push(resolve)));
    // The last execution finishes first: nothing may overtake the earlier ones.
    for (const n of [5, 3, 1, 2, 4]) resolvers[n - 1]!(event(n));
    await settle();
    for (const [c, { messages }] of connections.entries()) {
      for (const id of [`${c}-a`, `${c}-"b"`]) {
        expect(messages.filter((m) => m.id === id)).toEqual([1, 2, 3, 4, 5].map((n) => ({ id, type: 'next', payload: event(n) })));
      }
      expect(messages).toHaveLength(10);
    }
    expect(ended).toEqual([]);
  });

  it('sends nothing to an id the client completed, and a late joiner gets only later events', async () => {
    const g = group();
    const { connection, open, messages } = fakeConnection();
    open.add('stays').add('leaves');
    const stays = g.join(() => {}, { connection, id: 'stays' });
    let leftOnce = 0;
    const leaves = g.join(() => (leftOnce += 1), { connection, id: 'leaves' });
    g.enqueue(Promise.resolve(event(1)));
    await settle();
    // The client's `complete`: graphql-ws forgets the id at once, and returns the iterator later (or never
    // registered it yet): an event delivered in between must not go out.
    open.delete('leaves');
    g.enqueue(Promise.resolve(event(2)));
    await settle();
    await leaves.return!();
    await leaves.return!();
    expect(leftOnce).toBe(1);
    expect(g.subscribers.has(leaves)).toBe(false);
    open.add('late');
    g.join(() => {}, { connection, id: 'late' });
    g.enqueue(Promise.resolve(event(3)));
    await settle();
    const ids = (id: string) => messages.filter((m) => m.id === id).map((m) => (m.payload as any).data.tick.n);
    expect(ids('stays')).toEqual([1, 2, 3]);
    expect(ids('leaves')).toEqual([1]);
    expect(ids('late')).toEqual([3]);
    expect(stays.ended).toBe(false);
  });

  it('ends the iterator graphql-ws awaits after the last next, so its complete follows', async () => {
    const g = group();
    const { connection, open, messages } = fakeConnection();
    open.add('1');
    const stream = g.join(() => {}, { connection, id: '1' });
    const pending = stream.next();
    g.enqueue(Promise.resolve(event(1)));
    const last = { errors: [{ message: 'Access revoked', extensions: { code: 'FORBIDDEN' } }] };
    g.finish(last);
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(messages).toEqual([
      { id: '1', type: 'next', payload: event(1) },
      { id: '1', type: 'next', payload: last },
    ]);
  });

  it('drops a subscriber whose socket has not taken maxQueuedEvents messages, with RATE_LIMITED, and keeps the others', async () => {
    const g = group(3);
    const slow = fakeConnection({ stuck: true });
    const fast = fakeConnection();
    slow.open.add('s');
    fast.open.add('f');
    let slowEnded = 0;
    const slowStream = g.join(() => (slowEnded += 1), { connection: slow.connection, id: 's' });
    const pending = slowStream.next();
    g.join(() => {}, { connection: fast.connection, id: 'f' });
    for (let n = 1; n <= 6; n += 1) g.enqueue(Promise.resolve(event(n)));
    await settle();
    expect(fast.messages.map((m) => (m.payload as any).data.tick.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(slow.messages.slice(0, 3).map((m) => (m.payload as any).data.tick.n)).toEqual([1, 2, 3]);
    expect(slow.messages.slice(3)).toEqual([
      { id: 's', type: 'next', payload: { errors: [{ message: 'Subscription dropped: the client fell 3 events behind', extensions: { code: 'RATE_LIMITED', limit: 3 } }] } },
    ]);
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(slowEnded).toBe(1);
    expect(g.subscribers.size).toBe(1);
  });

  it('lets a subscriber that catches up stay', async () => {
    const g = group(2);
    const slow = fakeConnection({ stuck: true });
    slow.open.add('s');
    const stream = g.join(() => {}, { connection: slow.connection, id: 's' });
    for (let n = 1; n <= 2; n += 1) g.enqueue(Promise.resolve(event(n)));
    await settle();
    for (const written of slow.unfinished.splice(0)) written();
    g.enqueue(Promise.resolve(event(3)));
    await settle();
    expect(stream.ended).toBe(false);
    expect(slow.messages.map((m) => (m.payload as any).data.tick.n)).toEqual([1, 2, 3]);
  });
});
