/**
 * A subgraph answers only the gateway, and holds even if something else reaches it: every
 * `/graphql` request and WebSocket upgrade must carry the gateway's attestation (403 otherwise);
 * the gateway's operation limits apply on HTTP and graphql-ws before anything runs; subscriptions
 * are capped per socket and per process; bodies and frames are bounded; `/metrics` and the
 * detailed readiness live on an internal listener; production gives no introspection and no
 * "Did you mean" hints.
 */
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { gymSubgraph } from '@fitgraph/gym-subgraph';
import { devGatewaySecret, loadSubgraphConfig } from '@fitgraph/platform';
import { createGatewaySigner } from '@fitgraph/service-kit';
import { errorCodes, gatewayHeaders, graphql, graphqlData, graphqlWsClient, startTestSubgraph, type TestSubgraph } from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** The finding: 1,200 aliases of a six-level `gyms { machines { gym { machines … } } }` (72 s, 442 MB, 4.28 GB RSS without limits). */
const aliasFlood = `{ ${range(1200)
  .map((i) => `a${i}: gyms { machines { gym { machines { gym { machines { id } } } } } }`)
  .join(' ')} }`;
/** Within depth 10, but ~10^5 machines at 10 per list. */
const costly = '{ gyms { machines { gym { machines { gym { machines { gym { machines { id } } } } } } } } }';
const limitOf = (errors: unknown) => (errors as { extensions?: { code?: string; limit?: string } }[] | undefined)?.[0]?.extensions;
const forbidden = { errors: [{ message: 'Forbidden: this service answers only the gateway', extensions: { code: 'FORBIDDEN' } }] };

/** The status a WebSocket upgrade to `url` is answered with (101 when it opens). */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
    socket.once('unexpected-response', (request, response) => {
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', reject);
  });
}

