/** The gateways under test, each its own OS process on a free port, all pointed at the same subgraph processes. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devGatewaySecret, repoRoot } from '@fitgraph/platform';
import { freePort, startServiceProcess, type ServiceProcess } from '@fitgraph/testkit';

/**
 * FitGraph's gateway and its variants for A/B runs (`--ab`): each lever switched off in turn,
 * measured side by side in one run like the peers.
 */
const fitgraphVariants = {
  fitgraph: { label: 'FitGraph', env: {}, tsx: false },
  'fitgraph-nodedupe': { label: 'FitGraph, merging off', env: { SUBGRAPH_QUERY_DEDUPE: 'false' }, tsx: false },
  'fitgraph-tsx': { label: 'FitGraph via tsx, merging off', env: { SUBGRAPH_QUERY_DEDUPE: 'false' }, tsx: true },
  // `--baseline-subgraphs`: the same gateway in front of a second set of subgraphs built from an older commit.
  'fitgraph-baseline': { label: 'FitGraph, baseline subgraphs', env: {}, tsx: false },
} as const;
export type GatewayName = keyof typeof fitgraphVariants | 'apollo' | 'hive';
export const gatewayNames: GatewayName[] = ['fitgraph', 'apollo', 'hive'];
export const abNames: GatewayName[] = ['fitgraph', 'fitgraph-nodedupe', 'fitgraph-tsx'];
export const gatewayLabels: Record<GatewayName, string> = {
  ...(Object.fromEntries(Object.entries(fitgraphVariants).map(([key, variant]) => [key, variant.label])) as Record<keyof typeof fitgraphVariants, string>),
  apollo: 'Apollo Gateway',
  hive: 'Hive Gateway',
};

export interface RunningBenchGateway {
  name: GatewayName;
  url: string;
  /** The root process id (its descendants count too). */
  pid(): number;
  output(): string;
  stop(): Promise<void>;
}

/** The checked-in supergraph with each `@join__graph` URL replaced by the bench's subgraph URL. */
export function writeSupergraph(sdl: string, urls: Record<string, string>, file: string): string {
  const rewritten = sdl.replace(/@join__graph\(name: "([^"]+)", url: "[^"]+"\)/g, (whole, name: string) =>
    urls[name] ? `@join__graph(name: "${name}", url: "${urls[name]}")` : whole,
  );
  writeFileSync(file, rewritten);
  return file;
}

/** POSTs `{ __typename }` until it answers 200 (never a fixed sleep). */
async function waitUntilAnswering(url: string, exited: () => boolean, output: () => string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`gateway at ${url} exited before it answered; output:\n${output().slice(-3000)}`);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
        signal: AbortSignal.timeout(2000),
      });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`gateway at ${url} did not answer; output:\n${output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A peer gateway: `node <args>` in its own process group. */
async function startPeer(name: GatewayName, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<RunningBenchGateway> {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/graphql`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // gone
      }
    }
    await exited;
  };
  try {
    await waitUntilAnswering(url, () => child.exitCode !== null || child.signalCode !== null, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, url, pid: () => child.pid!, output: () => output, stop };
}

export interface GatewayStartOptions {
  /** Env of FitGraph's gateway (auth keys, prefixes, subgraph URLs). */
  fitgraphEnv: NodeJS.ProcessEnv;
  /** Supergraph file with the bench's subgraph URLs (for the peers). */
  supergraphFile: string;
  /** FitGraph's gateway as `node dist/index.js` (`pnpm build`) rather than through tsx. */
  compiled: boolean;
  /** Extra node flags for FitGraph's gateway (`--cpu-prof ...`). */
  nodeArgs?: string[];
  /** Hive Gateway without its in-flight request merging. */
  hiveDedupe?: boolean;
}

export async function startGateway(name: GatewayName, options: GatewayStartOptions): Promise<RunningBenchGateway> {
  if (name !== 'apollo' && name !== 'hive') {
    const variant = fitgraphVariants[name];
    const service: ServiceProcess = await startServiceProcess('gateway', { ...options.fitgraphEnv, ...variant.env }, {
      compiled: options.compiled && !variant.tsx,
      nodeArgs: options.nodeArgs,
    });
    return { name, url: service.url, pid: service.pid, output: service.output, stop: service.stop };
  }
  const port = await freePort();
  // The subgraphs answer only requests signed with their GATEWAY_SECRET: the peers sign theirs too.
  const quiet = { APOLLO_TELEMETRY_DISABLED: 'true', NODE_ENV: 'production', GATEWAY_SECRET: options.fitgraphEnv.GATEWAY_SECRET ?? devGatewaySecret };
  if (name === 'apollo') {
    return startPeer(name, [join(repoRoot, 'bench/peers/apollo-gateway.mjs')], { ...quiet, SUPERGRAPH_FILE: options.supergraphFile, PORT: String(port) }, port);
  }
  return startPeer(
    name,
    [
      join(repoRoot, 'node_modules/@graphql-hive/gateway/dist/bin.js'),
      'supergraph',
      options.supergraphFile,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--fork',
      '1',
      '--config-path',
      join(repoRoot, 'bench/peers/hive-gateway.config.mjs'),
    ],
    { ...quiet, HIVE_DEDUPE: options.hiveDedupe === false ? 'off' : 'on' },
    port,
  );
}
