import { existsSync, readFileSync, rmSync } from 'node:fs';
import postgres from 'postgres';
import { dropDatabase } from '@fitgraph/service-kit';
import { backends, secretsInLog } from '@fitgraph/testkit';

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

/**
 * Issue 9's rule for the whole suite: no log line of any service a test ran in-process (they log
 * at `info` into the run's file, see testkit logs.ts) shows an email, a JWT, a password hash, SQL
 * parameters or the DEV-ONLY demo password. Fails the run (exit code 1) with the first findings.
 */
function scanRunLogs(): void {
  const file = process.env.FITGRAPH_TEST_LOG_FILE;
  if (!file || !existsSync(file)) return;
  const log = readFileSync(file, 'utf8');
  rmSync(file, { force: true });
  const findings = secretsInLog(log, ['fitgraph-demo-password']);
  const lines = log.split('\n').filter(Boolean).length;
  if (findings.length > 0) {
    console.error(`Secrets in the suite's logs (${findings.length} of ${lines} lines):\n${findings.slice(0, 10).map((f) => `  ${f.what}: ${f.line}`).join('\n')}`);
    // vitest reports an error thrown here but still exits 0; the run must fail.
    process.exitCode = 1;
    return;
  }
  console.log(`FitGraph tests: ${lines} log lines scanned, no secret in any`);
}

/** Says once per run which storage and pub/sub the tests exercise; scans the run's logs at the end. */
export default async function setup(): Promise<(() => void) | void> {
  // Each vitest project runs the global setup; do it once.
  if (process.env.FITGRAPH_BACKENDS_PRINTED) return;
  process.env.FITGRAPH_BACKENDS_PRINTED = '1';
  if (process.env.DATABASE_URL) await dropStaleTestDatabases(process.env.DATABASE_URL);
  const database = backends.database === 'postgres' ? `PostgreSQL (${redact(process.env.DATABASE_URL!)})` : 'embedded PGlite (in memory)';
  const pubsub = backends.pubsub === 'redis' ? `Redis (${redact(process.env.REDIS_URL!)})` : 'in-process pub/sub';
  console.log(`\nFitGraph tests: storage = ${database}; pub/sub = ${pubsub}\n`);
  return scanRunLogs;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
