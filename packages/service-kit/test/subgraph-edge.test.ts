/**
 * A subgraph survives callers that skip the gateway: a depth limit on HTTP and graphql-ws, a
 * bounded WebSocket frame and HTTP body, `x-forwarded-for` believed only from trusted proxies,
 * and in production no introspection and no "Did you mean" hints.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { gymSubgraph } from '@fitgraph/gym-subgraph';
import { clientAddress, proxyTrust } from '@fitgraph/service-kit';
import { graphql, graphqlWsClient, startTestSubgraph, type TestSubgraph } from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

/** `{ gyms { machines { gym { machines … { id } } } } }` with `levels` machine lists (the attack: six). */
const nested = (levels: number) => `{ gyms { ${'machines { gym { '.repeat(levels - 1)}machines { id }${' } }'.repeat(levels - 1)} } }`;

describe('subgraph edge (gym subgraph, called directly)', () => {
  let gym: TestSubgraph<any>;
  let shallow: TestSubgraph<any>;
  let production: TestSubgraph<any>;
  beforeAll(async () => {
    [gym, shallow, production] = await Promise.all([
      startTestSubgraph(gymSubgraph),
      startTestSubgraph(gymSubgraph, { edge: { maxDepth: 4 } }),
      startTestSubgraph(gymSubgraph, { production: true }),
    ]);
  });
  afterAll(async () => {
    await Promise.allSettled([gym, shallow, production].map((subgraph) => subgraph?.stop()));
  });

  it("refuses the issue's six-level query at once with a coded error naming the limit", async () => {
    const query = nested(6);
    const started = performance.now();
    const response = await graphql(gym.url, query);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(400);
    expect(response.data).toBeUndefined();
    expect(response.errors).toEqual([
      expect.objectContaining({ message: 'Query depth limit of 10 exceeded, found 13.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', maximum: 10 } }),
    ]);
    // Still answering everyone else.
    expect((await graphql(gym.url, '{ gyms { id } }')).data?.gyms).toHaveLength(3);
  });

  it('accepts an operation at the limit and refuses one just over it, over HTTP and graphql-ws', async () => {
    const atLimit = '{ gyms { machines { gym { name } } } }'; // depth 4
    const overLimit = '{ gyms { machines { gym { machines { id } } } } }'; // depth 5
    const fragments = '{ gyms { ...G } } fragment G on Gym { machines { gym { name } } }'; // fragments do not count
    for (const query of [atLimit, fragments]) expect((await graphql(shallow.url, query)).errors).toBeUndefined();
    expect((await graphql(shallow.url, overLimit)).errors?.[0]?.extensions).toMatchObject({ limit: 'depth', maximum: 4 });

    const ws = graphqlWsClient(shallow.url);
    try {
      await ws.connected;
      expect((await ws.execute({ query: atLimit })).errors).toBeUndefined();
      const refused = await ws.execute({ query: overLimit }).catch((error: unknown) => ({ errors: error as { extensions?: unknown }[] }));
      expect(JSON.stringify(refused)).toContain('Query depth limit of 4 exceeded, found 5.');
    } finally {
      await ws.close();
    }
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

  it('closes a WebSocket that sends a frame over 1 MiB (1009) and answers a 2 MB body with 413, not 500', async () => {
    const socket = new WebSocket(gym.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(await closed).toBe(1009);

    const response = await fetch(gym.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ gyms { id } }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('answers malformed, non-object, mis-encoded and streamed oversized bodies with coded JSON errors, never 500', async () => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(gym.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const refusal = async (response: Response) => ({ status: response.status, body: await response.json() });
    const malformed = { errors: [{ message: 'Malformed request body', extensions: { code: 'BAD_REQUEST' } }] };
    expect(await refusal(await post('{"query": "{ gyms { id } }"'))).toEqual({ status: 400, body: malformed });
    expect(await refusal(await post('"{ gyms { id } }"'))).toEqual({ status: 400, body: malformed });
    expect(await refusal(await post('{}', { 'content-type': 'application/json; charset=latin1' }))).toEqual({ status: 415, body: malformed });
    expect(await refusal(await post('{}', { 'content-encoding': 'compress' }))).toEqual({ status: 415, body: malformed });
    // A body over 1 MiB without a declared length is counted as it arrives (and read off before the answer).
    const streamed = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const request = httpRequest(gym.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
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
    const viaGet = await fetch(`${gym.url}?query=${encodeURIComponent('{ gyms { id } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(((await viaGet.json()) as any).data.gyms).toHaveLength(3);
    // The probes still answer beside it.
    expect(((await (await fetch(gym.url.replace(/\/graphql$/, '/healthz'))).json()) as any).status).toBe('ok');
  });

  it('production: no introspection and no "Did you mean" hints', async () => {
    const introspection = await graphql(production.url, '{ __schema { queryType { name } } }');
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typo = await graphql(production.url, '{ gymz { id } }');
    expect(typo.errors?.[0]?.message).toBe('Cannot query field "gymz" on type "Query".');
    // Development keeps both (Sandbox and developers use them).
    expect((await graphql(gym.url, '{ gymz { id } }')).errors?.[0]?.message).toMatch(/Did you mean "gyms?"/);
    expect((await graphql(gym.url, '{ __schema { queryType { name } } }')).errors).toBeUndefined();
  });
});

describe('client address behind trusted proxies', () => {
  let server: Server;
  let url: string;
  let trusted: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => res.end(clientAddress(req, proxyTrust(trusted)) ?? ''));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const addressSeen = async (forwardedFor: string) => (await fetch(url, { headers: { 'x-forwarded-for': forwardedFor } })).text();

  it('believes x-forwarded-for only from a trusted peer, and only its nearest untrusted hop', async () => {
    trusted = [];
    expect(await addressSeen('203.0.113.7')).toBe('127.0.0.1');
    trusted = ['loopback'];
    expect(await addressSeen('203.0.113.7')).toBe('203.0.113.7');
    // A client's own forged entry sits left of what the proxy appended: not believed.
    expect(await addressSeen('198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
    trusted = ['10.0.0.0/8'];
    expect(await addressSeen('203.0.113.7')).toBe('127.0.0.1');
  });
});
