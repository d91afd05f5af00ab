/**
 * `pnpm bench [--duration 20] [--warmup 5] [--connections 20]`: throughput, latency and memory of
 * the supergraph, printed as tables. Starts the whole stack as a separate process (embedded
 * default, or the real servers when DATABASE_URL / REDIS_URL are set), drives it with autocannon
 * from this process, and reads the stack's resident memory idle and after load.
 * Targets and peer baselines (../shared/PLATFORM-NOTES.md) are for comparison, not assertions.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { envPrefix, repoRoot, subgraphNames } from '@fitgraph/service-kit';
import { dropDatabasesWithPrefix, freePort, generatedAuthEnv, graphqlData, startProcess, uniqueDatabasePrefix } from '@fitgraph/testkit';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
  },
});
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const connections = Number(values.connections);

const ports: Record<string, string> = { PORT: String(await freePort()) };
for (const name of subgraphNames) ports[`${envPrefix(name)}_SUBGRAPH_PORT`] = String(await freePort());
const prefix = uniqueDatabasePrefix();
const env = { ...process.env, ...ports, ...generatedAuthEnv(), LOG_LEVEL: 'warn', NODE_ENV: 'production', PGLITE_DIR: 'memory', DATABASE_NAME_PREFIX: prefix };
process.stderr.write('bench: starting the stack ...\n');
const stack = await startProcess('node --import tsx scripts/start-dev.ts', { cwd: repoRoot, env, ready: /Apollo Sandbox: (\S+)/ });
const gatewayUrl = /Apollo Sandbox: (\S+)/.exec(stack.output())![1]!;
const gymSubgraphUrl = `http://127.0.0.1:${ports.GYM_SUBGRAPH_PORT}/graphql`;

const rssMiB = () => {
  const status = readFileSync(`/proc/${stack.child.pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
};

const gymId = (await graphqlData<{ gyms: { id: string }[] }>(gatewayUrl, '{ gyms { id } }')).gyms[0]!.id;
const scenarios = [
  {
    name: 'one subgraph via gateway',
    url: gatewayUrl,
    query: `{ gym(id: "${gymId}") { name machines { id name kind status } } }`,
  },
  {
    name: 'two subgraphs via gateway',
    url: gatewayUrl,
    query: `{ gyms { name machines { name gym { name } } } alex: user(id: "6a1b0c9e-0005-4000-8000-000000000001") { displayName homeGym { name machines { name } } } }`,
  },
  {
    name: 'gym subgraph directly',
    url: gymSubgraphUrl,
    query: `{ gym(id: "${gymId}") { name machines { id name kind status } } }`,
  },
];

async function load(url: string, query: string, seconds: number) {
  return autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
}

const idleRss = rssMiB();
const rows: Record<string, string | number>[] = [];
for (const scenario of scenarios) {
  process.stderr.write(`bench: ${scenario.name} ...\n`);
  await graphqlData(scenario.url, scenario.query); // fails loudly if the query is wrong
  if (warmup > 0) await load(scenario.url, scenario.query, warmup);
  const result = await load(scenario.url, scenario.query, duration);
  rows.push({
    scenario: scenario.name,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'non-2xx': result.non2xx,
    errors: result.errors,
  });
}
const loadedRss = rssMiB();
await stack.stop();
if (process.env.DATABASE_URL) await dropDatabasesWithPrefix(process.env.DATABASE_URL, prefix);

console.log(`\nFitGraph bench: ${connections} connections, ${duration}s per scenario after ${warmup}s warm-up; storage: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; whole stack in one process\n`);
console.table(rows);
console.table([{ 'stack RSS idle (MiB)': idleRss, 'stack RSS after load (MiB)': loadedRss }]);
console.log('Peer baselines on this kind of machine (PLATFORM-NOTES): Apollo Gateway two-subgraph ≈ 480–510 req/s, one-subgraph ≈ 960–990 req/s (separate processes, in-memory subgraphs).');
