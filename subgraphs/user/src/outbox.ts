/**
 * Relays the transactional outbox (db/schema.ts `eventOutbox`) to the event bus: right after a
 * commit (`flush()`), and on a timer for whatever an earlier attempt could not publish (bus
 * down, process crashed after commit). A row is marked published only after the bus took it;
 * a crash in between publishes it again with the same id, which consumers deduplicate.
 */
import { asc, eq, isNull } from 'drizzle-orm';
import type { Database, EventBus, EventTopics, Logger, Topic } from '@fitgraph/service-kit';
import * as schema from './db/schema';

export interface OutboxRelay {
  /** Publishes every unpublished row; never throws (failures are logged and retried later). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const batchSize = 100;

export function startOutboxRelay(db: Database<typeof schema>, events: EventBus, logger: Logger, intervalMs = 5000): OutboxRelay {
  let current: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const publishBatch = () =>
    db.transaction(async (tx) => {
      // SKIP LOCKED: replicas relaying at once take different rows.
      const rows = await tx
        .select()
        .from(schema.eventOutbox)
        .where(isNull(schema.eventOutbox.publishedAt))
        .orderBy(asc(schema.eventOutbox.createdAt))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      for (const row of rows) {
        const event = await events.publish(row.topic as Topic, row.payload as EventTopics[Topic], { id: row.id, occurredAt: row.createdAt });
        await tx.update(schema.eventOutbox).set({ publishedAt: new Date() }).where(eq(schema.eventOutbox.id, row.id));
        logger.info({ eventId: event.id, topic: event.topic }, 'event published');
      }
      return rows.length;
    });

  const flush = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (current) {
      again = true;
      return current;
    }
    current = (async () => {
      do {
        again = false;
        try {
          while (!stopped && (await publishBatch()) === batchSize);
        } catch (error) {
          logger.warn({ err: error }, 'outbox relay failed; retrying on the next tick');
        }
      } while (again && !stopped);
    })().finally(() => {
      current = null;
    });
    return current;
  };

  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();
  void flush();

  return {
    flush,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      // A publish stuck on an unreachable bus must not hold shutdown; the row stays unpublished.
      await Promise.race([current, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    },
  };
}
