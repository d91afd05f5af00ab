/**
 * Sessions and rate limits while Redis is away, against real PostgreSQL and Redis; Redis is cut
 * and brought back through a TCP proxy in front of it (the machine's Redis keeps running).
 *
 * - Sign-out answers `true`; its refresh token is refused at once; the user subgraph refuses its
 *   access token at once; a chat replica and a gateway replica with revocation lists of their
 *   own refuse it (and the chat replica closes the session's open socket) within a bounded delay
 *   once Redis returns (measured). Account deletion likewise; sign-up answers in under a second.
 * - Two replicas' rate limiters, cut from Redis, grant together at most what was left of the
 *   budget, and what they granted meanwhile still counts once Redis is back.
 */
import { randomUUID } from 'node:crypto';
import { readSupergraph } from '@fitgraph/gateway/composition';
import { gatewayOptionsOf, loadGatewayEnv } from '@fitgraph/gateway/env';
import { chatSubgraph } from '@fitgraph/chat-subgraph';
import { loadSubgraphConfig, startSubgraphService, type RunningSubgraph } from '@fitgraph/platform';
import { createLogger, deleteRedisKeys, openRateLimiters, openRevocationList, type RateLimiters } from '@fitgraph/service-kit';
import {
  errorCodes,
  eventually,
  graphql,
  graphqlWsClient,
  signAsGatewayFor,
  signUpUser,
  startTcpProxy,
  startTestGateway,
  startTestStack,
  testScope,
  type TcpProxy,
  type TestStack,
} from '@fitgraph/testkit';
import type { RunningGateway } from '@fitgraph/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const realServers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

const signOut = 'mutation($t: String!) { signOut(refreshToken: $t) }';
const refresh = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }';

/** REDIS_URL with the host and port of `proxy`. */
function throughProxy(proxy: TcpProxy): string {
  const url = new URL(process.env.REDIS_URL!);
  url.host = `127.0.0.1:${proxy.port}`;
  return url.toString();
}

async function redisProxy(): Promise<TcpProxy> {
  const redis = new URL(process.env.REDIS_URL!);
  return startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
}

