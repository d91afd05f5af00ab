/**
 * Per-subject daily quotas: how many things of one kind a subject (an account) may create per
 * UTC day, counted in the creating transaction so the bound holds under concurrency and a
 * rolled-back creation counts nothing.
 *
 * One row per subject and kind holds the day and the count so far: an
 * `INSERT … ON CONFLICT DO UPDATE … WHERE used < limit` takes the row's lock, so concurrent
 * creations of one subject queue on it and each sees the count the previous one committed; the
 * first of a new day starts again at 1. The day is the database's clock in UTC, the same for
 * every replica. A count is of creations, not of what is kept: deleting does not give one back.
 */
import { eq, sql } from 'drizzle-orm';
import { date, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { GraphQLError } from 'graphql';
import type { AnyDatabase } from './db';
import { ErrorCode } from './errors';

/** The quota table, defined in the counting service's Drizzle schema so its migrations create it. */
export const dailyQuotaTable = <TName extends string>(name: TName) =>
  pgTable(
    name,
    {
      subjectId: uuid('subject_id').notNull(),
      /** What is counted, e.g. `meals`. */
      kind: text('kind').notNull(),
      /** The UTC day `used` counts. */
      day: date('day', { mode: 'string' }).notNull(),
      used: integer('used').notNull(),
    },
    (table) => [primaryKey({ columns: [table.subjectId, table.kind] })],
  );
export type DailyQuotaTable = ReturnType<typeof dailyQuotaTable>;

export interface DailyQuota {
  /** What is counted, plural, as the client reads it in the refusal (`meals`, `workout sets`). */
  kind: string;
  /** Creations allowed per subject per UTC day (at least 1). */
  limit: number;
}

const secondsPerDay = 24 * 60 * 60;

/**
 * RATE_LIMITED: `extensions.limit` (per UTC day), `extensions.quota` (the kind) and
 * `extensions.retryAfter` (whole seconds until 00:00 UTC, when the count starts again).
 */
export function dailyQuotaExceeded(quota: DailyQuota, now = new Date()): GraphQLError {
  const retryAfter = Math.max(1, Math.ceil(secondsPerDay - (now.getTime() / 1000) % secondsPerDay));
  return new GraphQLError(`Daily limit reached: at most ${quota.limit} ${quota.kind} per day (UTC); try again after 00:00 UTC`, {
    extensions: { code: ErrorCode.RateLimited, retryAfter, limit: quota.limit, quota: quota.kind },
  });
}

/**
 * Counts one creation of `quota.kind` by `subjectId` today, in `tx` (the transaction that
 * creates it); {@link dailyQuotaExceeded} when today's count has reached the limit. Call it last
 * before the insert: the subject's row stays locked until `tx` ends.
 */
export async function consumeDailyQuota(tx: AnyDatabase, table: DailyQuotaTable, subjectId: string, quota: DailyQuota): Promise<void> {
  const today = sql`(now() at time zone 'UTC')::date`;
  const counted = await tx
    .insert(table)
    .values({ subjectId, kind: quota.kind, day: today, used: 1 })
    .onConflictDoUpdate({
      target: [table.subjectId, table.kind],
      set: { day: sql`excluded.day`, used: sql`case when ${table.day} = excluded.day then ${table.used} + 1 else 1 end` },
      setWhere: sql`${table.day} <> excluded.day or ${table.used} < ${quota.limit}`,
    })
    .returning({ used: table.used });
  if (counted.length === 0) throw dailyQuotaExceeded(quota);
}

/** Forgets a subject's counts (account deletion). */
export async function forgetDailyQuotas(tx: AnyDatabase, table: DailyQuotaTable, subjectId: string): Promise<void> {
  await tx.delete(table).where(eq(table.subjectId, subjectId));
}
