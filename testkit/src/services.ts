import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { devGatewaySecret, envPrefix, repoRoot, type SubgraphName } from '@fitgraph/platform';
import { signAsGatewayFor } from './gateway-attestation';
import { freePort } from './processes';
import { testScope } from './scope';

/** A FitGraph service (a subgraph or the gateway) running as its own OS process, as in production. */
export interface ServiceProcess {
  service: SubgraphName | 'gateway';
  port: number;
  /** The address it listens on (HOST). */
  host: string;
  /** `http://<host>:<port>/graphql` */
  url: string;
  /** Its internal listener, `http://127.0.0.1:<port>` (`/metrics`, detailed `/readyz` and `/healthz`). */
  internalUrl: string;
  /** GET /healthz on the internal listener as JSON (throws when it does not answer 200). */
  health(): Promise<Record<string, any>>;
  /** What it printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Its OS process id (changes on restart). */
  pid(): number;
  /** Its exit code once it exited (null while running, or when a signal ended it). */
  exitCode(): number | null;
  /** Kills it without warning (default SIGKILL: no graceful shutdown, like a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM: its graceful shutdown. */
  stop(): Promise<void>;
  /** Starts it again with the same env and port; resolves once /healthz answers. */
  restart(): Promise<void>;
}

const packageDir = (service: SubgraphName | 'gateway') => join(repoRoot, service === 'gateway' ? 'gateway' : `subgraphs/${service}`);

/** How to start a service: its TypeScript through tsx (default), or the compiled bundle (`pnpm build`: `node dist/index.js`). */
const commandLine = (service: SubgraphName | 'gateway', compiled: boolean, nodeArgs: string[], bundleDir = 'dist') =>
  compiled
    ? [...nodeArgs, join(packageDir(service), bundleDir, 'index.js')]
    : [...nodeArgs, '--import', 'tsx', join(packageDir(service), 'src/index.ts')];

/**
 * Spawns `node --import tsx <service>/src/index.ts` (or `node <service>/dist/index.js`) on a free port (or `port`) with `env` over
 * this process's environment, and resolves once its `/healthz` answers 200 — polling, never a
 * fixed sleep. Rejects with its output if it exits or is not up within `timeoutMs`.
 */
export async function startServiceProcess(
  service: SubgraphName | 'gateway',
  env: NodeJS.ProcessEnv,
  options: {
    port?: number;
    /** The address to listen on (HOST), e.g. `127.0.0.3` to stand for a host of its own. Default: 127.0.0.1. */
    host?: string;
    timeoutMs?: number;
    /** Run `dist/index.js` (built by `pnpm build`) instead of the TypeScript through tsx. Default: false. */
    compiled?: boolean;
    /** Extra node flags, e.g. `--cpu-prof`. Default: none. */
    nodeArgs?: string[];
    /** With `compiled`: the bundle's folder in the package (the bench's A/B runs an older build from another). Default: dist. */
    bundleDir?: string;
  } = {},
): Promise<ServiceProcess> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const portVariable = service === 'gateway' ? 'PORT' : `${envPrefix(service)}_SUBGRAPH_PORT`;
  const internalPortVariable = service === 'gateway' ? 'INTERNAL_PORT' : `${envPrefix(service)}_INTERNAL_PORT`;
  const internalPort = Number(env[internalPortVariable] || 0) || (await freePort(host));
  const internalBase = `http://${host}:${internalPort}`;
  const base = `http://${host}:${port}`;
  let child: ChildProcess;
  let output = '';
  let exited: Promise<void>;

  const launch = async () => {
    child = spawn(process.execPath, commandLine(service, options.compiled ?? false, options.nodeArgs ?? [], options.bundleDir), {
      cwd: repoRoot,
      env: { APOLLO_TELEMETRY_DISABLED: 'true', ...process.env, ...env, HOST: host, [portVariable]: String(port), [internalPortVariable]: String(internalPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${service} exited (${child.exitCode ?? child.signalCode}) before it was up; output:\n${output.slice(-4000)}`);
      }
      try {
        const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
        await response.body?.cancel();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${service} did not answer /healthz on port ${port}; output:\n${output.slice(-4000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };

  await launch();
  if (service !== 'gateway') {
    // Tests that call it directly stand in for the gateway (gateway-attestation.ts).
    testScope.defer(signAsGatewayFor(base, env.GATEWAY_SECRET || process.env.GATEWAY_SECRET || devGatewaySecret));
  }
  return {
    service,
    port,
    host,
    url: `${base}/graphql`,
    internalUrl: internalBase,
    health: async () => {
      const response = await fetch(`${internalBase}/healthz`);
      if (!response.ok) throw new Error(`${service} /healthz answered ${response.status}`);
      return (await response.json()) as Record<string, any>;
    },
    output: () => output,
    pid: () => child.pid!,
    exitCode: () => child.exitCode,
    kill: (sig = 'SIGKILL') => signal(sig),
    stop: () => signal('SIGTERM'),
    restart: async () => {
      await signal('SIGKILL');
      await launch();
    },
  };
}

/** An HTTP pass-through in front of a subgraph that counts the `_entities` fetches it forwards. */
export interface CountingProxy {
  url: string;
  /** `_entities` requests forwarded so far. */
  entityRequests: number;
  /** Any requests forwarded so far. */
  requests: number;
  stop(): Promise<void>;
}

export async function startCountingProxy(
  targetUrl: string,
  options: {
    /** Sees each request body before it is forwarded; forwarding waits for it (tests delay or record requests). */
    onRequest?(body: string): void | Promise<void>;
  } = {},
): Promise<CountingProxy> {
  const proxy = { entityRequests: 0, requests: 0 } as CountingProxy;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    proxy.requests += 1;
    if (body.includes('_entities')) proxy.entityRequests += 1;
    await options.onRequest?.(body.toString());
    try {
      const headers = Object.fromEntries(
        Object.entries(req.headers).flatMap(([name, value]) =>
          typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name) ? [[name, value]] : [],
        ),
      );
      const response = await fetch(new URL(req.url ?? '/', targetUrl), {
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
      });
      res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  proxy.stop = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}
