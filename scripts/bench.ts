/**
 * `pnpm bench [--duration 20] [--warmup 5] [--connections 20]`: throughput, latency and memory of
 * the supergraph, printed as tables. Every service runs as its own process, as in production
 * (the embedded default, or the real servers when DATABASE_URL / REDIS_URL are set); autocannon
 * drives them from this process; resident memory is read from /proc idle and after load.
 * Peer baselines (../shared/PLATFORM-NOTES.md) are printed for comparison, never asserted.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { envPrefix, subgraphNames, type SubgraphName } from '@fitgraph/platform';
import {
  demoAdmin,
  dropDatabasesWithPrefix,
  generatedAuthEnv,
  graphqlData,
  startServiceProcess,
  uniqueDatabasePrefix,
  signUpUser,
  type ServiceProcess,
} from '@fitgraph/testkit';

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

const prefix = uniqueDatabasePrefix();
const env: NodeJS.ProcessEnv = {
  ...generatedAuthEnv(),
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
  PGLITE_DIR: 'memory',
  DATABASE_NAME_PREFIX: prefix,
  REDIS_KEY_PREFIX: `fitgraph-bench:${prefix}:`,
  // DEV-ONLY demo password, so the seeded ADMIN can grant the bench's GYM_STAFF role.
  DEMO_PASSWORD: demoAdmin.password,
  // The bench signs up 51 members from one address.
  SIGN_UP_MAX_PER_IP: '1000',
  // Throughput, not per-client budgets (every bench client is one IP or a few users).
  RATE_LIMIT_ENABLED: 'false',
};

process.stderr.write('bench: starting five subgraphs and the gateway as separate processes ...\n');
const subgraphs = {} as Record<SubgraphName, ServiceProcess>;
for (const name of subgraphNames) subgraphs[name] = await startServiceProcess(name, env);
const gateway = await startServiceProcess('gateway', {
  ...env,
  ...Object.fromEntries(subgraphNames.map((name) => [`${envPrefix(name)}_SUBGRAPH_URL`, subgraphs[name].url])),
});
const services = [gateway, ...Object.values(subgraphs)];

const rssMiB = (service: ServiceProcess) =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${service.pid()}/status`, 'utf8'))![1]) / 1024);
const memory = () => Object.fromEntries(services.map((s) => [s.service, rssMiB(s)]));

// The peers' scenario: one gym with 50 machines in use, each machine's user from the user subgraph.
process.stderr.write('bench: 50 members claim 50 new machines in one gym ...\n');
const benchGymId = (await graphqlData<{ gyms: { id: string }[] }>(gateway.url, '{ gyms { id } }')).gyms[0]!.id;
const staff = await signUpUser(gateway.url, { role: 'GYM_STAFF' });
for (let batch = 0; batch < 5; batch += 1) {
  await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const { addMachine } = await graphqlData(
        gateway.url,
        'mutation($gymId: ID!, $name: String!) { addMachine(gymId: $gymId, name: $name, kind: "BENCH") { machine { id } } }',
        { token: staff.accessToken, variables: { gymId: benchGymId, name: `Bench machine ${batch * 10 + i + 1}` } },
      );
      const member = await signUpUser(gateway.url);
      await graphqlData(gateway.url, 'mutation($id: ID!) { claimMachine(machineId: $id) { id } }', {
        token: member.accessToken,
        variables: { id: addMachine.machine.id },
      });
    }),
  );
}
const gymQuery = `{ gym(id: "${benchGymId}") { name machines { id name kind status } } }`;
const scenarios = [
  { name: 'one subgraph via gateway', url: gateway.url, query: gymQuery },
  {
    name: 'two subgraphs via gateway',
    url: gateway.url,
    query: `{ gym(id: "${benchGymId}") { name machines { name status currentUser { displayName } } } }`,
  },
  { name: 'gym subgraph directly', url: subgraphs.gym.url, query: gymQuery },
];

const load = (url: string, query: string, seconds: number) =>
  autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });

const idle = memory();
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
const loaded = memory();
await Promise.all(services.map((service) => service.stop()));
if (process.env.DATABASE_URL) await dropDatabasesWithPrefix(process.env.DATABASE_URL, prefix);

const storage = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite in memory';
console.log(`\nFitGraph bench: ${connections} connections, ${duration}s per scenario after ${warmup}s warm-up; ${storage}; one process per service\n`);
console.table(rows);
console.table(services.map((s) => ({ service: s.service, 'RSS idle MiB': idle[s.service], 'RSS after load MiB': loaded[s.service] })));
console.log(
  'Peer baselines on this kind of machine (PLATFORM-NOTES; in-memory subgraphs): Apollo Gateway two-subgraph ≈ 480–510 req/s, ' +
    'one-subgraph ≈ 960–990 req/s, subgraph directly ≈ 3250–3460 req/s; Apollo Gateway idle ≈ 118 MiB.',
);