describe.skipIf(!realServers)('sign-out while Redis is away', () => {
  let proxy: TcpProxy;
  let stack: TestStack;
  let chatReplica: RunningSubgraph;
  let gatewayReplica: RunningGateway;

  beforeAll(async () => {
    proxy = await redisProxy();
    // The stack (gateway and every subgraph in one process, one revocation list) stands for the
    // user subgraph's process; a chat replica and a gateway replica run beside it with lists of
    // their own, all through the same proxy.
    stack = await startTestStack({ REDIS_URL: throughProxy(proxy), RATE_LIMIT_REPLICAS: '2', SIGN_IN_MAX_FAILURES: '4' });
    const chatConfig = loadSubgraphConfig(chatSubgraph, stack.env);
    chatReplica = await startSubgraphService(chatSubgraph, { ...chatConfig, port: 0 });
    // Calls to the replica stand in for the gateway's.
    testScope.defer(signAsGatewayFor(chatReplica.url, chatConfig.gatewaySecret));
    const gatewayConfig = loadGatewayEnv(stack.env);
    const revocations = await openRevocationList({
      redisUrl: stack.env.REDIS_URL,
      keyPrefix: stack.env.REDIS_KEY_PREFIX!,
      accessTokenTtlSeconds: gatewayConfig.auth.accessTokenTtlSeconds,
    });
    gatewayReplica = await startTestGateway({
      ...gatewayOptionsOf(gatewayConfig),
      supergraphSdl: readSupergraph(),
      subgraphUrls: { ...Object.fromEntries(Object.entries(stack.subgraphs).map(([name, service]) => [name, service.url])), chat: chatReplica.url },
      revocations,
    });
    // The gateway replica's stop() does not close a list it was given.
    const stopGateway = gatewayReplica.stop;
    gatewayReplica = { ...gatewayReplica, stop: async () => (await stopGateway(), await revocations.close()) };
  }, 120_000);

  afterAll(async () => {
    await proxy?.resume().catch(() => {});
    await gatewayReplica?.stop();
    await chatReplica?.stop();
    await stack?.stop();
    await proxy?.close();
  });

  // First, before any other test cuts Redis: its attempts before the cut must reach Redis, not a
  // limiter still reconnecting from an earlier cut (which would count them in process).
  it('the sign-in throttle keeps its count without Redis: a replica allows half of what was left (RATE_LIMIT_REPLICAS=2)', async () => {
    const member = await signUpUser(stack.gateway.url);
    const attempt = 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { accessToken } }';
    const wrong = () => graphql(stack.subgraphs.user.url, attempt, { variables: { e: member.email, p: `wrong-${randomUUID()}` } });
    for (let i = 0; i < 2; i += 1) expect(errorCodes(await wrong())).toEqual(['UNAUTHENTICATED']);
    await proxy.pause();
    try {
      // SIGN_IN_MAX_FAILURES=4, 2 used: this replica may allow floor(2 / 2) = 1 more, not a fresh 4.
      expect(errorCodes(await wrong())).toEqual(['UNAUTHENTICATED']);
      const refused = await wrong();
      expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
      expect(refused.errors![0]!.extensions!.retryAfter).toBeGreaterThan(800);
    } finally {
      await proxy.resume();
    }
    // Back on the shared count, which now holds the attempts made meanwhile too.
    expect(errorCodes(await wrong())).toEqual(['RATE_LIMITED']);
  }, 60_000);

  it('answers true, refuses the refresh token at once, and every replica refuses the access token soon after Redis returns', async () => {
    const member = await signUpUser(stack.gateway.url);
    const conversations = '{ conversations { id } }';
    expect(errorCodes(await graphql(chatReplica.url, conversations, { token: member.accessToken }))).toEqual([]);
    expect(errorCodes(await graphql(gatewayReplica.url, '{ me { id } }', { token: member.accessToken }))).toEqual([]);
    // An open socket of the session on the chat replica is closed too, once the revocation arrives.
    const socket = graphqlWsClient(chatReplica.url, { token: member.accessToken });
    await socket.connected;
    const socketClosed = socket.nextClose();

    await proxy.pause();
    const signingOut = performance.now();
    const response = await graphql(stack.subgraphs.user.url, signOut, { variables: { t: member.refreshToken } });
    const signOutMs = performance.now() - signingOut;
    expect(response.errors).toBeUndefined();
    expect(response.data?.signOut).toBe(true);

    // Durable at once: the session is over in the user database, whatever Redis does.
    expect(errorCodes(await graphql(stack.subgraphs.user.url, refresh, { variables: { t: member.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(stack.subgraphs.user.url, '{ me { id } }', { token: member.accessToken }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(stack.gateway.url, '{ me { id } }', { token: member.accessToken }))).toEqual(['UNAUTHENTICATED']);

    // Several relay attempts fail meanwhile; the revocation must survive them.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(errorCodes(await graphql(stack.subgraphs.user.url, refresh, { variables: { t: member.refreshToken } }))).toEqual(['UNAUTHENTICATED']);

    await proxy.resume();
    const back = performance.now();
    await eventually(
      async () =>
        errorCodes(await graphql(chatReplica.url, conversations, { token: member.accessToken })).includes('UNAUTHENTICATED') &&
        errorCodes(await graphql(gatewayReplica.url, '{ me { id } }', { token: member.accessToken })).includes('UNAUTHENTICATED'),
      { timeoutMs: 10_000, intervalMs: 20, what: 'the chat and gateway replicas to refuse the signed-out token' },
    );
    const refusedAfterMs = performance.now() - back;
    expect(await socketClosed).toMatchObject({ code: 4403, reason: 'Session revoked' });
    console.log(`sign-out without Redis answered in ${signOutMs.toFixed(0)} ms; refused by the other replicas ${refusedAfterMs.toFixed(0)} ms after Redis returned`);
    // Redis reconnects at most 2 s apart (service-kit dependencies.ts) and the relay retries every second.
    expect(refusedAfterMs).toBeLessThan(5000);
    expect(errorCodes(await graphql(stack.subgraphs.user.url, refresh, { variables: { t: member.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
  }, 60_000);

  it('sign-up without Redis answers (well within the gateway timeout), and the same sign-up again reaches the same account', async () => {
    const input = { email: `outage-${randomUUID().slice(0, 8)}@test.fitgraph.dev`, password: `pw-${randomUUID()}`, displayName: 'Outage' };
    const signUp = 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }';
    await proxy.pause();
    try {
      const started = performance.now();
      const first = await graphql(stack.gateway.url, signUp, { variables: { input } });
      const firstMs = performance.now() - started;
      const repeating = performance.now();
      const again = await graphql(stack.gateway.url, signUp, { variables: { input } });
      const againMs = performance.now() - repeating;
      console.log(`sign-up without Redis answered in ${firstMs.toFixed(0)} ms, repeated in ${againMs.toFixed(0)} ms`);
      expect(first.errors).toBeUndefined();
      expect(again.errors).toBeUndefined();
      expect((again.data as { signUp: { user: { id: string } } }).signUp.user.id).toBe((first.data as { signUp: { user: { id: string } } }).signUp.user.id);
      expect(firstMs).toBeLessThan(5000);
      expect(againMs).toBeLessThan(5000);
    } finally {
      await proxy.resume();
    }
  }, 60_000);

  it('deleteAccount answers true without Redis; the replicas refuse the deleted account’s token once it returns', async () => {
    const member = await signUpUser(stack.gateway.url);
    await proxy.pause();
    const deleted = await graphql(stack.subgraphs.user.url, 'mutation { deleteAccount }', { token: member.accessToken });
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data?.deleteAccount).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await proxy.resume();
    await eventually(
      async () =>
        errorCodes(await graphql(chatReplica.url, '{ conversations { id } }', { token: member.accessToken })).includes('UNAUTHENTICATED') &&
        errorCodes(await graphql(gatewayReplica.url, '{ conversations { id } }', { token: member.accessToken })).includes('UNAUTHENTICATED'),
      { timeoutMs: 10_000, intervalMs: 20, what: 'the replicas to refuse the deleted account’s token' },
    );
  }, 60_000);
});

describe.skipIf(!realServers)('rate limits while Redis is away', () => {
  let proxy: TcpProxy;
  const keyPrefix = `fgt:outage:${randomUUID()}:`;
  const opened: RateLimiters[] = [];
  const logger = createLogger('rate-limit-test', 'silent');

  beforeAll(async () => {
    proxy = await redisProxy();
  });
  afterAll(async () => {
    await Promise.allSettled(opened.map((limiters) => limiters.close()));
    await proxy?.close();
    await deleteRedisKeys(process.env.REDIS_URL!, keyPrefix);
  });

  /** Two replicas' limiters of one budget, both through the proxy. */
  const twoReplicas = (points: number) =>
    [0, 1].map(() => {
      const limiters = openRateLimiters({ redisUrl: throughProxy(proxy), keyPrefix, logger, replicas: 2, keySecret: 'test-secret' });
      opened.push(limiters);
      return limiters.limiter(`budget-${points}-${randomUUID()}`, { points, durationSeconds: 60 });
    });

  it('two replicas together grant at most what was left of the budget, and it stays spent after Redis returns', async () => {
    const name = `budget-${randomUUID()}`;
    const [a, b] = [0, 1].map(() => {
      const limiters = openRateLimiters({ redisUrl: throughProxy(proxy), keyPrefix, logger, replicas: 2, keySecret: 'test-secret' });
      opened.push(limiters);
      return limiters.limiter(name, { points: 10, durationSeconds: 60 });
    }) as [ReturnType<RateLimiters['limiter']>, ReturnType<RateLimiters['limiter']>];
    const key = 'member@example.com';
    // Four counted in Redis, round robin over the replicas.
    for (const replica of [a, b, a, b]) expect((await replica.consume(key)).limited).toBe(false);

    await proxy.pause();
    let granted = 0;
    for (let i = 0; i < 10; i += 1) {
      for (const replica of [a, b]) if (!(await replica.consume(key)).limited) granted += 1;
    }
    console.log(`two replicas without Redis granted ${granted} of the 6 left (budget 10, 4 used before the cut)`);
    expect(granted).toBeLessThanOrEqual(6);
    expect(granted).toBeGreaterThan(0);
    const refused = await a.consume(key);
    expect(refused.limited).toBe(true);
    expect(refused.limited && refused.retryAfterSeconds).toBeGreaterThan(50);

    await proxy.resume();
    // What the replicas counted meanwhile reaches the shared count: the window's budget stays spent.
    const afterReturn = await eventually(async () => {
      const verdict = await b.consume(key);
      return verdict.limited ? verdict : null;
    }, { what: 'a refusal from the shared count after Redis returned' });
    expect(afterReturn.limited).toBe(true);
    expect(await a.consumed(key)).toBeGreaterThanOrEqual(10);
  }, 30_000);

  it('a budget smaller than the replica count refuses while Redis is away; a fresh key gets half the budget per replica', async () => {
    const [small] = twoReplicas(1);
    const [a, b] = twoReplicas(5);
    await proxy.pause();
    expect((await small!.consume('someone')).limited).toBe(true);
    const grants = async (replica: typeof a) => {
      let count = 0;
      for (let i = 0; i < 5; i += 1) if (!(await replica!.consume('fresh')).limited) count += 1;
      return count;
    };
    expect([await grants(a), await grants(b)]).toEqual([2, 2]);
    await proxy.resume();
  });
});
