import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Logger as DrizzleLogger } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { instrumentPglite, instrumentPostgres, queryObserver } from './db-instrumentation';
import type { DatabaseMetrics } from './metrics';

/** A Drizzle database over either driver (PostgreSQL via postgres.js, or embedded PGlite); callers never care which. */
export type Database<TSchema extends Record<string, unknown>> = PgDatabase<PgQueryResultHKT, TSchema>;
/** Any schema's database, for tables every producing/consuming database has (outbox, processed events). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDatabase = Database<any>;

export interface OpenDatabaseOptions<TSchema extends Record<string, unknown>> {
  /** The Drizzle schema (tables and relations). */
  schema: TSchema;
  /** The drizzle-kit migration folder applied on open. */
  migrationsFolder: string;
  /** Where to connect. */
  target: DatabaseTarget;
  /** Called with the SQL of every statement (tests count them). */
  onQuery?: (sql: string) => void;
  /** Statement timings and pool size (`<prefix>db_*`, metrics.ts); SQL spans are made whenever tracing is on. */
  metrics?: DatabaseMetrics;
}

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; databaseName: string; serverUrl?: string }
  | { kind: 'pglite'; dataDir: string | null };

export interface OpenedDatabase<TSchema extends Record<string, unknown>> {
  db: Database<TSchema>;
  target: DatabaseTarget;
  /** A short description for logs, without credentials. */
  description: string;
  close(): Promise<void>;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** CREATE DATABASE if missing; safe when several replicas race to do it. */
export async function ensureDatabase(serverUrl: string, databaseName: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${databaseName}`;
    if (rows.length === 0) {
      try {
        await sql.unsafe(`create database ${quoteIdent(databaseName)}`);
      } catch (error) {
        // 42P04 duplicate_database, 23505: another replica created it first.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await sql.end();
  }
}

export async function dropDatabase(serverUrl: string, databaseName: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists ${quoteIdent(databaseName)} with (force)`);
  } finally {
    await sql.end();
  }
}

/** Opens (creating if needed) and migrates a database. */
export async function openDatabase<TSchema extends Record<string, unknown>>(
  options: OpenDatabaseOptions<TSchema>,
): Promise<OpenedDatabase<TSchema>> {
  const { schema, target, onQuery, metrics, migrationsFolder: folder } = options;
  const logger: DrizzleLogger | undefined = onQuery ? { logQuery: (query) => onQuery(query) } : undefined;

  if (target.kind === 'postgres') {
    if (target.serverUrl) await ensureDatabase(target.serverUrl, target.databaseName);
    await migratePostgresLocked(target.url, folder);
    const poolSize = 10;
    const client = instrumentPostgres(postgres(target.url, { max: poolSize, onnotice: () => {} }), queryObserver(target.databaseName, metrics));
    metrics?.poolMaxConnections.set(poolSize);
    return {
      db: drizzlePostgres(client, { schema, logger }) as unknown as Database<TSchema>,
      target,
      description: `postgres database ${target.databaseName}`,
      close: () => client.end({ timeout: 5 }),
    };
  }

  if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
  const client = new PGlite(target.dataDir ?? undefined);
  const db = drizzlePglite(client, { schema, logger });
  await migratePglite(db, { migrationsFolder: folder });
  // After migrating: only the service's own statements are timed. PGlite is one connection.
  instrumentPglite(client, queryObserver(`pglite:${target.dataDir ?? 'memory'}`, metrics));
  metrics?.poolMaxConnections.set(1);
  return {
    db: db as unknown as Database<TSchema>,
    target,
    description: target.dataDir ? `PGlite at ${join(target.dataDir)}` : 'PGlite in memory',
    close: () => client.close(),
  };
}

/** Drizzle's migrator takes no lock; replicas starting together serialise on an advisory lock. */
async function migratePostgresLocked(url: string, folder: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(727274)`;
    await migratePostgres(drizzlePostgres(client), { migrationsFolder: folder });
  } finally {
    await client.end();
  }
}
