/**
 * Transactional outbox for durable events (events.ts), for any service that produces them:
 * `enqueueEvent(tx, topic, payload)` writes the event in the same transaction as the change it
 * announces; `startOutboxRelay` publishes unpublished rows to the bus right after a commit
 * (`flush()`) and on a timer for whatever an earlier attempt could not publish (bus down,
 * process crashed after the commit). A row is marked published only after the bus took it; a
 * crash in between publishes it again with the same id, which consumers deduplicate.
 *
 * A producing service re-exports {@link eventOutbox} from its Drizzle schema, so its own
 * migrations create the table: one definition, the same table in every producing database.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { AnyDatabase } from './db';
import type { EventBus } from './events';
import { startBatchRelay } from './batch-relay';
import type { Logger } from './logger';

export const eventOutbox = pgTable(
  'event_outbox',
  {
    /** The event id consumers deduplicate on. */
    id: uuid('id').primaryKey().defaultRandom(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true }),
  },
  (table) => [index('event_outbox_unpublished_idx').on(table.createdAt).where(sql`${table.publishedAt} is null`)],
);

/**
 * Records `payload` for `topic` in the caller's transaction; published after it commits. An
 * application wraps this with its own topic map for type-checked payloads.
 */
export async function enqueueOutboxEvent(tx: AnyDatabase, topic: string, payload: unknown): Promise<void> {
  await tx.insert(eventOutbox).values({ topic, payload });
}

export interface OutboxRelay {
  /** Publishes every unpublished row; never throws (failures are logged and retried later). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const batchSize = 100;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function startOutboxRelay(db: AnyDatabase, events: EventBus<any>, logger: Logger, intervalMs = 5000): OutboxRelay {
  const publishBatch = () =>
    db.transaction(async (tx) => {
      // SKIP LOCKED: replicas relaying at once take different rows.
      const rows = await tx
        .select()
        .from(eventOutbox)
        .where(isNull(eventOutbox.publishedAt))
        .orderBy(asc(eventOutbox.createdAt))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      for (const row of rows) {
        const event = await events.publish(row.topic, row.payload, { id: row.id, occurredAt: row.createdAt });
        await tx
          .update(eventOutbox)
          .set({ publishedAt: new Date() })
          .where(and(eq(eventOutbox.id, row.id), isNull(eventOutbox.publishedAt)));
        logger.info({ eventId: event.id, topic: event.topic }, 'event published');
      }
      return rows.length;
    });
  // A publish stuck on an unreachable bus must not hold shutdown; the row stays unpublished.
  const { flush, stop } = startBatchRelay({ what: 'events', relayBatch: publishBatch, batchSize, intervalMs, logger });
  return { flush, stop };
}
