import { ilike, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/** Helpers for DataLoader batch functions: one SQL statement in, results in key order out. */

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids that can exist in a uuid column; anything else would make PostgreSQL raise an error. */
export const isUuid = (value: string): boolean => uuidPattern.test(value);
export const onlyUuids = (ids: readonly string[]): string[] => ids.filter(isUuid);

/** One row (or null) per key, in key order. */
export function byKey<TRow>(keys: readonly string[], rows: TRow[], keyOf: (row: TRow) => string): (TRow | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

/** All rows per key (in the order the rows came), in key order. */
export function groupByKey<TRow>(keys: readonly string[], rows: TRow[], keyOf: (row: TRow) => string): TRow[][] {
  const groups = new Map<string, TRow[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return keys.map((key) => groups.get(key) ?? []);
}

/** For references the database guarantees (foreign keys): a missing row is a bug, not user input. */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`${what} is missing`);
  return value;
}

/** An ILIKE pattern matching `search` anywhere, with LIKE's wildcards escaped. */
export const containsPattern = (search: string): string => `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** WHERE condition for an optional case-insensitive "name contains" search; none when blank. */
export const nameContains = (column: AnyPgColumn, search: string | null | undefined): SQL | undefined =>
  search?.trim() ? ilike(column, containsPattern(search.trim())) : undefined;

/**
 * `column = any($placeholder::<type>[])`: the same SQL text for any number of keys (`inArray`
 * writes one parameter per key), so a loader's statement is built once (`.prepare()`) and the
 * driver's prepared statement is reused whatever the batch size. Execute with a string array.
 */
export const anyOf = (column: AnyPgColumn, placeholder: string, type: 'uuid' | 'text'): SQL =>
  sql`${column} = any(${sql.placeholder(placeholder)}::${sql.raw(type)}[])`;

/**
 * Something made once per database and then reused (a loader module's prepared statements):
 * building a Drizzle query costs more CPU than running its prepared form, and loaders are made
 * per request.
 */
export function perDatabase<TDatabase extends object, T>(make: (db: TDatabase) => T): (db: TDatabase) => T {
  const made = new WeakMap<TDatabase, T>();
  return (db) => {
    let value = made.get(db);
    if (value === undefined) {
      value = make(db);
      made.set(db, value);
    }
    return value;
  };
}
