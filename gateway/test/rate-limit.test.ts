/**
 * Tiered request budgets at the gateway: two gateway processes on one Redis share each client's
 * budget (anonymous per IP, signed-in per user, staff bigger), HTTP answers carry `RateLimit-*`
 * headers and 429 + RATE_LIMITED beyond the budget, graphql-ws operations draw on the same
 * budget, and health endpoints never count. Without Redis the counters live in the process.
 */
import { loadAuthConfig } from '@fitgraph/platform';
import { createLogger, deleteRedisKeys } from '@fitgraph/service-kit';
import { graphql, graphqlWsClient, stackEnv, startServiceProcess, testViewer, type ServiceProcess, startTestGateway } from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeFixtures, startPeopleSubgraph, type FixtureSubgraph } from './fixtures/subgraphs';
import type { RunningGateway } from '../src/server';

const TYPENAME = '{ __typename }';
const codeOf = (response: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => response.errors?.[0]?.extensions?.code;

describe.skipIf(!process.env.REDIS_URL)('tiered rate limits across two gateway processes sharing Redis', () => {
  // stackEnv gives this test its own Redis key prefix; both gateways use the same one.
  const env = stackEnv({ RATE_LIMIT_ANONYMOUS: '100', RATE_LIMIT_MEMBER: '5', RATE_LIMIT_STAFF: '8', RATE_LIMIT_WINDOW_SECONDS: '60' });
  let gatewayA: ServiceProcess;
  let gatewayB: ServiceProcess;

  beforeAll(async () => {
    [gatewayA, gatewayB] = await Promise.all([startServiceProcess('gateway', env), startServiceProcess('gateway', env)]);
  });
  afterAll(async () => {
    await Promise.all([gatewayA?.stop(), gatewayB?.stop()]);
    await deleteRedisKeys(process.env.REDIS_URL!, env.REDIS_KEY_PREFIX!);
  });

  it('answers the 101st anonymous request in a minute with RATE_LIMITED, whichever gateway gets it', async () => {
    for (let i = 1; i <= 100; i += 1) {
      const response = await graphql((i % 2 ? gatewayA : gatewayB).url, TYPENAME);
      expect(response.errors, `request ${i}`).toBeUndefined();
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBe('100');
      expect(response.headers.get('ratelimit-remaining')).toBe(String(100 - i));
    }
    for (const gateway of [gatewayA, gatewayB]) {
      const refused = await graphql(gateway.url, TYPENAME);
      expect(refused.status).toBe(429);
      expect(codeOf(refused)).toBe('RATE_LIMITED');
      const retryAfter = refused.errors![0]!.extensions!.retryAfter as number;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    }
    // Operations over graphql-ws draw on the same (exhausted) budget of this client address.
    const ws = graphqlWsClient(gatewayB.url);
    try {
      await ws.connected;
      await expect(ws.execute({ query: TYPENAME })).rejects.toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) }) }),
      ]);
    } finally {
      await ws.close();
    }
    // Health and readiness are never limited.
    for (const path of ['/healthz', '/readyz']) {
      const response = await fetch(new URL(path, gatewayA.url));
      await response.body?.cancel();
      expect(response.status, path).not.toBe(429);
    }
  });

  it('counts signed-in users per user id, with the staff tier bigger, apart from the anonymous budget', async () => {
    const member = await testViewer('MEMBER');
    const otherMember = await testViewer('MEMBER');
    const trainer = await testViewer('TRAINER');
    for (let i = 1; i <= 5; i += 1) {
      const response = await graphql((i % 2 ? gatewayA : gatewayB).url, TYPENAME, { token: member.token });
      expect(response.errors, `member request ${i}`).toBeUndefined();
      expect(response.headers.get('ratelimit-limit')).toBe('5');
    }
    expect(codeOf(await graphql(gatewayB.url, TYPENAME, { token: member.token }))).toBe('RATE_LIMITED');
    // Another member's budget is untouched, and so is a trainer's (staff tier: 8).
    expect((await graphql(gatewayA.url, TYPENAME, { token: otherMember.token })).errors).toBeUndefined();
    for (let i = 1; i <= 8; i += 1) {
      const response = await graphql(gatewayA.url, TYPENAME, { token: trainer.token });
      expect(response.errors, `trainer request ${i}`).toBeUndefined();
      expect(response.headers.get('ratelimit-limit')).toBe('8');
    }
    expect(codeOf(await graphql(gatewayB.url, TYPENAME, { token: trainer.token }))).toBe('RATE_LIMITED');
    // A member over graphql-ws: one operation left for the other member, then refused.
    const ws = graphqlWsClient(gatewayB.url, { token: otherMember.token });
    try {
      await ws.connected;
      for (let i = 2; i <= 5; i += 1) expect((await ws.execute({ query: TYPENAME })).data).toEqual({ __typename: 'Query' });
      await expect(ws.execute({ query: TYPENAME })).rejects.toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) }),
      ]);
    } finally {
      await ws.close();
    }
  });
});

describe('tiered rate limits in one process (embedded default: no Redis)', () => {
  let people: FixtureSubgraph;
  let gateway: RunningGateway;

  beforeAll(async () => {
    people = await startPeopleSubgraph();
    gateway = await startTestGateway({
      supergraphSdl: composeFixtures([people]),
      auth: loadAuthConfig({}),
      logger: createLogger('gateway', process.env.TEST_LOG_LEVEL ?? 'silent'),
      rateLimits: { anonymous: 3, member: 5, staff: 10, windowSeconds: 60, keyPrefix: 'in-process:' },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await people?.stop();
  });

  it('refuses the anonymous client beyond its budget, and its data requests before that get answers', async () => {
    for (let i = 1; i <= 3; i += 1) {
      const response = await graphql(gateway.url, '{ person(id: "u-ada") { displayName } }');
      expect(response.data).toEqual({ person: { displayName: 'Ada' } });
      expect(response.headers.get('ratelimit-remaining')).toBe(String(3 - i));
    }
    const refused = await graphql(gateway.url, '{ person(id: "u-ada") { displayName } }');
    expect(refused.status).toBe(429);
    expect(refused.data).toBeUndefined();
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    // An SSE operation is an HTTP request too: refused before a stream opens.
    const sse = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: '{ person(id: "u-ada") { displayName } }' }),
    });
    expect(sse.status).toBe(429);
    expect(sse.headers.get('ratelimit-limit')).toBe('3');
    expect(codeOf((await sse.json()) as { errors?: { extensions?: Record<string, unknown> }[] })).toBe('RATE_LIMITED');
  });
});