describe('subgraph edge (gym subgraph, called as the gateway would and as anyone else might)', () => {
  let gym: TestSubgraph<any>;
  let capped: TestSubgraph<any>;
  let production: TestSubgraph<any>;
  let gymIds: string[];
  beforeAll(async () => {
    [gym, capped, production] = await Promise.all([
      startTestSubgraph(gymSubgraph),
      startTestSubgraph(gymSubgraph, { env: { SUBGRAPH_SUBSCRIPTIONS_PER_SOCKET: '3', SUBGRAPH_SUBSCRIPTIONS_MAX: '5' } }),
      startTestSubgraph(gymSubgraph, { production: true }),
    ]);
    gymIds = (await graphqlData<{ gyms: { id: string }[] }>(capped.url, '{ gyms { id } }')).gyms.map((g) => g.id);
  });
  afterAll(async () => {
    await Promise.allSettled([gym, capped, production].map((subgraph) => subgraph?.stop()));
  });

  describe('only the gateway', () => {
    const signer = createGatewaySigner(devGatewaySecret);
    const cases: [string, () => Record<string, string>][] = [
      ['unsigned', () => ({})],
      ['forged (another secret)', () => createGatewaySigner('not-the-gateway-secret-but-just-as-long').headers('127.0.0.1')],
      ['expired (signed 10 minutes ago)', () => signer.headers('127.0.0.1', Date.now() - 10 * 60_000)],
      ['tampered (signed for another client address)', () => ({ ...signer.headers('127.0.0.1'), 'x-gateway-client-ip': '203.0.113.9' })],
    ];

    it.each(cases)('refuses a %s HTTP request with 403 FORBIDDEN, _service { sdl } included', async (_case, headers) => {
      for (const query of ['{ gyms { id } }', '{ _service { sdl } }']) {
        const response = await fetch(gym.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers() }, body: JSON.stringify({ query }) });
        expect(response.status).toBe(403);
        expect(await response.json()).toEqual(forbidden);
      }
      expect((await fetch(`${gym.url}?query=${encodeURIComponent('{ gyms { id } }')}`, { headers: headers() })).status).toBe(403);
    });

    it.each(cases)('refuses a %s WebSocket upgrade with 403', async (_case, headers) => {
      expect(await upgradeStatus(gym.url, headers())).toBe(403);
    });

    it('serves what the gateway signed, over HTTP and WebSocket; /healthz and /readyz stay open for probes', async () => {
      expect((await graphql(gym.url, '{ _service { sdl } }')).data?._service.sdl).toContain('type Gym');
      expect(await upgradeStatus(gym.url, gatewayHeaders(gym.url))).toBe(101);
      const ws = graphqlWsClient(gym.url);
      await ws.connected;
      expect((await ws.execute({ query: '{ gyms { id } }' })).data?.gyms).toHaveLength(3);
      await ws.close();
      const base = gym.url.replace(/\/graphql$/, '');
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${base}/readyz`);
      expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready' } });
    });
  });

  // The gateway's OPERATION_* settings, with twice the tokens, bytes, aliases and cost for what the query planner adds (tests/edge.test.ts).
  describe('the operation limits (the gateway\'s OPERATION_* settings)', () => {
    it('refuses the finding\'s 1,200-alias query at once with OPERATION_LIMIT_EXCEEDED, and keeps answering', async () => {
      const started = performance.now();
      const response = await graphql(gym.url, aliasFlood);
      const ms = performance.now() - started;
      console.log(`1,200-alias query (${Buffer.byteLength(aliasFlood)} bytes) refused in ${ms.toFixed(1)} ms`);
      expect(ms).toBeLessThan(1000);
      expect(response.status).toBe(400);
      expect(response.data).toBeUndefined();
      expect(limitOf(response.errors)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'tokens', max: 4000 });
      expect((await graphql(gym.url, '{ gyms { id } }')).data?.gyms).toHaveLength(3);
    });

    it.each([
      ['aliases', `{ ${range(61).map((i) => `a${i}: gyms { id }`).join(' ')} }`],
      ['rootFields', `{ ${range(21).map(() => 'gyms { id }').join(' ')} }`],
      ['depth', '{ gyms { machines { gym { machines { gym { machines { gym { machines { gym { machines { id } } } } } } } } } } }'],
      ['cost', costly],
      ['tokens', `{ gyms { ${range(4100).map(() => '__typename').join(' ')} } }`],
    ])('refuses %s over the limit, over HTTP and graphql-ws alike', async (limit, query) => {
      const response = await graphql(gym.url, query);
      expect(response.status).toBe(400);
      expect(limitOf(response.errors)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit });
      const ws = graphqlWsClient(gym.url);
      await ws.connected;
      const refused = await ws.execute({ query }).then(
        () => undefined,
        (errors: unknown) => errors,
      );
      expect(limitOf(refused)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit });
      await ws.close();
    });

    it('lets the gateway\'s entity fetches through: many representations are one list', async () => {
      const machines = (await graphqlData<{ gyms: { machines: { id: string }[] }[] }>(gym.url, '{ gyms { machines { id } } }')).gyms.flatMap((g) => g.machines);
      const representations = range(500).map((i) => ({ __typename: 'Machine', id: machines[i % machines.length]!.id }));
      const query =
        'query($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on Machine { id name status gym { id name machines { id name } } } } }';
      const data = await graphqlData<{ _entities: unknown[] }>(gym.url, query, { variables: { representations } });
      expect(data._entities).toHaveLength(500);
    });
  });

  describe('subscription caps', () => {
    const subscription = (gymId: string) => ({ query: 'subscription($gymId: ID!) { machineStatusChanged(gymId: $gymId) { id } }', variables: { gymId } });

    it('refuses a socket\'s operation over SUBGRAPH_SUBSCRIPTIONS_PER_SOCKET and the process\'s over SUBGRAPH_SUBSCRIPTIONS_MAX, with RATE_LIMITED', async () => {
      const first = graphqlWsClient(capped.url);
      await first.connected;
      const open = range(3).map((i) => first.subscribe(subscription(gymIds[i % gymIds.length]!)));
      await expect.poll(() => capped.activeSubscriptions()).toBe(3);
      const overSocket = first.subscribe(subscription(gymIds[0]!));
      const ended = await overSocket.ended;
      expect(limitOf(ended.error)).toMatchObject({ code: 'RATE_LIMITED', limit: 3 });
      // A completed one frees its place on the socket.
      open[0]!.unsubscribe();
      await expect.poll(() => capped.activeSubscriptions()).toBe(2);
      const again = first.subscribe(subscription(gymIds[0]!));
      await expect.poll(() => capped.activeSubscriptions()).toBe(3);

      const second = graphqlWsClient(capped.url);
      await second.connected;
      second.subscribe(subscription(gymIds[1]!));
      second.subscribe(subscription(gymIds[2]!));
      await expect.poll(() => capped.activeSubscriptions()).toBe(5);
      const overProcess = second.subscribe(subscription(gymIds[0]!));
      expect(limitOf((await overProcess.ended).error)).toMatchObject({ code: 'RATE_LIMITED', limit: 5 });
      expect(again.isEnded).toBe(false);
      // Queries still run on a full socket's neighbour, and closing sockets frees everything.
      expect((await second.execute({ query: '{ gyms { id } }' })).data?.gyms).toHaveLength(3);
      await Promise.all([first.close(), second.close()]);
      await expect.poll(() => capped.activeSubscriptions()).toBe(0);
    });

    it('the finding, at the defaults: one socket takes 500 subscriptions (above the gateway\'s 200 per user on its one socket per identity), not 501', async () => {
      expect(loadSubgraphConfig(gymSubgraph, {}).subscriptionCaps).toEqual({ perSocket: 500, total: 20_000 });
      const socket = graphqlWsClient(gym.url);
      await socket.connected;
      const open = range(500).map((i) => socket.subscribe(subscription(gymIds[i % gymIds.length]!)));
      await expect.poll(() => gym.activeSubscriptions(), { timeout: 30_000 }).toBe(500);
      const refused = socket.subscribe(subscription(gymIds[0]!));
      expect(limitOf((await refused.ended).error)).toMatchObject({ code: 'RATE_LIMITED', limit: 500 });
      expect(open.every((s) => !s.isEnded)).toBe(true);
      await socket.close();
      await expect.poll(() => gym.activeSubscriptions(), { timeout: 30_000 }).toBe(0);
    });
  });

  describe('internal listener', () => {
    it('serves /metrics and the detailed readiness apart from the public port, which shows neither', async () => {
      const base = gym.url.replace(/\/graphql$/, '');
      expect(new URL(gym.internalUrl).port).not.toBe(new URL(base).port);
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      const metrics = await (await fetch(`${gym.internalUrl}/metrics`)).text();
      expect(metrics).toMatch(/^fitgraph_graphql_operations_total\{.*service="gym-subgraph".*\} \d+$/m);
      const ready = (await (await fetch(`${gym.internalUrl}/readyz`)).json()) as { status: string; subgraph: string; dependencies: { name: string }[] };
      expect(ready).toMatchObject({ status: 'ready', subgraph: 'gym' });
      expect(ready.dependencies.map((d) => d.name)).toContain('database');
      const publicReady = await (await fetch(`${base}/readyz`)).text();
      expect(publicReady).not.toContain('database');
      expect(await (await fetch(`${gym.internalUrl}/healthz`)).json()).toMatchObject({ status: 'ok', subgraph: 'gym', activeSubscriptions: 0 });
    });
  });

  it('closes a WebSocket that sends a frame over 1 MiB (1009) and answers a 2 MB body with 413, not 500', async () => {
    const socket = new WebSocket(gym.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: gatewayHeaders(gym.url) });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(await closed).toBe(1009);

    const response = await fetch(gym.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gatewayHeaders(gym.url) },
      body: JSON.stringify({ query: '{ gyms { id } }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('answers malformed, non-object, mis-encoded and streamed oversized bodies with coded JSON errors, never 500', async () => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(gym.url, { method: 'POST', headers: { 'content-type': 'application/json', ...gatewayHeaders(gym.url), ...headers }, body });
    const refusal = async (response: Response) => ({ status: response.status, body: await response.json() });
    const malformed = { errors: [{ message: 'Malformed request body', extensions: { code: 'BAD_REQUEST' } }] };
    expect(await refusal(await post('{"query": "{ gyms { id } }"'))).toEqual({ status: 400, body: malformed });
    expect(await refusal(await post('"{ gyms { id } }"'))).toEqual({ status: 400, body: malformed });
    expect(await refusal(await post('{}', { 'content-type': 'application/json; charset=latin1' }))).toEqual({ status: 415, body: malformed });
    expect(await refusal(await post('{}', { 'content-encoding': 'compress' }))).toEqual({ status: 415, body: malformed });
    // A body over 1 MiB without a declared length is counted as it arrives (and read off before the answer).
    const streamed = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const request = httpRequest(gym.url, { method: 'POST', headers: { 'content-type': 'application/json', ...gatewayHeaders(gym.url) } }, (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
      });
      request.on('error', reject);
      request.write(`{"query": "{ gyms { id } }", "variables": {"pad": "`);
      for (let i = 0; i < 17; i += 1) request.write('x'.repeat(64 * 1024));
      request.end('"}}');
    });
    expect(streamed).toEqual({ status: 413, body: malformed });
    // Not JSON at all: Apollo Server's own 400, a GraphQL error.
    const text = await post('{ gyms { id } }', { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    // Compressed and GET requests are answered.
    const gzipped = await post(gzipSync(JSON.stringify({ query: '{ gyms { id } }' })), { 'content-encoding': 'gzip' });
    expect(((await gzipped.json()) as any).data.gyms).toHaveLength(3);
    const viaGet = await fetch(`${gym.url}?query=${encodeURIComponent('{ gyms { id } }')}`, { headers: { 'apollo-require-preflight': 'true', ...gatewayHeaders(gym.url) } });
    expect(((await viaGet.json()) as any).data.gyms).toHaveLength(3);
  });

  it('refuses broken input over graphql-ws too (the HTTP pipeline does not run there)', async () => {
    const ws = graphqlWsClient(gym.url);
    try {
      await ws.connected;
      const refused = await ws
        .execute({ query: 'query($id: ID!) { gym(id: $id) { id } }', variables: { id: 'a\u0000b' } })
        .catch((error: unknown) => ({ errors: error as { extensions?: unknown }[] }));
      expect(JSON.stringify(refused)).toContain('BAD_USER_INPUT');
    } finally {
      await ws.close();
    }
  });

  it('production: no introspection and no "Did you mean" hints', async () => {
    const introspection = await graphql(production.url, '{ __schema { queryType { name } } }');
    expect(errorCodes(introspection)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const typo = await graphql(production.url, '{ gymz { id } }');
    expect(typo.errors?.[0]?.message).toBe('Cannot query field "gymz" on type "Query".');
    // Development keeps both (Sandbox and developers use them).
    expect((await graphql(gym.url, '{ gymz { id } }')).errors?.[0]?.message).toMatch(/Did you mean "gyms?"/);
    expect((await graphql(gym.url, '{ __schema { queryType { name } } }')).errors).toBeUndefined();
  });
});
