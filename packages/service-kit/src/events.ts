/**
 * Durable domain events between services, delivered at least once.
 *
 * With `REDIS_URL`: one Redis Stream per topic and one consumer group per consuming service, so
 * an event published while a consumer is down waits in the stream and is delivered when it comes
 * back; an entry is acknowledged (XACK) only after its handler committed, and entries left
 * unacknowledged (a crash mid-handler, a failing handler) are re-read by their consumer and, after
 * `claimIdleMs`, claimed by another one (XAUTOCLAIM). Without Redis: an in-process log with one
 * offset per group, the same semantics within one process (the embedded stack shares one bus).
 *
 * At least once means a handler may see an event twice; {@link handleEventOnce} makes that
 * exactly once in effect by recording the event id in the consumer's own database in the same
 * transaction as the handler's writes.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { Redis } from 'ioredis';
import type { Database } from './db';
import { quietRedisErrors, redisConnectionDefaults } from './dependencies';
import type { Logger } from './logger';

/**
 * An application's topics: topic name -> payload type. The kit is generic over it; the
 * application declares its own map once and uses `EventBus<ItsTopics>`.
 */
export type EventMap = object;
export type TopicOf<TTopics extends EventMap> = keyof TTopics & string;

export interface DomainEvent<TTopics extends EventMap = Record<string, unknown>, T extends TopicOf<TTopics> = TopicOf<TTopics>> {
  /** Unique per event; consumers deduplicate on it. */
  id: string;
  topic: T;
  payload: TTopics[T];
  /** ISO-8601. */
  occurredAt: string;
}

export type EventHandler<TTopics extends EventMap, T extends TopicOf<TTopics>> = (event: DomainEvent<TTopics, T>) => Promise<void>;

export interface EventConsumer {
  /** Stops after the event being handled (if any) is finished; unhandled ones stay for the next start. */
  stop(): Promise<void>;
}

export interface EventBus<TTopics extends EventMap = Record<string, unknown>> {
  readonly kind: 'redis' | 'memory';
  /** Appends an event; `id`/`occurredAt` may be given (an outbox row's), so a re-publish deduplicates. */
  publish<T extends TopicOf<TTopics>>(topic: T, payload: TTopics[T], options?: { id?: string; occurredAt?: Date }): Promise<DomainEvent<TTopics, T>>;
  /** Delivers every event of `topic` not yet handled by `group` (from the start of retention) to `handler`, one at a time. */
  consume<T extends TopicOf<TTopics>>(topic: T, group: string, handler: EventHandler<TTopics, T>): EventConsumer;
  close(): Promise<void>;
}

export interface EventBusOptions {
  /** Redis; unset means in-process. */
  redisUrl?: string;
  /** Prefix of the stream keys (`<prefix>events:<topic>`), so deployments and tests can share a Redis. */
  keyPrefix: string;
  /** This process's consumer name in each group (see {@link eventsEnv}). */
  consumerName?: string;
  logger: Logger;
  /** How often unacknowledged events are retried and abandoned ones claimed. Default: 5000 ms. */
  retryMs?: number;
  /** An event unacknowledged this long by another consumer is claimed by this one. Default: 60000 ms. */
  claimIdleMs?: number;
  /** How long `stop()` waits for a handler in progress before abandoning it (it is redelivered). Default: 10000 ms. */
  stopGraceMs?: number;
}

/** What both implementations provide, untyped; {@link openEventBus} gives it the application's topic map. */
interface UntypedEventBus {
  readonly kind: 'redis' | 'memory';
  publish(topic: string, payload: unknown, options?: { id?: string; occurredAt?: Date }): Promise<DomainEvent>;
  consume(topic: string, group: string, handler: (event: DomainEvent) => Promise<void>): EventConsumer;
  close(): Promise<void>;
}

export function openEventBus<TTopics extends EventMap = Record<string, unknown>>(options: EventBusOptions): EventBus<TTopics> {
  const bus = options.redisUrl ? redisEventBus({ ...options, redisUrl: options.redisUrl }) : memoryEventBus(options);
  return bus as unknown as EventBus<TTopics>;
}

const newEvent = (topic: string, payload: unknown, options: { id?: string; occurredAt?: Date } = {}): DomainEvent => ({
  id: options.id ?? randomUUID(),
  topic,
  payload,
  occurredAt: (options.occurredAt ?? new Date()).toISOString(),
});

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- Redis Streams

/** Streams keep this many events (approximately); far more than any consumer falls behind. */
const streamMaxLength = 100_000;

const eventStreamKey = (keyPrefix: string, topic: string) => `${keyPrefix}events:${topic}`;

