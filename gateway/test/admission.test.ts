/**
 * One admission for every transport, on the real supergraph (everything here is answered by the
 * gateway itself: refused before planning, or `{ __typename }`, so no subgraph runs). Behind a
 * trusted proxy (TRUSTED_PROXIES=loopback) each forwarded client is its own client for the
 * connection caps and the rate budget over HTTP, graphql-ws and SSE alike; GET event streams
 * draw on the budget like POSTs; an operation that cannot be resolved is a coded 4xx, never a
 * 500 or a logged stack; and the doubled-fragment document of 24 levels is refused at once
 * while /healthz keeps answering.
 */
import { loadAuthConfig } from '@fitgraph/platform';
import { createLogger } from '@fitgraph/service-kit';
import { startTestGateway } from '@fitgraph/testkit';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSupergraph } from '../src/composition';
import type { RunningGateway } from '../src/server';

const TYPENAME = '{ __typename }';
const budget = 12;
const connectionsPerIp = 3;
const codes = (errors: readonly GraphQLFormattedError[] | undefined) => (errors ?? []).map((error) => error.extensions?.code);

/** `fragment F0 on Query { ...F1 ...F1 } … fragment F23 on Query { ...F24 ...F24 }` after `{ ...F0 }`: 2^24 fields once expanded. */
const doubledFragments = (levels: number, leaf: string | null, { on = 'Query', operation = '{ ...F0 }' } = {}) =>
  [
    operation,
    ...Array.from({ length: levels }, (_, i) => `fragment F${i} on ${on} { ...F${i + 1} ...F${i + 1} }`),
    ...(leaf === null ? [] : [`fragment F${levels} on ${on} { ${leaf} }`]),
  ].join(' ');

/** One client, as a trusted proxy names it in `x-forwarded-for`. */
interface Client {
  post(body: Record<string, unknown>): Promise<{ status: number; headers: Headers; body: FormattedExecutionResult }>;
  get(params: Record<string, string>): Promise<{ status: number; body: FormattedExecutionResult }>;
  /** One operation over an event stream (GET parameters or a POST body): the events' payloads. */
  sse(method: 'GET' | 'POST', params: Record<string, unknown>): Promise<{ status: number; results: FormattedExecutionResult[]; body?: FormattedExecutionResult }>;
  /** A graphql-ws connection: acknowledged, or closed with a code. */
  socket(): Promise<{ socket: WebSocket; ack: boolean; closeCode?: number; execute(payload: Record<string, unknown>): Promise<FormattedExecutionResult> }>;
}

function clientAt(url: string, forwardedFor: string): Client {
  const headers = { 'x-forwarded-for': forwardedFor };
  const search = (params: Record<string, unknown>) =>
    new URLSearchParams(Object.entries(params).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)])).toString();
  return {
    post: async (body) => {
      const response = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, headers: response.headers, body: (await response.json()) as FormattedExecutionResult };
    },
    get: async (params) => {
      const response = await fetch(`${url}?${search(params)}`, { headers: { ...headers, 'apollo-require-preflight': 'true' } });
      return { status: response.status, body: (await response.json()) as FormattedExecutionResult };
    },
    sse: async (method, params) => {
      const init: RequestInit =
        method === 'GET'
          ? { headers: { ...headers, accept: 'text/event-stream' } }
          : { method, headers: { ...headers, accept: 'text/event-stream', 'content-type': 'application/json' }, body: JSON.stringify(params) };
      const response = await fetch(method === 'GET' ? `${url}?${search(params)}` : url, init);
      const text = await response.text();
      if (response.status !== 200) return { status: response.status, results: [], body: JSON.parse(text) as FormattedExecutionResult };
      const results = [...text.matchAll(/^event: next\ndata: (.*)$/gm)].map((match) => JSON.parse(match[1]!) as FormattedExecutionResult);
      return { status: response.status, results };
    },
    socket: () =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
        const pending = new Map<string, (result: FormattedExecutionResult) => void>();
        let ids = 0;
        const execute = (payload: Record<string, unknown>) =>
          new Promise<FormattedExecutionResult>((done) => {
            const id = String((ids += 1));
            pending.set(id, done);
            socket.send(JSON.stringify({ id, type: 'subscribe', payload }));
          });
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as { type: string; id?: string; payload?: unknown };
          if (message.type === 'connection_ack') resolve({ socket, ack: true, execute });
          if (message.type === 'next') pending.get(message.id!)?.(message.payload as FormattedExecutionResult);
          if (message.type === 'error') pending.get(message.id!)?.({ errors: message.payload as GraphQLFormattedError[] });
        });
        socket.on('close', (code) => resolve({ socket, ack: false, closeCode: code, execute }));
        socket.on('error', reject);
      }),
  };
}

