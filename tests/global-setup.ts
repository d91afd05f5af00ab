import postgres from 'postgres';
import { dropDatabase } from '@fitgraph/service-kit';
import { backends } from '@fitgraph/testkit';

/** Test databases are `fgt_<base36 ms timestamp><6 hex>_…`; this many ms old means a killed run left them. */
const staleAfterMs = 3 * 60 * 60 * 1000;

/** Drops test databases that runs killed before their own cleanup (never a running run's). */
async function dropStaleTestDatabases(serverUrl: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ datname: string }[]>`select datname from pg_database where datname like 'fgt\_%'`;
    for (const { datname } of rows) {
      const stamp = /^fgt_([0-9a-z]+)[0-9a-f]{6}_/.exec(datname)?.[1];
      if (stamp && Date.now() - parseInt(stamp, 36) > staleAfterMs) await dropDatabase(serverUrl, datname);
    }
  } finally {
    await sql.end();
  }
}

/** Says once per run which storage and pub/sub the tests exercise. */
export default async function setup(): Promise<void> {
  // Each vitest project runs the global setup; do it once.
  if (process.env.FITGRAPH_BACKENDS_PRINTED) return;
  process.env.FITGRAPH_BACKENDS_PRINTED = '1';
  if (process.env.DATABASE_URL) await dropStaleTestDatabases(process.env.DATABASE_URL);
  const database = backends.database === 'postgres' ? `PostgreSQL (${redact(process.env.DATABASE_URL!)})` : 'embedded PGlite (in memory)';
  const pubsub = backends.pubsub === 'redis' ? `Redis (${redact(process.env.REDIS_URL!)})` : 'in-process pub/sub';
  console.log(`\nFitGraph tests: storage = ${database}; pub/sub = ${pubsub}\n`);
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