function redisEventBus(options: EventBusOptions & { redisUrl: string }): UntypedEventBus {
  const { logger, keyPrefix } = options;
  const consumerName = options.consumerName ?? hostname();
  const retryMs = options.retryMs ?? 5000;
  const claimIdleMs = options.claimIdleMs ?? 60_000;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  // Publishing fails fast rather than queueing forever; callers (an outbox) retry.
  const publisher = quietRedisErrors(new Redis(options.redisUrl, { ...redisConnectionDefaults, maxRetriesPerRequest: 2 }), 'events publisher', logger);
  const consumers = new Set<EventConsumer>();

  return {
    kind: 'redis',
    async publish(topic, payload, publishOptions) {
      const event = newEvent(topic, payload, publishOptions);
      await publisher.xadd(eventStreamKey(keyPrefix, topic), 'MAXLEN', '~', streamMaxLength, '*', 'event', JSON.stringify(event));
      return event;
    },
    consume(topic, group, handler) {
      const key = eventStreamKey(keyPrefix, topic);
      // XREADGROUP BLOCK holds its connection: each consumer has its own.
      const connection = quietRedisErrors(new Redis(options.redisUrl, { ...redisConnectionDefaults, maxRetriesPerRequest: null }), `events consumer ${topic}`, logger);
      const log = logger.child({ topic, group, consumer: consumerName });
      let stopped = false;
      let blocked = false;
      let groupReady = false;

      const ensureGroup = async () => {
        if (groupReady) return;
        try {
          // From 0: a group created after events were published still gets them.
          await connection.xgroup('CREATE', key, group, '0', 'MKSTREAM');
        } catch (error) {
          if (!String((error as Error).message).startsWith('BUSYGROUP')) throw error;
        }
        groupReady = true;
      };

      const handleEntry = async (id: string, fields: string[] | null) => {
        const at = fields?.indexOf('event') ?? -1;
        const raw = at < 0 ? undefined : fields![at + 1];
        if (raw === undefined) {
          log.warn({ entryId: id }, 'event entry without payload (trimmed?); acknowledging');
          await connection.xack(key, group, id);
          return;
        }
        let event: DomainEvent;
        try {
          event = JSON.parse(raw) as DomainEvent;
        } catch (error) {
          log.error({ entryId: id, err: error }, 'unreadable event; acknowledging so it cannot block the group');
          await connection.xack(key, group, id);
          return;
        }
        try {
          await handler(event);
        } catch (error) {
          // Left unacknowledged: retried on the next pending scan.
          log.error({ entryId: id, eventId: event.id, err: error }, 'event handler failed; will retry');
          return;
        }
        await connection.xack(key, group, id);
      };

      type Entries = [id: string, fields: string[] | null][];
      const readStreams = (result: unknown): Entries =>
        ((result as [string, Entries][] | null)?.[0]?.[1] ?? []) as Entries;

      /** Events this consumer received earlier but never acknowledged (crash, stop, failed handler). */
      const retryOwnPending = async () => {
        let after = '0';
        while (!stopped) {
          const entries = readStreams(await connection.xreadgroup('GROUP', group, consumerName, 'COUNT', 100, 'STREAMS', key, after));
          if (entries.length === 0) return;
          for (const [id, fields] of entries) {
            if (stopped) return;
            await handleEntry(id, fields);
            after = id;
          }
        }
      };

      /** Events another consumer took and left unacknowledged for `claimIdleMs` (it died). */
      const claimAbandoned = async () => {
        let cursor = '0-0';
        do {
          const [next, entries] = (await connection.xautoclaim(key, group, consumerName, claimIdleMs, cursor, 'COUNT', 100)) as [string, Entries];
          for (const [id, fields] of entries) {
            if (stopped) return;
            await handleEntry(id, fields);
          }
          cursor = next;
        } while (cursor !== '0-0' && !stopped);
      };

      const loop = (async () => {
        let lastScan = 0;
        let failures = 0;
        while (!stopped) {
          try {
            await ensureGroup();
            if (Date.now() - lastScan >= retryMs) {
              lastScan = Date.now();
              await retryOwnPending();
              await claimAbandoned();
            }
            if (stopped) break;
            blocked = true;
            const result = await connection.xreadgroup('GROUP', group, consumerName, 'COUNT', 100, 'BLOCK', Math.min(retryMs, 5000), 'STREAMS', key, '>');
            blocked = false;
            for (const [id, fields] of readStreams(result)) {
              if (stopped) break;
              await handleEntry(id, fields);
            }
            failures = 0;
          } catch (error) {
            blocked = false;
            if (stopped) break;
            // NOGROUP: the stream was deleted under us; create the group again.
            if (String((error as Error).message).startsWith('NOGROUP')) groupReady = false;
            failures += 1;
            log.warn({ err: error }, 'event consumer error; retrying');
            await delay(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)));
          }
        }
      })();

      const consumer: EventConsumer = {
        stop: async () => {
          if (stopped) return;
          stopped = true;
          consumers.delete(consumer);
          // Abort a blocking read at once; a handler in progress finishes first.
          if (blocked) connection.disconnect();
          await Promise.race([loop, delay(stopGraceMs)]);
          connection.disconnect();
        },
      };
      consumers.add(consumer);
      return consumer;
    },
    async close() {
      await Promise.allSettled([...consumers].map((consumer) => consumer.stop()));
      await publisher.quit().catch(() => publisher.disconnect());
    },
  };
}

