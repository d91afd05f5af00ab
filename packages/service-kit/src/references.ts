/**
 * Ids that point into another subgraph's data (a user's home gym, a set's machine, conversation
 * members) are checked before they are stored, so no stored row points at nothing.
 *
 * Design: the owning subgraph announces every id it creates with a durable event (events.ts,
 * from its transactional outbox: `user.created`, `gym.created`, `machine.created`; seeded rows
 * and rows that existed before the announcement was introduced included) and deletions
 * (`user.deleted`). Each referencing subgraph keeps a small replica table of the known ids in its
 * own database, filled by its event handlers. A mutation checks its ids against that table:
 * no synchronous call to the owner (a subgraph keeps working while another is down, and a
 * subgraph started alone in a test is fed by publishing the owner's events), one indexed lookup
 * per mutation, and the check can run in the mutation's own transaction with the replica rows
 * locked (`FOR SHARE`), so a deletion handled at the same time either waits for the mutation
 * and then cleans up after it, or is seen by it.
 *
 * The replica trails the owner by one event hop (milliseconds): a client that creates something
 * and uses its id right away (sign up, then be added to a conversation) could outrun it. So an
 * id not yet known is looked up again for a short while ({@link referenceCatchUpMs}) before the
 * mutation is refused; only unknown ids pay that wait.
 */
import { and, inArray, isNull } from 'drizzle-orm';
import { pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { AnyDatabase } from './db';
import { badUserInput } from './errors';
import { onlyUuids } from './loaders';

/** How long an id not (yet) in the replica is waited for before it counts as unknown. */
export const referenceCatchUpMs = 2000;
const pollMs = 25;

export interface KnownIdsCheck {
  /** The GraphQL input path the ids came from, e.g. `input.homeGymId` or `memberIds`. */
  field: string;
  /** What they should name, e.g. `gym`, `machine`, `user`. */
  what: string;
  /** Which of `ids` the replica knows (one query for all of them). */
  known(ids: string[]): Promise<string[]>;
  /** Wait this long for ids not known yet (default {@link referenceCatchUpMs}); 0 inside a transaction. */
  waitMs?: number;
}

/** Resolves when every id is known; BAD_USER_INPUT naming `field` and the unknown ids otherwise. */
export async function requireKnownIds(ids: readonly string[], check: KnownIdsCheck): Promise<void> {
  // uuid columns answer in lower case.
  let missing = [...new Set(ids.map((id) => id.toLowerCase()))];
  const deadline = Date.now() + (check.waitMs ?? referenceCatchUpMs);
  for (;;) {
    if (missing.length === 0) return;
    const found = new Set(await check.known(missing));
    missing = missing.filter((id) => !found.has(id));
    if (missing.length === 0) return;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const listed = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, … (${missing.length} in all)` : '');
  throw badUserInput(`${check.field}: no ${check.what} with id ${listed}`, check.field);
}

/**
 * A replica table of ids owned by another subgraph (e.g. `known_users` in chat), defined in the
 * referencing subgraph's Drizzle schema so its migrations create it. Another database than the
 * owner's, so no foreign key: the events keep it in step.
 */
export const knownIdsTable = <TName extends string>(name: TName) =>
  pgTable(name, {
    id: uuid('id').primaryKey(),
    knownSince: timestamp('known_since', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Set when the owner deleted it. The row stays as a tombstone: creations and deletions travel
     * on different topics, so a late `*.created` must not bring a deleted id back.
     */
    forgottenAt: timestamp('forgotten_at', { withTimezone: true }),
  });
export type KnownIdsTable = ReturnType<typeof knownIdsTable>;

/** Records ids announced by their owner (idempotent: events may arrive twice). */
export async function rememberKnownIds(tx: AnyDatabase, table: KnownIdsTable, ids: readonly string[]): Promise<void> {
  const valid = onlyUuids(ids);
  if (valid.length > 0) await tx.insert(table).values(valid.map((id) => ({ id }))).onConflictDoNothing();
}

/**
 * Forgets ids whose owner deleted them (a tombstone, also when the id was never known); run it
 * first in the handler's transaction, so a mutation holding the row locked is waited for.
 */
export async function forgetKnownIds(tx: AnyDatabase, table: KnownIdsTable, ids: readonly string[]): Promise<void> {
  const valid = onlyUuids(ids);
  if (valid.length === 0) return;
  const forgottenAt = new Date();
  await tx
    .insert(table)
    .values(valid.map((id) => ({ id, forgottenAt })))
    .onConflictDoUpdate({ target: table.id, set: { forgottenAt } });
}

/**
 * Which of `ids` `table` knows; with `lock`, the rows stay locked (FOR SHARE) until the
 * transaction ends, so a concurrent deletion of one of them waits for it.
 */
export async function knownIdsIn(db: AnyDatabase, table: KnownIdsTable, ids: readonly string[], { lock = false } = {}): Promise<string[]> {
  const valid = onlyUuids(ids);
  if (valid.length === 0) return [];
  const query = db.select({ id: table.id }).from(table).where(and(inArray(table.id, valid), isNull(table.forgottenAt)));
  const rows = lock ? await query.for('share') : await query;
  return rows.map((row) => row.id);
}

/**
 * The usual check of a mutation storing references: first outside any transaction, waiting for
 * the replica to catch up; then `inTransaction` (call it in the storing transaction) re-checks
 * with the rows locked, without waiting.
 */
export function knownIdsCheck(table: KnownIdsTable, field: string, what: string) {
  return {
    /** Waits up to {@link referenceCatchUpMs} for ids not known yet. */
    beforeTransaction: (db: AnyDatabase, ids: readonly string[]) =>
      requireKnownIds(ids, { field, what, known: (missing) => knownIdsIn(db, table, missing) }),
    /** Locks the known rows until `tx` ends; refuses at once when one went meanwhile. */
    inTransaction: (tx: AnyDatabase, ids: readonly string[]) =>
      requireKnownIds(ids, { field, what, waitMs: 0, known: (missing) => knownIdsIn(tx, table, missing, { lock: true }) }),
  };
}
