/**
 * Dependencies as an operator sees them: a service started without its PostgreSQL or Redis exits
 * non-zero within 30 s with one line saying which and where; at run time a lost dependency shows
 * on /readyz (503) and recovers by itself; SIGTERM drains in-flight requests and exits 0.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { devGatewaySecret, loadSubgraphConfig, repoRoot, startSubgraphService, type RunningSubgraph } from '@fitgraph/platform';
import { deleteRedisKeys } from '@fitgraph/service-kit';
import { gymSubgraph } from '@fitgraph/gym-subgraph';
import {
  dropDatabasesWithPrefix,
  eventually,
  freePort,
  graphql,
  graphqlData,
  signAsGatewayFor,
  stackEnv,
  startTcpProxy,
  testScope,
  type TcpProxy,
} from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface SpawnedService {
  output(): string;
  /** Exit code and how long after spawning it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  kill(signal: NodeJS.Signals): void;
}

/** `node --import tsx <entry>` as in production (Dockerfile), env over a clean base. */
function spawnService(entry: string, env: NodeJS.ProcessEnv): SpawnedService {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', HOST: '127.0.0.1', LOG_LEVEL: 'info', PGLITE_DIR: 'memory', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, ms: performance.now() - started })),
  );
  return { output: () => output, exited, kill: (signal) => void child.kill(signal) };
}

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe.concurrent('start-up without a dependency', () => {
  // Unreachable: nothing listens on port 1. The passwords must never reach the logs.
  const deadRedis = 'redis://:redis-secret@127.0.0.1:1';
  const deadPostgres = 'postgres://fitgraph:pg-secret@127.0.0.1:1/postgres';

  it('a subgraph exits non-zero within 30 s (default wait) with one line naming Redis and where', async () => {
    const service = spawnService('subgraphs/gym/src/index.ts', { REDIS_URL: deadRedis, GYM_SUBGRAPH_PORT: '0' });
    const { code, ms } = await service.exited;
    expect(code, service.output()).not.toBe(0);
    expect(ms).toBeLessThan(30_000);
    const output = lines(service.output());
    expect(output, service.output()).toHaveLength(1);
    const line = JSON.parse(output[0]!);
    expect(line).toMatchObject({ level: 60, service: 'gym-subgraph', dependency: 'redis', where: 'redis://:***@127.0.0.1:1' });
    expect(line.msg).toMatch(/^Cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(waited \d+\.\d s\): connect ECONNREFUSED/);
    expect(service.output()).not.toContain('redis-secret');
  }, 40_000);

  it('a subgraph exits non-zero with one line naming PostgreSQL and where', async () => {
    const service = spawnService('subgraphs/user/src/index.ts', {
      DATABASE_URL: deadPostgres,
      USER_SUBGRAPH_PORT: '0',
      DEPENDENCY_STARTUP_TIMEOUT_MS: '1500',
    });
    const { code } = await service.exited;
    expect(code, service.output()).not.toBe(0);
    const output = lines(service.output());
    expect(output, service.output()).toHaveLength(1);
    expect(JSON.parse(output[0]!)).toMatchObject({ dependency: 'postgres', where: 'postgres://fitgraph:***@127.0.0.1:1/postgres' });
    expect(output[0]).toMatch(/Cannot reach PostgreSQL at postgres:\/\/fitgraph:\*\*\*@127\.0\.0\.1:1\/postgres .*ECONNREFUSED/);
    expect(service.output()).not.toContain('pg-secret');
  }, 40_000);

  it('the gateway exits non-zero with one line naming Redis and where', async () => {
    const service = spawnService('gateway/src/index.ts', { REDIS_URL: deadRedis, PORT: '0', DEPENDENCY_STARTUP_TIMEOUT_MS: '1500' });
    const { code } = await service.exited;
    expect(code, service.output()).not.toBe(0);
    const output = lines(service.output());
    expect(output, service.output()).toHaveLength(1);
    expect(JSON.parse(output[0]!)).toMatchObject({ service: 'gateway', dependency: 'redis', where: 'redis://:***@127.0.0.1:1' });
  }, 40_000);
});

const realServers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