/** Removes every key under `prefix` (a test stack's streams and rate-limit counters). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = quietRedisErrors(new Redis(redisUrl, { ...redisConnectionDefaults, maxRetriesPerRequest: 2 }), 'events cleanup');
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------- in-process

/** Events kept per topic in memory; a group further behind than this loses the oldest (logged). */
const memoryRetention = 10_000;

function memoryEventBus(options: EventBusOptions): UntypedEventBus {
  const { logger } = options;
  const retryMs = options.retryMs ?? 5000;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  interface TopicLog {
    events: DomainEvent[];
    /** Absolute offset of events[0]. */
    base: number;
    groups: Map<string, { offset: number; active: boolean }>;
    waiters: Set<() => void>;
  }
  const topics = new Map<string, TopicLog>();
  const topicLog = (topic: string): TopicLog => {
    let found = topics.get(topic);
    if (!found) topics.set(topic, (found = { events: [], base: 0, groups: new Map(), waiters: new Set() }));
    return found;
  };
  const consumers = new Set<EventConsumer>();

  return {
    kind: 'memory',
    async publish(topic, payload, publishOptions) {
      const event = newEvent(topic, payload, publishOptions);
      const log = topicLog(topic);
      log.events.push(event);
      if (log.events.length > memoryRetention) {
        log.events.shift();
        log.base += 1;
      }
      for (const wake of log.waiters) wake();
      return event;
    },
    consume(topic, group, handler) {
      const log = topicLog(topic);
      const state = log.groups.get(group) ?? { offset: 0, active: false };
      // One consumer per group in a process; a second would handle every event twice.
      if (state.active) throw new Error(`Event group ${group} already consumes ${topic} in this process`);
      state.active = true;
      log.groups.set(group, state);
      const childLog = logger.child({ topic, group });
      let stopped = false;
      let wake: (() => void) | null = null;
      /** Waits for a publish (or `timeoutMs`), or until stopped. */
      const sleep = (timeoutMs?: number) =>
        new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            log.waiters.delete(done);
            wake = null;
            resolve();
          };
          const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
          wake = done;
          if (timeoutMs === undefined) log.waiters.add(done);
        });

      const loop = (async () => {
        let failures = 0;
        while (!stopped) {
          if (state.offset < log.base) {
            childLog.warn({ lost: log.base - state.offset }, 'consumer fell behind the in-memory retention; events lost');
            state.offset = log.base;
          }
          const event = log.events[state.offset - log.base];
          if (!event) {
            await sleep();
            continue;
          }
          try {
            await handler(event);
            state.offset += 1;
            failures = 0;
          } catch (error) {
            failures += 1;
            childLog.error({ eventId: event.id, err: error }, 'event handler failed; will retry');
            await sleep(Math.min(retryMs, 100 * 2 ** Math.min(failures, 8)));
          }
        }
      })();

      const consumer: EventConsumer = {
        stop: async () => {
          if (stopped) return;
          stopped = true;
          consumers.delete(consumer);
          (wake as (() => void) | null)?.();
          await Promise.race([loop, delay(stopGraceMs)]);
          state.active = false;
        },
      };
      consumers.add(consumer);
      return consumer;
    },
    async close() {
      await Promise.allSettled([...consumers].map((consumer) => consumer.stop()));
    },
  };
}

// ---------------------------------------------------------------- idempotent handling

/**
 * Event ids a consumer has handled, in the consumer's own database. One definition, identical
 * in every consuming database: a consuming service re-exports it from its Drizzle schema, so
 * its own migrations create it (like `eventOutbox` for producers).
 */
export const processedEvents = pgTable('processed_events', {
  eventId: uuid('event_id').primaryKey(),
  topic: text('topic').notNull(),
  processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Runs `work` in one transaction with the record that `event` was handled; a second delivery
 * of the same event finds the record and does nothing. Resolves true when `work` ran.
 */
export async function handleEventOnce<TSchema extends Record<string, unknown>>(
  db: Database<TSchema>,
  event: { id: string; topic: string },
  work: (tx: Database<TSchema>) => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const recorded = await tx
      .insert(processedEvents)
      .values({ eventId: event.id, topic: event.topic })
      .onConflictDoNothing()
      .returning({ eventId: processedEvents.eventId });
    if (recorded.length === 0) return false;
    await work(tx as unknown as Database<TSchema>);
    return true;
  });
}
