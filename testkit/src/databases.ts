import postgres from 'postgres';
import { databaseTargetOf, migrationsFolder, type SubgraphName } from '@fitgraph/platform';
import { dropDatabase, openDatabase, type OpenedDatabase } from '@fitgraph/service-kit';
import { uniqueDatabasePrefix } from './env';
import { testScope } from './scope';

/** Drops every database whose name starts with `prefix` (a test's own). */
export async function dropDatabasesWithPrefix(serverUrl: string, prefix: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ datname: string }[]>`select datname from pg_database where starts_with(datname, ${prefix})`;
    for (const { datname } of rows) await dropDatabase(serverUrl, datname);
  } finally {
    await sql.end();
  }
}

export interface TestDatabase<TSchema extends Record<string, unknown>> extends OpenedDatabase<TSchema> {
  /** SQL statements run so far (when opened with `countQueries`). */
  queries: string[];
}

/**
 * A migrated database for one subgraph test: its own PostgreSQL database when DATABASE_URL is
 * set (dropped by `close()` or at the end of the test file), in-memory PGlite otherwise. Every
 * statement is recorded in `queries`.
 */
export async function openTestDatabase<TSchema extends Record<string, unknown>>(
  subgraph: SubgraphName,
  schema: TSchema,
): Promise<TestDatabase<TSchema>> {
  const prefix = uniqueDatabasePrefix();
  const serverUrl = process.env.DATABASE_URL;
  const target = databaseTargetOf(subgraph, { DATABASE_URL: serverUrl, DATABASE_NAME_PREFIX: prefix, PGLITE_DIR: 'memory' });
  const queries: string[] = [];
  const opened = await openDatabase({ schema, migrationsFolder: migrationsFolder(subgraph), target, onQuery: (sql) => queries.push(sql) });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await opened.close();
      if (serverUrl) await dropDatabasesWithPrefix(serverUrl, prefix);
    })());
  testScope.defer(close);
  return { ...opened, queries, close };
}
