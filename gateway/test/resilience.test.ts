/**
 * Resilience of the gateway's subgraph calls, with every service its own OS process (PostgreSQL
 * when DATABASE_URL is set): the workout subgraph is paused with SIGSTOP under a query loop,
 * and the gateway keeps answering the gym subgraph's fields plus a coded error for the workout
 * fields, fast once its circuit breaker opened, and full answers return on their own after
 * SIGCONT. A counting proxy in front of the workout subgraph sees every request that reaches
 * it: no mutation ever arrives twice. Then SIGTERM drains the gateway: an in-flight request
 * is answered, client sockets close with 1001, the process exits 0.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deleteRedisKeys } from '@fitgraph/service-kit';
import {
  dropDatabasesWithPrefix,
  eventually,
  freePort,
  graphql,
  graphqlData,
  graphqlWsClient,
  stackEnv,
  startCountingProxy,
  startServiceProcess,
  testViewer,
  type CountingProxy,
  type GraphQLResponse,
  type ServiceProcess,
} from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeFetcher } from '../src/fetch/fetcher';
import { timeoutAndRetry } from '../src/fetch/timeout-retry';

const TIMEOUT_MS = 1500;
const BOARD = `query Board($id: ID!) { gyms { id name } workout(id: $id) { id sets { reps } } }`;
const LOG_SET = `mutation LogSet($id: ID!, $input: LogSetInput!) { logSet(workoutId: $id, input: $input) { id } }`;

type Board = { gyms: { id: string; name: string }[]; workout: { id: string; sets: { reps: number }[] } | null };
type Sample = { startedAt: number; latencyMs: number; response: GraphQLResponse<Board> };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const isFull = (response: GraphQLResponse<Board>) => !response.errors && response.data?.workout !== null && (response.data?.gyms.length ?? 0) > 0;

describe('subgraph timeouts, retries and circuit breakers (services as processes)', () => {
  const env = stackEnv();
  const processes: ServiceProcess[] = [];
  let gym: ServiceProcess;
  let workout: ServiceProcess;
  let gateway: ServiceProcess;
  let proxy: CountingProxy;
  /** Bodies of the mutations that reached the workout subgraph, in order. */
  const mutationsArrived: string[] = [];
  /** Set by the shutdown test: holds queries at the proxy for this long. */
  let delayQueriesMs = 0;
  let token: string;
  let workoutId: string;
  let exerciseId: string;

  beforeAll(async () => {
    [gym, workout] = await Promise.all([startServiceProcess('gym', env), startServiceProcess('workout', env)]);
    processes.push(gym, workout);
    proxy = await startCountingProxy(workout.url, {
      onRequest: async (body) => {
        if (/"query":"mutation/.test(body)) mutationsArrived.push(body);
        else if (delayQueriesMs > 0 && body.includes('workout')) await new Promise((resolve) => setTimeout(resolve, delayQueriesMs));
      },
    });
    const nowhere = `http://127.0.0.1:${await freePort()}/graphql`;
    gateway = await startServiceProcess('gateway', {
      ...env,
      GYM_SUBGRAPH_URL: gym.url,
      WORKOUT_SUBGRAPH_URL: proxy.url,
      USER_SUBGRAPH_URL: nowhere,
      NUTRITION_SUBGRAPH_URL: nowhere,
      CHAT_SUBGRAPH_URL: nowhere,
      WORKOUT_SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS),
      SUBGRAPH_BREAKER_CONSECUTIVE_FAILURES: '2',
      SUBGRAPH_BREAKER_RESET_MS: '3000',
    });
    processes.push(gateway);
    token = (await testViewer('MEMBER', randomUUID())).token;
    ({ startWorkout: { id: workoutId } } = await graphqlData(gateway.url, 'mutation { startWorkout { id } }', { token }));
    ({ exercises: [{ id: exerciseId }] } = await graphqlData(gateway.url, '{ exercises(search: "press") { id } }', { token }));
  });
  afterAll(async () => {
    if (workout?.pid()) process.kill(workout.pid(), 'SIGCONT');
    await Promise.allSettled(processes.map((service) => service.stop()));
    await proxy?.stop();
    if (env.DATABASE_URL) await dropDatabasesWithPrefix(env.DATABASE_URL, env.DATABASE_NAME_PREFIX!);
    if (env.REDIS_URL) await deleteRedisKeys(env.REDIS_URL, env.REDIS_KEY_PREFIX!);
  });

  it('answers the gym fields plus SUBGRAPH_* errors while workout is SIGSTOPped (p99 below the timeout), recovers after SIGCONT, never retries a mutation', async () => {
    const gatewayPid = gateway.pid();
    const samples: Sample[] = [];
    const mutationsSent: { weightKg: number; codes: unknown[] }[] = [];
    let running = true;
    const queryWorker = async () => {
      while (running) {
        const startedAt = performance.now();
        const response = await graphql<Board>(gateway.url, BOARD, { token, variables: { id: workoutId } });
        samples.push({ startedAt, latencyMs: performance.now() - startedAt, response });
        // Paced a little: the suite's other files share the machine.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const mutationWorker = async () => {
      for (let n = 1; running; n += 1) {
        // A distinct weight per call: a retried mutation would arrive twice with the same body.
        const weightKg = n / 10;
        const response = await graphql(gateway.url, LOG_SET, { token, variables: { id: workoutId, input: { exerciseId, reps: 1, weightKg } } });
        mutationsSent.push({ weightKg, codes: (response.errors ?? []).map((error) => error.extensions?.code) });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const workers = [queryWorker(), queryWorker(), mutationWorker()];
    let pausedAt = 0;
    let resumedAt = 0;
    let recoveredAt = 0;
    let fullAgainAt = 0;
    try {
      await eventually(() => samples.filter((sample) => isFull(sample.response)).length >= 20, { what: 'full answers before the pause' });
      pausedAt = performance.now();
      process.kill(workout.pid(), 'SIGSTOP');
      // Until the breaker has opened and gone half-open at least once, with at least 100 samples
      // per call that waited for the timeout (a p99 needs them; a breaker that never opens never gets there).
      await eventually(
        () => {
          const paused = samples.filter((s) => s.startedAt > pausedAt);
          const slow = paused.filter((s) => s.latencyMs >= TIMEOUT_MS).length;
          return performance.now() - pausedAt > 5000 && paused.length >= 300 && paused.length >= 100 * slow;
        },
        { what: 'enough queries during the pause', timeoutMs: 60_000 },
      );
      resumedAt = performance.now();
      process.kill(workout.pid(), 'SIGCONT');
      await eventually(() => samples.some((sample) => sample.startedAt > resumedAt && isFull(sample.response)), {
        what: 'a full answer after SIGCONT',
        timeoutMs: 15_000,
      });
      recoveredAt = Math.min(...samples.filter((s) => s.startedAt > resumedAt && isFull(s.response)).map((s) => s.startedAt + s.latencyMs));
      fullAgainAt = performance.now();
      await eventually(() => samples.filter((s) => s.startedAt > fullAgainAt).length >= 20, { what: 'queries after recovery' });
    } finally {
      running = false;
      process.kill(workout.pid(), 'SIGCONT');
      await Promise.all(workers);
    }

    // During the pause: gym data, workout null, one coded error naming the workout subgraph.
    const paused = samples.filter((s) => s.startedAt > pausedAt && s.startedAt + s.latencyMs < resumedAt);
    for (const { response } of paused) {
      expect(response.status).toBe(200);
      expect(response.data?.gyms.length).toBeGreaterThan(0);
      expect(response.data?.workout).toBeNull();
      expect(response.errors).toEqual([
        expect.objectContaining({
          extensions: { code: expect.stringMatching(/^SUBGRAPH_(UNAVAILABLE|TIMEOUT)$/), serviceName: 'workout' },
        }),
      ]);
    }
    const latencies = paused.map((s) => s.latencyMs);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const timedOut = paused.filter((s) => s.response.errors?.[0]?.extensions?.code === 'SUBGRAPH_TIMEOUT').length;
    console.info(
      `paused: ${paused.length} queries, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms, ${timedOut} timed out; ` +
        `full answers again ${(recoveredAt - resumedAt).toFixed(0)} ms after SIGCONT; mutations sent ${mutationsSent.length}, arrived ${mutationsArrived.length}`,
    );
    expect(p99).toBeLessThan(TIMEOUT_MS);
    // Nothing waits much beyond the timeout, and most calls fail fast on the open breaker.
    expect(Math.max(...latencies)).toBeLessThan(TIMEOUT_MS + 2000);
    expect(timedOut).toBeLessThan(paused.length / 10);
    // Recovered on its own, within seconds, and stays recovered; same gateway process throughout.
    expect(recoveredAt - resumedAt).toBeLessThan(8000);
    expect(samples.filter((s) => s.startedAt > fullAgainAt).every((s) => isFull(s.response))).toBe(true);
    expect(gateway.pid()).toBe(gatewayPid);
    expect(gateway.exitCode()).toBeNull();
    expect((await gateway.health()).breakers).toMatchObject({ gym: 'closed', workout: 'closed' });

    // Mutations: never retried (each body arrived at most once), and those refused during the pause say why.
    await eventually(() => mutationsArrived.length >= mutationsSent.filter((m) => m.codes.length === 0).length, { what: 'mutations to arrive' });
    expect(new Set(mutationsArrived).size).toBe(mutationsArrived.length);
    expect(mutationsArrived.length).toBeLessThanOrEqual(mutationsSent.length);
    const refused = mutationsSent.filter((m) => m.codes.length > 0);
    expect(refused.length).toBeGreaterThan(0);
    for (const mutation of refused) expect(mutation.codes).toEqual([expect.stringMatching(/^SUBGRAPH_(UNAVAILABLE|TIMEOUT)$/)]);
  });

  it('drains on SIGTERM: the in-flight query is answered, sockets close with 1001, exit code 0', async () => {
    await eventually(async () => isFull(await graphql<Board>(gateway.url, BOARD, { token, variables: { id: workoutId } })), {
      what: 'full answers',
    });
    const ws = graphqlWsClient(gateway.url, { token });
    await ws.connected;
    const closed = ws.nextClose();
    delayQueriesMs = 700;
    const inFlight = graphql<Board>(gateway.url, BOARD, { token, variables: { id: workoutId } });
    // The query is held at the workout proxy: it has reached the gateway and is in flight.
    const requestsBefore = proxy.requests;
    await eventually(() => proxy.requests > requestsBefore, { what: 'the query to reach the workout subgraph' });
    await gateway.stop();
    const response = await inFlight;
    expect(response.errors).toBeUndefined();
    expect(isFull(response)).toBe(true);
    expect((await closed).code).toBe(1001);
    expect(gateway.exitCode()).toBe(0);
  });
});

describe('timeoutAndRetry against a subgraph that drops connections', () => {
  let server: Server;
  let url: string;
  /** Requests whose connection is destroyed before any answer (a crashing subgraph, a reset keep-alive socket). */
  let dropNext = 0;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push(Buffer.concat(chunks).toString());
      if (dropNext > 0) {
        dropNext -= 1;
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const fetcher = composeFetcher(fetch, timeoutAndRetry({ serviceName: 'flaky', timeoutMs: 2000, retries: 2, retryBaseMs: 5 }));
  const send = (query: string) =>
    fetcher(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: {} }) });

  it('retries a query after dropped connections and answers it', async () => {
    received.length = 0;
    dropNext = 2;
    const response = await send('query Q__flaky__0 { ok }');
    expect(await response.json()).toEqual({ data: { ok: true } });
    expect(received).toHaveLength(3);
  });

  it('never retries a mutation: one attempt, then SUBGRAPH_UNAVAILABLE naming the subgraph', async () => {
    received.length = 0;
    dropNext = 1;
    const failure = await send('mutation M__flaky__0 { ok }').catch((error: unknown) => error);
    expect(failure).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'flaky' } });
    expect(received).toHaveLength(1);
  });

  it('gives up on a query when retries are used up', async () => {
    received.length = 0;
    dropNext = 5;
    const failure = await send('{ ok }').catch((error: unknown) => error);
    expect(failure).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'flaky' } });
    expect(received).toHaveLength(3);
    dropNext = 0;
  });
});
