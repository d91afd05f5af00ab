/**
 * Memory per idle graphql-ws subscription on one gateway process (the goal: <= 8 KiB RSS each).
 *
 *   npx tsx bench/subscription-memory.ts [--clients 3000] [--rounds 1] [--idle 20] [--snapshot dir] [--baseline dir]
 *
 * Starts the gateway's fixture subgraphs (gateway/test/fixtures) in this process and the gateway in
 * a child process (lib/subscription-memory-gateway.ts, bundled with esbuild as the subgraphs are by `pnpm build`, npm packages outside; `--expose-gc`),
 * opens N clients (one socket and one subscription each, one signed-in identity, like the fan-out
 * bench's shared rows), waits until the gateway counts them, and reports per subscription: the RSS
 * delta 4 s later (as the fan-out bench measures it, no forced GC) and after `--idle` seconds more;
 * the RSS growth from N/2 to N subscriptions (the marginal cost); after a full GC the RSS, heapUsed
 * and external deltas. `--snapshot dir` also writes a heap snapshot before and after and prints
 * what grew, by constructor, per subscription (writing a snapshot inflates RSS: read the RSS
 * columns from runs without it). `--baseline dir` (an older `gateway/src` copied next to it, e.g.
 * to `gateway/.ab-baseline-src` from `git archive <commit> gateway/src`, so its relative paths
 * still hold) measures that build too, alternating with this one in the same run, so the two are
 * compared under the same load.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build as esbuild, type Plugin } from 'esbuild';
import { loadAuthConfig } from '@fitgraph/platform';
import { createTokenSigner } from '@fitgraph/service-kit';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GatewayReply, GatewayRequest, Memory } from './lib/subscription-memory-gateway';

const here = path.dirname(fileURLToPath(import.meta.url));
const ownSource = path.join(here, '../gateway/src');

// ---- heap snapshot summary ----------------------------------------------------------------------

/** Self size and count per `type:name` (constructor for objects) in a .heapsnapshot. */
function summarise(file: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const stride = fields.length;
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const byName = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += stride) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    // Strings and code by type alone (their names are their contents).
    const key = ['object', 'closure', 'native', 'array', 'hidden', 'object shape'].includes(type)
      ? `${type}:${snapshot.strings[snapshot.nodes[i + nameAt]!]!.slice(0, 60)}`
      : type;
    const entry = byName.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += snapshot.nodes[i + sizeAt]!;
    byName.set(key, entry);
  }
  return byName;
}

function printGrowth(before: string, after: string, subscriptions: number): void {
  const [a, b] = [summarise(before), summarise(after)];
  const rows = [...b].map(([key, entry]) => {
    const was = a.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: (entry.count - was.count) / subscriptions, bytes: (entry.bytes - was.bytes) / subscriptions };
  });
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log(`heap snapshot growth per subscription: ${total.toFixed(0)} B (self sizes)`);
  console.log('| what | count / sub | bytes / sub |\n|---|---:|---:|');
  for (const row of rows.filter((r) => r.bytes >= 16).slice(0, 40)) console.log(`| ${row.key} | ${row.count.toFixed(2)} | ${row.bytes.toFixed(0)} |`);
}

// ---- the driver ---------------------------------------------------------------------------------

/**
 * npm packages stay external (a path relative to the bundle), workspace code is bundled in, as
 * `pnpm build` does for the subgraphs. scripts/build.ts has the same plugin; tooling folders do not
 * import each other (tests/unit/architecture.test.ts).
 */
const externalPackages = (outdir: string): Plugin => ({
  name: 'external-packages',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@fitgraph/') || args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
      const resolved = await pluginBuild.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
      if (resolved.errors.length > 0 || !resolved.path.includes('/node_modules/')) return undefined;
      const relativePath = path.relative(outdir, resolved.path);
      return { path: relativePath.startsWith('.') ? relativePath : `./${relativePath}`, external: true };
    });
  },
});

