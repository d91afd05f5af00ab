/**
 * Instants stored in the nutrition database read back exactly as written, whatever the year and
 * whatever the session's TimeZone (service-kit timestamps.ts), where Drizzle's own timestamp
 * column reads year 1 as 2001 and PostgreSQL's local-mean-time offsets as no date at all.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '@fitgraph/testkit';
import { schema } from '../src/server';

const { foods, mealEntries } = schema;

/** The same table read through Drizzle's own `timestamp` column, to show what the custom column is for. */
const mealEntriesAsDrizzleReads = pgTable('meal_entries', { id: uuid('id').primaryKey(), eatenAt: timestamp('eaten_at', { withTimezone: true }) });

const instants = [
  '0001-01-01T00:00:00.000Z',
  '0049-12-31T23:59:59.999Z',
  '0099-06-15T12:00:00.000Z',
  '0999-03-01T08:30:00.250Z',
  '1000-01-01T00:00:00.000Z',
  '1899-12-31T23:59:59.999Z',
  '1900-01-01T00:00:00.000Z',
  '1969-12-31T23:59:59.999Z',
  '2024-02-29T23:59:59.999Z',
  '2100-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.999Z',
];

describe(`stored instants read back exactly (${backends.database})`, () => {
  let db: TestDatabase<typeof schema>;
  let foodId: string;
  const userId = randomUUID();
  const ids = new Map<string, string>();

  beforeAll(async () => {
    db = await openTestDatabase('nutrition', schema);
    [{ id: foodId }] = await db.db
      .insert(foods)
      .values({ name: 'Test oats', kcalPer100g: 379, proteinPer100g: 13.2, carbsPer100g: 67.7, fatPer100g: 6.5 })
      .returning({ id: foods.id }) as [{ id: string }];
    for (const at of instants) {
      const [row] = await db.db.insert(mealEntries).values({ userId, foodId, grams: 10, eatenAt: new Date(at) }).returning();
      expect(row!.eatenAt.toISOString(), `returning ${at}`).toBe(at);
      ids.set(at, row!.id);
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it('reads every instant back as written, years 1 to 9999', async () => {
    for (const at of instants) {
      const [row] = await db.db.select().from(mealEntries).where(eq(mealEntries.id, ids.get(at)!));
      expect(row!.eatenAt.toISOString()).toBe(at);
    }
  });

  it.each(['Europe/Amsterdam', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Kiritimati'])(
    'reads them back as written when the session TimeZone is %s (offsets with minutes and seconds)',
    async (zone) => {
      const read = await db.db.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local time zone '${zone}'`));
        return tx.select({ id: mealEntries.id, eatenAt: mealEntries.eatenAt }).from(mealEntries).where(eq(mealEntries.userId, userId));
      });
      const byId = new Map(read.map((row) => [row.id, row.eatenAt.toISOString()]));
      for (const at of instants) expect(byId.get(ids.get(at)!), `${at} in ${zone}`).toBe(at);
    },
  );

  it("is what Drizzle's own timestamp column gets wrong (years below 100; local mean time offsets)", async () => {
    const [year1] = await db.db.select().from(mealEntriesAsDrizzleReads).where(eq(mealEntriesAsDrizzleReads.id, ids.get('0001-01-01T00:00:00.000Z')!));
    expect(year1!.eatenAt!.toISOString()).toBe('2001-01-01T00:00:00.000Z');
    const id1900 = ids.get('1900-01-01T00:00:00.000Z')!;
    const [printed, read] = await db.db.transaction(async (tx) => {
      await tx.execute(sql.raw(`set local time zone 'Europe/Amsterdam'`));
      const [text] = await tx.select({ text: sql<string>`${mealEntries.eatenAt}::text` }).from(mealEntries).where(eq(mealEntries.id, id1900));
      const [row] = await tx.select().from(mealEntriesAsDrizzleReads).where(eq(mealEntriesAsDrizzleReads.id, id1900));
      return [text!.text, row!.eatenAt!] as const;
    });
    // PostgreSQL prints Amsterdam's local mean time (+00:19:32); PGlite's smaller zone data may not.
    if (/[+-]\d\d:\d\d:\d\d$/.test(printed)) expect(Number.isNaN(read.getTime()), printed).toBe(true);
  });
});
