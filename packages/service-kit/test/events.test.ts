import { randomUUID } from 'node:crypto';
import { count as countRows, sql } from 'drizzle-orm';
import { integer, pgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  deleteRedisKeys,
  handleEventOnce,
  openEventBus,
  type DomainEvent,
  type EventBus,
} from '@fitgraph/service-kit';
import { openTestDatabase, type TestDatabase } from '@fitgraph/testkit';

const logger = createLogger('events-test', 'silent');
const effects = pgTable('effects', { n: integer('n') });

/** A topic map of the test's own: the kit knows no application's topics. */
interface TestTopics {
  'user.deleted': { userId: string };
}

/** Resolves once `predicate` holds, polling; fails after `timeoutMs`. */
async function eventually(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const backendsToTest = [
  { kind: 'memory' as const, redisUrl: undefined },
  ...(process.env.REDIS_URL ? [{ kind: 'redis' as const, redisUrl: process.env.REDIS_URL }] : []),
];

describe.each(backendsToTest)('event bus ($kind)', ({ redisUrl }) => {
  const keyPrefix = `fgt:events-test:${randomUUID()}:`;
  const buses: EventBus<TestTopics>[] = [];
  let shared: EventBus<TestTopics> | undefined;
  /** A bus as a (re)started process opens it; in-process, there is only the one. */
  const open = (consumerName = 'test-consumer') => {
    if (!redisUrl && shared) return shared;
    const bus = openEventBus<TestTopics>({ redisUrl, keyPrefix, consumerName, logger, retryMs: 200, claimIdleMs: 500, stopGraceMs: 100 });
    buses.push(bus);
    shared = bus;
    return bus;
  };
  afterAll(async () => {
    await Promise.allSettled(buses.map((bus) => bus.close()));
    if (redisUrl) await deleteRedisKeys(redisUrl, keyPrefix);
  });

  it('delivers events published before and after a group starts, to every group, in order', async () => {
    const bus = open();
    const first = await bus.publish('user.deleted', { userId: 'u-1' });
    const seenA: string[] = [];
    const seenB: string[] = [];
    const a = bus.consume('user.deleted', 'group-a', async (event) => void seenA.push(event.payload.userId));
    const b = bus.consume('user.deleted', 'group-b', async (event) => void seenB.push(event.payload.userId));
    await bus.publish('user.deleted', { userId: 'u-2' });
    await eventually(() => seenA.length === 2 && seenB.length === 2);
    expect(seenA).toEqual(['u-1', 'u-2']);
    expect(seenB).toEqual(['u-1', 'u-2']);
    expect(first).toMatchObject({ topic: 'user.deleted', payload: { userId: 'u-1' } });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a stopped group catches up on what was published meanwhile, without repeating what it acknowledged', async () => {
    const bus = open();
    const seen: string[] = [];
    const handler = async (event: DomainEvent<TestTopics, 'user.deleted'>) => void seen.push(event.payload.userId);
    const consumer = bus.consume('user.deleted', 'group-catch-up', handler);
    await eventually(() => seen.length === 2); // u-1 and u-2 from the previous test
    await consumer.stop();
    await bus.publish('user.deleted', { userId: 'u-3' });
    const again = open().consume('user.deleted', 'group-catch-up', handler);
    await eventually(() => seen.length === 3);
    expect(seen).toEqual(['u-1', 'u-2', 'u-3']);
    await again.stop();
  });

  it('retries an event whose handler failed until it succeeds', async () => {
    const bus = open();
    let attempts = 0;
    const consumer = bus.consume('user.deleted', 'group-retry', async (event) => {
      if (event.payload.userId !== 'u-flaky') return;
      attempts += 1;
      if (attempts < 3) throw new Error('database unavailable');
    });
    await bus.publish('user.deleted', { userId: 'u-flaky' });
    await eventually(() => attempts === 3);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(attempts).toBe(3); // acknowledged after the success: not delivered again
    await consumer.stop();
  });

  it.runIf(redisUrl)('hands events a dead consumer left unacknowledged to another consumer of the group', async () => {
    const crashing = open('consumer-that-dies');
    let received = 0;
    // The handler never finishes: its process "dies" holding the event.
    crashing.consume('user.deleted', 'group-claim', async (event) => {
      if (event.payload.userId === 'u-claimed') {
        received += 1;
        await new Promise(() => {});
      }
    });
    await crashing.publish('user.deleted', { userId: 'u-claimed' });
    await eventually(() => received === 1);
    const survivor = open('survivor');
    const seen: string[] = [];
    const consumer = survivor.consume('user.deleted', 'group-claim', async (event) => void seen.push(event.payload.userId));
    await eventually(() => seen.includes('u-claimed'));
    await consumer.stop();
  });
});

describe('handleEventOnce', () => {
  let database: TestDatabase<Record<string, never>>;
  beforeAll(async () => {
    database = await openTestDatabase('gym', {});
    await database.db.execute(sql`create table effects (n int)`);
  });
  afterAll(async () => {
    await database?.close();
  });

  const count = async () => (await database.db.select({ n: countRows() }).from(effects))[0]!.n;

  it('applies an event delivered twice exactly once, and rolls back the record when the work fails', async () => {
    const event: DomainEvent<TestTopics, 'user.deleted'> = { id: randomUUID(), topic: 'user.deleted', payload: { userId: 'x' }, occurredAt: new Date().toISOString() };
    const work = async (tx: typeof database.db) => void (await tx.execute(sql`insert into effects values (1)`));
    expect(await handleEventOnce(database.db, event, work)).toBe(true);
    expect(await handleEventOnce(database.db, event, work)).toBe(false);
    expect(await count()).toBe(1);

    const failing = { ...event, id: randomUUID() };
    await expect(
      handleEventOnce(database.db, failing, async (tx) => {
        await tx.execute(sql`insert into effects values (2)`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await count()).toBe(1);
    // Not recorded as handled: the retry does the work.
    expect(await handleEventOnce(database.db, failing, work)).toBe(true);
    expect(await count()).toBe(2);
  });
});