describe('one admission for every transport, behind a trusted proxy', () => {
  let gateway: RunningGateway;
  const logged: { level: number; msg: string }[] = [];
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    const logger = createLogger('gateway', 'info', { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) });
    gateway = await startTestGateway({
      supergraphSdl: readSupergraph(),
      auth: loadAuthConfig({}),
      logger,
      trustedProxies: ['loopback'],
      rateLimits: { anonymous: budget, member: 1000, staff: 5000, windowSeconds: 60, keyPrefix: 'admission-test:' },
      subscriptions: { connections: { perIp: connectionsPerIp } },
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await gateway?.stop();
  });
  const open = async (client: Client) => {
    const connection = await client.socket();
    sockets.push(connection.socket);
    return connection;
  };

  it('caps WebSockets per forwarded client, not per proxy: six clients through one proxy all connect', async () => {
    const six = await Promise.all(Array.from({ length: 6 }, (_, i) => open(clientAt(gateway.url, `198.51.100.${i + 1}`))));
    expect(six.map((connection) => connection.ack)).toEqual([true, true, true, true, true, true]);
    // One forwarded client still gets its cap of 3 (the proxy's own peer address is not the key).
    const one = clientAt(gateway.url, '198.51.100.1');
    const more = [await open(one), await open(one), await open(one)];
    expect(more.map((connection) => connection.ack)).toEqual([true, true, false]);
    expect(more[2]!.closeCode).toBe(4029);
    // An event stream from that client counts in the same cap (429), another client's does not.
    expect((await one.sse('POST', { query: TYPENAME })).status).toBe(429);
    expect((await clientAt(gateway.url, '198.51.100.9').sse('POST', { query: TYPENAME })).results).toEqual([{ data: { __typename: 'Query' } }]);
  });

  it('draws every operation of every transport on the same budget, GET event streams included', async () => {
    const client = clientAt(gateway.url, '203.0.113.7');
    const served: string[] = [];
    // Through the budget with GET event streams alone: they count as the POSTs do.
    for (let i = 0; i < budget; i += 1) {
      const { results } = await client.sse('GET', { query: TYPENAME });
      if (results[0]?.data) served.push('sse-get');
    }
    expect(served).toHaveLength(budget);
    for (const method of ['GET', 'POST'] as const) {
      const refused = await client.sse(method, { query: TYPENAME });
      expect([refused.status, codes(refused.body?.errors)], method).toEqual([429, ['RATE_LIMITED']]);
    }
    const post = await client.post({ query: TYPENAME });
    expect(post.status).toBe(429);
    expect(codes(post.body.errors)).toEqual(['RATE_LIMITED']);
    expect(Number(post.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await client.get({ query: TYPENAME })).status).toBe(429);
    const ws = await open(client);
    expect(codes((await ws.execute({ query: TYPENAME })).errors)).toEqual(['RATE_LIMITED']);
    // Another client behind the same proxy has its own budget.
    const other = clientAt(gateway.url, '203.0.113.8');
    expect((await other.post({ query: TYPENAME })).body).toEqual({ data: { __typename: 'Query' } });
    expect((await other.sse('GET', { query: TYPENAME })).results).toEqual([{ data: { __typename: 'Query' } }]);
    expect((await (await open(other)).execute({ query: TYPENAME })).data).toEqual({ __typename: 'Query' });
  });

  it('answers an operation it cannot resolve with 400 OPERATION_RESOLUTION_FAILURE on every transport, logging no error', async () => {
    const client = clientAt(gateway.url, '192.0.2.10');
    const twoOperations = 'query A { __typename } query B { __typename }';
    const cases = [
      { query: twoOperations },
      { query: twoOperations, operationName: 'C' },
      { query: 'query A { __typename }', operationName: 'B' },
    ];
    const ws = await open(client);
    for (const params of cases) {
      const post = await client.post(params);
      expect([post.status, codes(post.body.errors)], JSON.stringify(params)).toEqual([400, ['OPERATION_RESOLUTION_FAILURE']]);
      const get = await client.get(params as Record<string, string>);
      expect([get.status, codes(get.body.errors)], JSON.stringify(params)).toEqual([400, ['OPERATION_RESOLUTION_FAILURE']]);
      expect(codes((await client.sse('GET', params)).results[0]?.errors)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
      expect(codes((await client.sse('POST', params)).results[0]?.errors)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
      expect(codes((await ws.execute(params)).errors)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    }
    // A body that is not JSON (a form, text) is no operation: 415, coded, not Apollo's 500 about `req.body`.
    const text = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: TYPENAME });
    expect([text.status, codes(((await text.json()) as FormattedExecutionResult).errors)]).toEqual([415, ['BAD_REQUEST']]);
    // The named one of several runs.
    expect((await client.post({ query: twoOperations, operationName: 'B' })).body).toEqual({ data: { __typename: 'Query' } });
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('refuses 24 levels of doubled fragment spreads at once on every transport while /healthz keeps answering', async () => {
    const client = clientAt(gateway.url, '192.0.2.24');
    const documents = {
      // The reported document: F24 undefined, so no field at all until validation.
      reported: doubledFragments(24, null),
      typenameLeaf: doubledFragments(24, '__typename'),
      cycle: doubledFragments(24, '...F0'),
      // Under one root field, with a variable that is never given (no cost estimate) and two operations.
      nested: doubledFragments(24, 'id', { on: 'User', operation: 'query Q($first: Int!) { me { ...F0 } } query R { __typename }' }),
    };
    expect(Buffer.byteLength(documents.reported)).toBeGreaterThan(900);
    let healthSlowestMs = 0;
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const started = performance.now();
        const response = await fetch(new URL('/healthz', gateway.url));
        await response.body?.cancel();
        expect(response.status).toBe(200);
        healthSlowestMs = Math.max(healthSlowestMs, performance.now() - started);
      }
    })();
    const ws = await open(client);
    const started = performance.now();
    const answered: Record<string, unknown[]> = {};
    try {
      for (const [name, query] of Object.entries(documents)) {
        for (const operationName of [undefined, 'Q']) {
          const params = { query, ...(operationName ? { operationName } : {}) };
          const post = await client.post(params);
          const get = await client.get(params);
          expect([post.status, get.status]).toEqual([400, 400]);
          const refusals = [post.body, get.body, await ws.execute(params), (await client.sse('POST', params)).results[0], (await client.sse('GET', params)).results[0]];
          answered[`${name} ${operationName ?? ''}`] = [...new Set(refusals.map((refusal) => refusal?.errors?.[0]?.extensions?.code))];
        }
      }
    } finally {
      probing = false;
      await probe;
    }
    // Refused by the operation limits alike on the five transports, before validation: each
    // expands past the cost limit (2^24 fields and spreads), whatever the operation name says.
    expect(Object.values(answered)).toEqual(Array.from({ length: 8 }, () => ['OPERATION_LIMIT_EXCEEDED']));
    const elapsedMs = performance.now() - started;
    // 40 refusals over five transports; each was 29 s of blocked event loop before.
    expect(elapsedMs).toBeLessThan(5000);
    expect(healthSlowestMs).toBeLessThan(500);
    console.info(`doubled fragments: 40 refusals in ${elapsedMs.toFixed(0)} ms, slowest /healthz ${healthSlowestMs.toFixed(0)} ms`);
  });
});