/** The gateway process's bundle with `source` as the gateway's src directory. */
async function bundleGateway(build: string, source: string): Promise<string> {
  // In gateway/dist (ignored by git), so the gateway's paths relative to its own file hold.
  const outdir = path.join(here, '../gateway/dist');
  const outfile = path.join(outdir, `memory-bench-${build}.js`);
  await esbuild({
    entryPoints: [path.join(here, 'lib/subscription-memory-gateway.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['node'],
    logLevel: 'warning',
    plugins: [
      externalPackages(outdir),
      {
        name: 'gateway-source',
        setup(pluginBuild) {
          pluginBuild.onResolve({ filter: /^@fitgraph\/gateway$/ }, () => ({ path: path.join(source, 'server.ts') }));
        },
      },
    ],
  });
  return outfile;
}

class GatewayChild {
  private readonly waiting: Array<(reply: GatewayReply) => void> = [];
  constructor(readonly process: ChildProcess) {
    process.on('message', (reply: GatewayReply) => this.waiting.shift()?.(reply));
    process.on('exit', (code) => {
      if (this.waiting.length > 0) {
        console.error(`the gateway child exited (${code}) while asked something`);
        globalThis.process.exit(1);
      }
    });
  }
  static async start(bundle: string, supergraphSdl: string): Promise<{ child: GatewayChild; url: string }> {
    const child = new GatewayChild(
      fork(bundle, [], {
        execArgv: ['--expose-gc'],
        env: { ...process.env, SUPERGRAPH_SDL: supergraphSdl, NODE_ENV: 'production' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const reply = (await child.next()) as { url: string };
    return { child, url: reply.url };
  }
  next(): Promise<GatewayReply> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  ask<T extends GatewayReply>(message: GatewayRequest): Promise<T> {
    const reply = this.next();
    this.process.send(message);
    return reply as Promise<T>;
  }
}

const subscriptionQuery = 'subscription($room: ID!) { pulse(room: $room) { id text author { displayName } } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForSubscriptions(child: GatewayChild, atLeast: number): Promise<void> {
  for (let tries = 0; tries < 1200; tries += 1) {
    const { subscriptions } = await child.ask<{ subscriptions: number }>({ count: true });
    if (subscriptions >= atLeast) return;
    await sleep(100);
  }
  throw new Error(`the gateway never counted ${atLeast} subscriptions`);
}

interface Result {
  build: string;
  rssKiB: number;
  rssIdleKiB: number;
  /** RSS growth from N/2 to N subscriptions: without what grows once (the young generation under the handshakes' garbage). */
  rssMarginalKiB: number;
  rssAfterGcKiB: number;
  heapKiB: number;
  externalKiB: number;
}

async function measure(build: string, bundle: string, supergraphSdl: string, clients: number, idleSeconds: number, token: string, snapshotDir?: string): Promise<Result> {
  const { child, url } = await GatewayChild.start(bundle, supergraphSdl);
  const open: Client[] = [];
  const openClients = async (count: number) => {
    for (let i = 0; i < count; i += 1) {
      const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${token}` } });
      client.subscribe({ query: subscriptionQuery, variables: { room: 'memory' } }, { next: () => {}, error: (error) => console.error('subscription error', error instanceof Error ? error.message : (error as { code?: number }).code ?? error), complete: () => {} });
      open.push(client);
      // In batches, rather than thousands of handshakes at once.
      if (i % 200 === 199) await waitForSubscriptions(child, open.length - 200);
    }
    await waitForSubscriptions(child, open.length);
  };
  // Warm-up: the upstream stream, the plan and the code paths exist before the "before" measurement.
  await openClients(50);
  await sleep(1000);
  const before = await child.ask<{ memory: Memory; rssBeforeGc: number }>({ measure: true });
  if (snapshotDir) await child.ask({ snapshot: path.join(snapshotDir, `${build}-before.heapsnapshot`) });
  const half = Math.floor(clients / 2);
  await openClients(half);
  await sleep(1000);
  const { rss: rssHalf } = await child.ask<{ rss: number }>({ rss: true });
  await openClients(clients - half);
  // Longer than the connection-init timeout (3 s): idle means after it fired or was cleared.
  await sleep(4000);
  const { rss: rssOpened } = await child.ask<{ rss: number }>({ rss: true });
  // Idle for a while: V8 shrinks the young generation (grown by the handshakes' garbage) only after
  // allocation has been low for some seconds.
  await sleep(idleSeconds * 1000);
  const after = await child.ask<{ memory: Memory; rssBeforeGc: number }>({ measure: true });
  let snapshots: [string, string] | undefined;
  if (snapshotDir) {
    const written = await child.ask<{ snapshot: string }>({ snapshot: path.join(snapshotDir, `${build}-after.heapsnapshot`) });
    snapshots = [path.join(snapshotDir, `${build}-before.heapsnapshot`), written.snapshot];
  }
  await Promise.all(open.map((client) => client.dispose()));
  const exited = once(child.process, 'exit');
  child.process.send({ stop: true });
  await exited;
  const kib = (bytes: number) => bytes / 1024 / clients;
  if (snapshots) {
    console.log(`\n${build}:`);
    printGrowth(snapshots[0], snapshots[1], clients);
  }
  return {
    build,
    rssKiB: kib(rssOpened - before.rssBeforeGc),
    rssIdleKiB: kib(after.rssBeforeGc - before.rssBeforeGc),
    rssMarginalKiB: (rssOpened - rssHalf) / 1024 / (clients - half),
    rssAfterGcKiB: kib(after.memory.rss - before.memory.rss),
    heapKiB: kib(after.memory.heapUsed - before.memory.heapUsed),
    externalKiB: kib(after.memory.external - before.memory.external),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '3000' },
      rounds: { type: 'string', default: '1' },
      idle: { type: 'string', default: '20' },
      snapshot: { type: 'string' },
      baseline: { type: 'string' },
    },
  });
  const clients = Number(values.clients);
  if (values.snapshot) mkdirSync(values.snapshot, { recursive: true });
  const { composeFixtures, startEventsSubgraph, startPeopleSubgraph, TickStore } = await import('@fitgraph/gateway/fixtures');
  const events = await startEventsSubgraph(new TickStore());
  const people = await startPeopleSubgraph();
  const supergraphSdl = composeFixtures([events, people]);
  const token = (await createTokenSigner(loadAuthConfig({})).sign({ id: 'u-ada', role: 'MEMBER', sessionId: 'memory-bench' })).accessToken;
  const builds: Array<[string, string]> = [['current', ownSource]];
  if (values.baseline) builds.unshift(['baseline', path.resolve(values.baseline)]);
  const bundles = new Map(await Promise.all(builds.map(async ([build, source]) => [build, await bundleGateway(build, source)] as const)));
  const results: Result[] = [];
  for (let round = 0; round < Number(values.rounds); round += 1) {
    for (const [build] of builds) {
      const result = await measure(build, bundles.get(build)!, supergraphSdl, clients, Number(values.idle), token, round === 0 ? values.snapshot : undefined);
      results.push(result);
      console.log(JSON.stringify(result));
    }
  }
  console.log(`\n${clients} idle subscriptions (one socket each), KiB per subscription:`);
  console.log(`| build | RSS 4 s after opening | RSS after ${values.idle} s idle | RSS N/2 → N | RSS after GC | heapUsed after GC | external |\n|---|---:|---:|---:|---:|---:|---:|`);
  for (const r of results) console.log(`| ${r.build} | ${r.rssKiB.toFixed(1)} | ${r.rssIdleKiB.toFixed(1)} | ${r.rssMarginalKiB.toFixed(1)} | ${r.rssAfterGcKiB.toFixed(1)} | ${r.heapKiB.toFixed(1)} | ${r.externalKiB.toFixed(1)} |`);
  await events.stop();
  await people.stop();
}

await main();
