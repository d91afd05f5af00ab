import { backends } from '@fitgraph/testkit';

/** Says once per run which storage and pub/sub the tests exercise. */
export default function setup(): void {
  // Each vitest project runs the global setup; say it once.
  if (process.env.FITGRAPH_BACKENDS_PRINTED) return;
  process.env.FITGRAPH_BACKENDS_PRINTED = '1';
  const database = backends.database === 'postgres' ? `PostgreSQL (${redact(process.env.DATABASE_URL!)})` : 'embedded PGlite (in memory)';
  const pubsub = backends.pubsub === 'redis' ? `Redis (${redact(process.env.REDIS_URL!)})` : 'in-process pub/sub';
  console.log(`\nFitGraph tests: storage = ${database}; pub/sub = ${pubsub}\n`);
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