describe.skipIf(!realServers)('losing PostgreSQL or Redis at run time', () => {
  let redisProxy: TcpProxy;
  let postgresProxy: TcpProxy;
  let service: RunningSubgraph;
  let env: NodeJS.ProcessEnv;
  const readyz = async () => {
    const response = await fetch(new URL('/readyz', service.internalUrl));
    return { status: response.status, body: (await response.json()) as { status: string; dependencies: { name: string; status: string }[] } };
  };
  const statusOf = (body: { dependencies: { name: string; status: string }[] }) =>
    Object.fromEntries(body.dependencies.map((dependency) => [dependency.name, dependency.status]));

  beforeAll(async () => {
    const redis = new URL(process.env.REDIS_URL!);
    const postgresUrl = new URL(process.env.DATABASE_URL!);
    redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    postgresProxy = await startTcpProxy({ host: postgresUrl.hostname, port: Number(postgresUrl.port || 5432) });
    redis.host = `127.0.0.1:${redisProxy.port}`;
    postgresUrl.host = `127.0.0.1:${postgresProxy.port}`;
    env = stackEnv({ REDIS_URL: redis.toString(), DATABASE_URL: postgresUrl.toString() });
    const config = loadSubgraphConfig(gymSubgraph, env);
    service = await startSubgraphService(gymSubgraph, config);
    // This test stands in for the gateway when it queries the subgraph.
    testScope.defer(signAsGatewayFor(service.url, config.gatewaySecret));
  });
  afterAll(async () => {
    await service?.stop();
    await redisProxy?.close();
    await postgresProxy?.close();
    await dropDatabasesWithPrefix(process.env.DATABASE_URL!, env.DATABASE_NAME_PREFIX!);
    await deleteRedisKeys(process.env.REDIS_URL!, env.REDIS_KEY_PREFIX!);
  });

  it('reports Redis on /readyz (503) while it is away and is ready again when it returns', async () => {
    const before = await readyz();
    expect(before.status).toBe(200);
    expect(statusOf(before.body)).toEqual({ database: 'up', redis: 'up' });

    await redisProxy.pause();
    const away = await eventually(async () => {
      const answer = await readyz();
      return answer.status === 503 ? answer : null;
    }, { what: '/readyz 503 without Redis' });
    expect(statusOf(away.body)).toEqual({ database: 'up', redis: 'down' });
    // Liveness is not readiness: the process is fine, it must not be restarted.
    expect((await fetch(new URL('/healthz', service.url))).status).toBe(200);
    const metrics = await (await fetch(new URL('/metrics', service.internalUrl))).text();
    expect(metrics).toMatch(/^fitgraph_dependency_up\{dependency="redis",service="gym-subgraph"\} 0$/m);

    await redisProxy.resume();
    await eventually(async () => (await readyz()).status === 200, { what: '/readyz 200 after Redis returned' });
  });

  it('reports PostgreSQL on /readyz (503) while it is away, then serves queries again without a restart', async () => {
    await postgresProxy.pause();
    const away = await eventually(async () => {
      const answer = await readyz();
      return answer.status === 503 ? answer : null;
    }, { what: '/readyz 503 without PostgreSQL' });
    expect(statusOf(away.body)).toEqual({ database: 'down', redis: 'up' });

    await postgresProxy.resume();
    await eventually(async () => (await readyz()).status === 200, { what: '/readyz 200 after PostgreSQL returned' });
    const data = await graphqlData(service.url, '{ gyms { name } }');
    expect(data.gyms.length).toBeGreaterThan(0);
  });
});

describe('graceful shutdown on SIGTERM', () => {
  /** A stand-in gym subgraph that holds its answer until the test lets it go. */
  let heldSubgraph: Server;
  let release: () => void = () => {};
  let received: Promise<void>;
  beforeAll(async () => {
    let onReceived: () => void = () => {};
    received = new Promise((resolve) => (onReceived = resolve));
    heldSubgraph = createServer((req, res) => {
      req.resume();
      onReceived();
      release = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { gyms: [{ name: 'Held Gym' }] } }));
    });
    await new Promise<void>((resolve) => heldSubgraph.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    heldSubgraph.closeAllConnections();
    await new Promise((resolve) => heldSubgraph.close(resolve));
  });

  it('the gateway finishes the request in flight, then exits 0', async () => {
    const port = await freePort();
    const gateway = spawnService('gateway/src/index.ts', {
      PORT: String(port),
      GYM_SUBGRAPH_URL: `http://127.0.0.1:${(heldSubgraph.address() as AddressInfo).port}/graphql`,
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
    const url = `http://127.0.0.1:${port}/graphql`;
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, { timeoutMs: 60_000, what: 'gateway up' });

    const inFlight = graphql(url, '{ gyms { name } }');
    await received; // the gateway is waiting for the subgraph now
    gateway.kill('SIGTERM');
    await eventually(() => gateway.output().includes('stopping: draining'), { what: 'the gateway to start draining' });
    release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({ gyms: [{ name: 'Held Gym' }] });
    const { code, signal } = await gateway.exited;
    expect({ code, signal }, gateway.output()).toEqual({ code: 0, signal: null });
    expect(gateway.output()).toMatch(/"msg":"stopped"/);
  }, 90_000);

  it.skipIf(!realServers)('a subgraph with PostgreSQL and Redis connections open exits 0 on SIGTERM', async () => {
    const env = stackEnv({ LOG_LEVEL: 'info' });
    const port = await freePort();
    const subgraph = spawnService('subgraphs/gym/src/index.ts', { ...env, GYM_SUBGRAPH_PORT: String(port), PGLITE_DIR: 'memory' });
    try {
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, { timeoutMs: 60_000, what: 'gym subgraph ready' });
      testScope.defer(signAsGatewayFor(`http://127.0.0.1:${port}`, devGatewaySecret));
      await graphqlData(`http://127.0.0.1:${port}/graphql`, '{ gyms { name } }');
      subgraph.kill('SIGTERM');
      const { code, signal, ms } = await subgraph.exited;
      expect({ code, signal }, subgraph.output()).toEqual({ code: 0, signal: null });
      expect(ms).toBeGreaterThan(0);
    } finally {
      subgraph.kill('SIGKILL');
      await dropDatabasesWithPrefix(process.env.DATABASE_URL!, env.DATABASE_NAME_PREFIX!);
      await deleteRedisKeys(process.env.REDIS_URL!, env.REDIS_KEY_PREFIX!);
    }
  }, 90_000);
});
