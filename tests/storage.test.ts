/** Each subgraph owns its database; migrations and seed are idempotent on PGlite and PostgreSQL. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseTargetOf, loadSubgraphConfig, migrationsFolder, seedOptionsOf, subgraphNames, type AnySubgraphDefinition } from '@fitgraph/platform';
import { openDatabase, type Database, type DatabaseTarget } from '@fitgraph/service-kit';
import { allSubgraphs } from '@fitgraph/stack';
import { dropDatabasesWithPrefix, uniqueDatabasePrefix } from '@fitgraph/testkit';

const serverUrl = process.env.DATABASE_URL;

async function rowCounts(db: Database<Record<string, unknown>>, schema: Record<string, unknown>) {
  const counts: Record<string, number> = {};
  for (const table of Object.values(schema)) {
    if (!is(table, PgTable)) continue;
    const [row] = await db.select({ n: count() }).from(table);
    counts[getTableName(table)] = row!.n;
  }
  return counts;
}

/** Opens (migrating), seeds, counts, closes: what one service start does to its database. */
async function startOnce(definition: AnySubgraphDefinition, target: DatabaseTarget) {
  const database = await openDatabase({ schema: definition.dbSchema, migrationsFolder: migrationsFolder(definition.name), target });
  try {
    await definition.seed(database.db, seedOptionsOf(loadSubgraphConfig(definition, {})));
    return await rowCounts(database.db, definition.dbSchema);
  } finally {
    await database.close();
  }
}

describe('embedded PGlite persisted on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fitgraph-pglite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(allSubgraphs.map((d) => [d.name, d] as const))('%s: a restart keeps data, re-migrates and re-seeds without duplicates', async (_name, definition) => {
    const target = databaseTargetOf(definition.name, { DATABASE_NAME_PREFIX: 'unused_', PGLITE_DIR: dir });
    expect(target).toEqual({ kind: 'pglite', dataDir: join(dir, definition.name) });
    const first = await startOnce(definition, target);
    const second = await startOnce(definition, target);
    expect(second).toEqual(first);
  });

  it('seeds the demo catalogue', async () => {
    const counts = Object.assign(
      {},
      ...(await Promise.all(
        allSubgraphs.map((d) => startOnce(d, databaseTargetOf(d.name, { DATABASE_NAME_PREFIX: 'x_', PGLITE_DIR: dir }))),
      )),
    );
    expect(counts.gyms).toBeGreaterThanOrEqual(2);
    expect(counts.machines).toBeGreaterThanOrEqual(16);
    expect(counts.exercises).toBeGreaterThanOrEqual(30);
    expect(counts.foods).toBeGreaterThanOrEqual(60);
    expect(counts.users).toBeGreaterThanOrEqual(2);
  });
});

describe.runIf(serverUrl)('PostgreSQL: a database per subgraph', () => {
  const prefix = uniqueDatabasePrefix();
  const env = { DATABASE_URL: serverUrl, DATABASE_NAME_PREFIX: prefix, PGLITE_DIR: 'memory' };
  afterAll(async () => {
    await dropDatabasesWithPrefix(serverUrl!, prefix);
  });

  it('creates each database on first start; a second start changes nothing', async () => {
    for (const definition of allSubgraphs) {
      const target = databaseTargetOf(definition.name, env);
      const first = await startOnce(definition, target);
      const second = await startOnce(definition, target);
      expect(second, definition.name).toEqual(first);
    }
    const sql = postgres(serverUrl!, { max: 1 });
    try {
      const rows = await sql<{ datname: string }[]>`select datname from pg_database where starts_with(datname, ${prefix}) order by 1`;
      expect(rows.map((r) => r.datname)).toEqual(subgraphNames.map((n) => `${prefix}${n}`).sort());
    } finally {
      await sql.end();
    }
  });

  it("keeps each subgraph's tables in its own database only", async () => {
    const tablesOf = async (name: string) => {
      const url = new URL(serverUrl!);
      url.pathname = `/${prefix}${name}`;
      const sql = postgres(url.toString(), { max: 1 });
      try {
        const rows = await sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public'`;
        return rows.map((r) => r.table_name);
      } finally {
        await sql.end();
      }
    };
    const gymTables = await tablesOf('gym');
    const userTables = await tablesOf('user');
    expect(gymTables).toContain('machines');
    expect(gymTables).not.toContain('users');
    expect(userTables).toContain('users');
    expect(userTables).not.toContain('machines');
  });

  it('honours a per-subgraph URL over DATABASE_URL', () => {
    const own = 'postgres://postgres@127.0.0.1:5432/somewhere_else';
    expect(databaseTargetOf('gym', { ...env, GYM_DATABASE_URL: own })).toMatchObject({ kind: 'postgres', url: own, databaseName: 'somewhere_else' });
  });
});
