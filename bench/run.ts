/**
 * `pnpm bench [--quick] [--duration s] [--warmup s] [--concurrency 1,10,50] [--tsx] [--profile]
 * [--no-subscriptions] [--no-peers] [--ab] [--baseline-subgraphs] [--scenarios abcd] [--out file]`: FitGraph's gateway side by side with plain Apollo Gateway
 * and Hive Gateway over the same five subgraph processes and the same seeded data; then the
 * subscription fan-out bench. Writes bench/results/<date>.md (see bench/README.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { envPrefix, loadAuthConfig, repoRoot, subgraphNames, type SubgraphName } from '@fitgraph/platform';
import { createTokenSigner, deleteRedisKeys } from '@fitgraph/service-kit';
import { dropDatabasesWithPrefix, generatedAuthEnv, startServiceProcess, uniqueDatabasePrefix, type ServiceProcess } from '@fitgraph/testkit';
import { abNames, gatewayLabels, gatewayNames, startGateway, writeSupergraph, type GatewayName, type RunningBenchGateway } from './lib/gateways';
import { runLoad } from './lib/load';
import { cpuMs, rssMiB } from './lib/proc';
import { renderReport, type LoadRow } from './lib/report';
import { buildScenarios, type Scenario } from './lib/scenarios';
import { databaseTargets, fullSeed, quickSeed, seedBenchData } from './lib/seed';
import { parseFanoutCases, runFanout, type FanoutRow } from './lib/fanout';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    concurrency: { type: 'string' },
    tsx: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'no-subscriptions': { type: 'boolean', default: false },
    'no-peers': { type: 'boolean', default: false },
    ab: { type: 'boolean', default: false },
    'baseline-subgraphs': { type: 'boolean', default: false },
    fanout: { type: 'string' },
    scenarios: { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = args.quick!;
const durationMs = Number(args.duration ?? (quick ? 0.5 : 8)) * 1000;
const warmupMs = Number(args.warmup ?? (quick ? 0.1 : 2)) * 1000;
// --quick: every scenario and gateway, briefly, at 1 and 10 connections (a smoke run for the test).
const concurrencies = (args.concurrency ?? (quick ? '1,10' : '1,10,50')).split(',').map(Number);
const compiled = !args.tsx;
// A/B of subgraph changes in one run: a second set of the five subgraphs from `<package>/dist-baseline/`
// (an older commit's `pnpm build` output, copied there), on the same databases, behind a FitGraph gateway of its own.
const baselineBundle = 'dist-baseline';
if (args['baseline-subgraphs'] && !compiled) throw new Error('--baseline-subgraphs compares compiled bundles; drop --tsx');
const startedAt = Date.now();
const log = (message: string) => process.stderr.write(`bench [${((Date.now() - startedAt) / 1000).toFixed(1)} s]: ${message}\n`);

if (compiled) {
  log('pnpm build (esbuild bundles, node dist/index.js) ...');
  execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/build.ts')], { stdio: 'inherit', cwd: repoRoot });
}

const scratch = mkdtempSync(join(tmpdir(), 'fitgraph-bench-'));
const prefix = uniqueDatabasePrefix();
const storage = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'PGlite (no DATABASE_URL set; numbers are not comparable to PostgreSQL runs)';
const authEnv = { ...generatedAuthEnv(), AUTH_ACCESS_TOKEN_TTL: '7200' };
const serviceEnv: NodeJS.ProcessEnv = {
  ...authEnv,
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  DATABASE_NAME_PREFIX: prefix,
  PGLITE_DIR: join(scratch, 'pglite'),
  REDIS_KEY_PREFIX: `fitgraph-bench:${prefix}:`,
  // The fan-out bench opens 10 000 subscriptions from one client address (and one identity).
  SUBSCRIPTIONS_MAX: '20000',
  SUBSCRIPTIONS_PER_IP: '20000',
  SUBSCRIPTIONS_PER_USER: '20000',
  SUBSCRIPTIONS_CONNECTIONS_PER_IP: '20000',
  SUBSCRIPTIONS_CONNECTIONS_PER_USER: '20000',
  // Throughput, not per-client budgets: every bench client is one address or a few users.
  RATE_LIMIT_ENABLED: 'false',
  SIGN_UP_MAX_PER_IP: '100000',
  SIGN_IN_MAX_FAILURES_PER_IP: '100000',
  // The peers run any operation; so does FitGraph here (production otherwise runs trusted documents only).
  ALLOW_ARBITRARY_OPERATIONS: 'true',
};
const running: { stop(): Promise<void> }[] = [];
const stopAll = async () => {
  await Promise.allSettled(running.splice(0).reverse().map((service) => service.stop()));
};
process.once('SIGINT', () => {
  void stopAll().finally(() => process.exit(130));
});

// --profile: every FitGraph process writes a V8 CPU profile on exit (bench/profile-summary.ts reads them).
const profileDir = join(repoRoot, 'bench/results/profiles');
if (args.profile) mkdirSync(profileDir, { recursive: true });
const profileArgs = (service: string) => (args.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, service)}`] : []);

try {
  log(`storage: ${storage}`);
  const seedStarted = Date.now();
  const data = await seedBenchData(
    databaseTargets({ DATABASE_URL: process.env.DATABASE_URL, DATABASE_NAME_PREFIX: prefix, PGLITE_DIR: serviceEnv.PGLITE_DIR! }),
    quick ? quickSeed : fullSeed,
  );
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  log(`seeded ${data.rows} rows in ${seedSeconds.toFixed(1)} s; starting five subgraphs ...`);

  const subgraphs = {} as Record<SubgraphName, ServiceProcess>;
  await Promise.all(
    subgraphNames.map(async (name) => {
      subgraphs[name] = await startServiceProcess(name, serviceEnv, { compiled, nodeArgs: profileArgs(name) });
      running.push(subgraphs[name]);
    }),
  );
  const baselineSubgraphs = {} as Record<SubgraphName, ServiceProcess>;
  if (args['baseline-subgraphs']) {
    log(`starting the baseline subgraphs (<package>/${baselineBundle}) ...`);
    await Promise.all(
      subgraphNames.map(async (name) => {
        baselineSubgraphs[name] = await startServiceProcess(name, serviceEnv, { compiled, bundleDir: baselineBundle });
        running.push(baselineSubgraphs[name]);
      }),
    );
  }
  const subgraphUrls = Object.fromEntries(subgraphNames.map((name) => [name, subgraphs[name].url]));
  const envFor = (set: Record<SubgraphName, ServiceProcess>) => ({
    ...serviceEnv,
    ...Object.fromEntries(subgraphNames.map((name) => [`${envPrefix(name)}_SUBGRAPH_URL`, set[name].url])),
  });
  const gatewayEnv = envFor(subgraphs);
  const subgraphsBehind = (name: GatewayName) => (name === 'fitgraph-baseline' ? baselineSubgraphs : subgraphs);
  const supergraphFile = writeSupergraph(readFileSync(join(repoRoot, 'schema/supergraph.graphql'), 'utf8'), subgraphUrls, join(scratch, 'supergraph.graphql'));

  const signer = createTokenSigner(loadAuthConfig({ ...authEnv, NODE_ENV: 'production' }));
  const tokens = await Promise.all(
    data.memberIds.slice(0, Math.max(...concurrencies)).map(async (id) => (await signer.sign({ id, role: 'MEMBER', sessionId: id })).accessToken),
  );
  const display = await signer.sign({ id: data.memberIds[data.memberIds.length - 1]!, role: 'GYM_STAFF', sessionId: 'bench-floor-display' });
  const scenarios = buildScenarios(data, tokens, display.accessToken).filter((s) => !args.scenarios || args.scenarios.includes(s.key));
  const names: GatewayName[] = [
    ...(args.ab ? abNames : args['no-peers'] ? ['fitgraph' as const] : gatewayNames),
    ...(args['baseline-subgraphs'] ? ['fitgraph-baseline' as const] : []),
  ];

  log(`starting gateways: ${names.map((n) => gatewayLabels[n]).join(', ')} ...`);
  const gateways = {} as Record<GatewayName, RunningBenchGateway>;
  // The (b)-with-merging-off instances start now too (they idle until their turn): one start-up wait.
  const boardB = scenarios.find((s) => s.key === 'b');
  const mergingOffNames = boardB && !args['no-peers'] && !args.ab ? names.filter((name) => name !== 'fitgraph-baseline') : [];
  const mergingOffGateways = {} as Record<GatewayName, RunningBenchGateway>;
  await Promise.all([
    ...mergingOffNames.map(async (name) => {
      mergingOffGateways[name] = await startGateway(name, {
        fitgraphEnv: { ...gatewayEnv, SUBGRAPH_QUERY_DEDUPE: 'false' },
        supergraphFile,
        compiled,
        hiveDedupe: false,
      });
      running.push(mergingOffGateways[name]);
    }),
    ...names.map(async (name) => {
      gateways[name] = await startGateway(name, {
        fitgraphEnv: name === 'fitgraph-baseline' ? envFor(baselineSubgraphs) : gatewayEnv,
        supergraphFile,
        compiled,
        nodeArgs: profileArgs(name),
      });
      running.push(gateways[name]);
    }),
  ]);

  // Every gateway must give the same answer before any is timed.
  for (const scenario of scenarios) {
    const answers = await Promise.all(names.map(async (name) => [name, await answerOf(gateways[name].url, scenario)] as const));
    const [, reference] = answers[0]!;
    log(`(${scenario.key}) answer: ${reference.length} bytes, ${reference.slice(0, 160)}…`);
    if (!reference.includes('"data":{') || reference.includes('"errors"') || (scenario.key !== 'a' && !reference.includes('"displayName":"Bench'))) throw new Error(`scenario ${scenario.key}: ${reference.slice(0, 500)}`);
    for (const [name, answer] of answers) {
      if (answer !== reference) throw new Error(`scenario ${scenario.key}: ${gatewayLabels[name]} answers differently:\n${answer.slice(0, 500)}\nvs\n${reference.slice(0, 500)}`);
    }
  }
  const idleRss = Object.fromEntries(names.map((name) => [name, rssMiB(gateways[name].pid())])) as Record<GatewayName, number>;

  const rows: LoadRow[] = [];
  /** Loads the gateways of `group` at the same time (each with `connections`) and records one row each. */
  const measure = async (scenario: Scenario, connections: number, group: GatewayName[]) => {
    log(`(${scenario.key}) ${connections} connection(s): ${group.map((name) => gatewayLabels[name]).join(' and, at the same time, ')}`);
    const load = (name: GatewayName, ms: number) => runLoad({ url: gateways[name].url, connections, durationMs: ms, requestFor: scenario.requestFor });
    if (warmupMs > 0) await Promise.all(group.map((name) => load(name, warmupMs)));
    const cpuBefore = group.map((name) => cpuMs(gateways[name].pid()));
    const subgraphCpuBefore = group.map((name) => subgraphNames.map((s) => cpuMs(subgraphsBehind(name)[s].pid())));
    const results = await Promise.all(group.map((name) => load(name, durationMs)));
    group.forEach((name, g) => {
      const result = results[g]!;
      const behind = subgraphsBehind(name);
      const cpu = cpuMs(gateways[name].pid()) - cpuBefore[g]!;
      const subgraphCpu = subgraphNames.map((s, i) => cpuMs(behind[s].pid()) - subgraphCpuBefore[g]![i]!);
      rows.push({
        scenario: scenario.key,
        connections,
        gateway: name,
        ...result,
        cpuMsPerRequest: result.requests > 0 ? cpu / result.requests : NaN,
        subgraphCpuMsPerRequest: Object.fromEntries(subgraphNames.map((s, i) => [s, subgraphCpu[i]! / Math.max(1, result.requests)])),
      });
      if (result.errors > 0) {
        log(`  ${gatewayLabels[name]}: ${result.errors} errors, first: ${result.firstError}`);
        // Production answers mask internal errors; the subgraphs' own logs say what failed.
        for (const s of subgraphNames) {
          const failures = behind[s].output().split('\n').filter((line) => /error/i.test(line)).slice(-3);
          if (failures.length > 0) log(`  ${s} subgraph, last errors logged:\n${failures.join('\n')}`);
        }
      }
    });
  };
  // --baseline-subgraphs: FitGraph over both subgraph sets under load at the same time, so both see
  // the same machine (on a shared machine, cells measured one after the other differed by ±20 % in
  // an A/A run); the other gateways in turn.
  const groups: GatewayName[][] = args['baseline-subgraphs']
    ? [['fitgraph', 'fitgraph-baseline'], ...names.filter((name) => name !== 'fitgraph' && name !== 'fitgraph-baseline').map((name) => [name])]
    : names.map((name) => [name]);
  let round = 0;
  for (const scenario of scenarios) {
    for (const connections of concurrencies) {
      // Alternate the order, so no gateway always runs first (or last) on a warm machine.
      const order = groups.map((_, i) => groups[(i + round) % groups.length]!);
      round += 1;
      for (const group of order) await measure(scenario, connections, group);
    }
  }
  const loadedRss = Object.fromEntries(names.map((name) => [name, rssMiB(gateways[name].pid())])) as Record<GatewayName, number>;
  const subgraphRss = Object.fromEntries(subgraphNames.map((name) => [name, rssMiB(subgraphs[name].pid())]));
  for (const name of names) {
    await gateways[name].stop();
    running.splice(running.indexOf(gateways[name]), 1);
  }

  // Plain CPU per request of the two-subgraph board with in-flight merging off in both FitGraph and Hive.
  const mergingOff: LoadRow[] = [];
  if (boardB && mergingOffNames.length > 0) {
    const connections = concurrencies.includes(10) ? 10 : concurrencies[0]!;
    for (const name of mergingOffNames) {
      const gateway = mergingOffGateways[name];
      log(`(b, merging off) ${connections} connections: ${gatewayLabels[name]}`);
      if (warmupMs > 0) await runLoad({ url: gateway.url, connections, durationMs: warmupMs, requestFor: boardB.requestFor });
      const cpuBefore = cpuMs(gateway.pid());
      const result = await runLoad({ url: gateway.url, connections, durationMs, requestFor: boardB.requestFor });
      const cpu = cpuMs(gateway.pid()) - cpuBefore;
      mergingOff.push({ scenario: 'b', connections, gateway: name, ...result, cpuMsPerRequest: cpu / Math.max(1, result.requests), subgraphCpuMsPerRequest: {} });
      await gateway.stop();
      running.splice(running.indexOf(gateway), 1);
    }
  }

  const report = (fanout: FanoutRow[], fanoutError?: string) => renderReport({
    date: new Date(),
    quick,
    storage,
    compiled,
    durationMs,
    warmupMs,
    seedSeconds,
    seedRows: data.rows,
    rows,
    mergingOff,
    idleRss,
    loadedRss,
    subgraphRss,
    fanout,
    scenarios: scenarios.map((s: Scenario) => ({ key: s.key, title: s.title })),
    names,
    totalSeconds: (Date.now() - startedAt) / 1000,
    fanoutError,
  });
  const out = args.out ?? join(repoRoot, 'bench/results', `${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}.md`);
  mkdirSync(join(out, '..'), { recursive: true });
  // The query tables are safe on disk before the fan-out starts.
  writeFileSync(out, report([]));

  let fanout: FanoutRow[] = [];
  let fanoutError: string | undefined;
  if (!args['no-subscriptions']) {
    log('subscription fan-out ...');
    try {
      fanout = await runFanout({
        quick,
        gatewayEnv,
        compiled,
        gatewayNodeArgs: profileArgs('fitgraph-fanout'),
        subgraphs,
        data,
        signer,
        log,
        matrix: args.fanout ? parseFanoutCases(args.fanout) : undefined,
      });
    } catch (error) {
      fanoutError = String(error);
      log(`fan-out failed: ${fanoutError}`);
    }
  }
  const markdown = report(fanout, fanoutError);
  writeFileSync(out, markdown);
  if (fanoutError) process.exitCode = 1;
  process.stdout.write(`${markdown}\nbench: wrote ${out} in ${((Date.now() - startedAt) / 1000).toFixed(0)} s\n`);
} finally {
  await stopAll();
  if (process.env.DATABASE_URL) await dropDatabasesWithPrefix(process.env.DATABASE_URL, prefix);
  // The services' event streams and counters: nothing of the run stays in Redis.
  if (process.env.REDIS_URL) await deleteRedisKeys(process.env.REDIS_URL, serviceEnv.REDIS_KEY_PREFIX!);
  rmSync(scratch, { recursive: true, force: true });
}

async function answerOf(url: string, scenario: Scenario): Promise<string> {
  const request = scenario.requestFor(0);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    body: request.body,
  });
  return JSON.stringify(await response.json());
}
