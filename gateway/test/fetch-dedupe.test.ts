/**
 * In-flight merging of subgraph queries (src/fetch/dedupe.ts) over the keep-alive pool
 * (src/fetch/pool.ts): against a real HTTP "subgraph" that holds every request until the test
 * releases it, so "concurrent" is certain rather than a matter of timing; and through the whole
 * gateway, where two viewers asking the same thing at once must each get their own answer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadAuthConfig } from '@fitgraph/platform';
import { createTokenSigner } from '@fitgraph/service-kit';
import { eventually, graphql, startTestGateway } from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inflightDedupe } from '../src/fetch/dedupe';
import { composeFetcher, type SubgraphFetcher } from '../src/fetch/fetcher';
import { createPooledFetcher, type PooledFetcher } from '../src/fetch/pool';
import type { RunningGateway } from '../src/server';
import { composeFixtures, startEventsSubgraph, startPeopleSubgraph, TickStore, type FixtureSubgraph } from './fixtures/subgraphs';

/** Answers `{ data: { who: <authorization>, n: <request number> } }`, but only once released. */
async function startGatedSubgraph() {
  const held: (() => void)[] = [];
  const seen: { authorization: string | null; body: string }[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const authorization = req.headers.authorization ?? null;
    seen.push({ authorization, body });
    const n = seen.length;
    held.push(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { who: authorization, n } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    seen,
    held: () => held.length,
    releaseAll: () => held.splice(0).forEach((release) => release()),
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const post = (fetcher: SubgraphFetcher, url: string, query: string, authorization?: string, signal?: AbortSignal) =>
  fetcher(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}), 'x-request-id': crypto.randomUUID() },
    body: JSON.stringify({ query, variables: { id: 'g1' } }),
    signal,
  }).then(async (response) => (await response.json()) as { data: { who: string | null; n: number } });

describe('in-flight merging of subgraph queries', () => {
  let subgraph: Awaited<ReturnType<typeof startGatedSubgraph>>;
  let pool: PooledFetcher;
  let fetcher: SubgraphFetcher;
  const board = 'query Board__gym__0($id:ID!){gym(id:$id){name}}';

  beforeAll(async () => {
    subgraph = await startGatedSubgraph();
    pool = createPooledFetcher();
    fetcher = composeFetcher(pool.fetch, inflightDedupe());
  });
  afterAll(async () => {
    subgraph.releaseAll();
    await pool.close();
    await subgraph.stop();
  });

  it('sends identical concurrent queries of one viewer as one subgraph request, and every caller gets the answer', async () => {
    const before = subgraph.seen.length;
    const answers = Promise.all(Array.from({ length: 5 }, () => post(fetcher, subgraph.url, board, 'Bearer ada')));
    await eventually(() => subgraph.held() === 1, { what: 'the first request to arrive' });
    subgraph.releaseAll();
    const results = await answers;
    expect(subgraph.seen.length - before).toBe(1);
    expect(results.map((r) => r.data.who)).toEqual(Array(5).fill('Bearer ada'));
  });

  it('never lets two viewers (or a viewer and an anonymous caller) share an answer', async () => {
    const before = subgraph.seen.length;
    const ada = post(fetcher, subgraph.url, board, 'Bearer ada');
    const bob = post(fetcher, subgraph.url, board, 'Bearer bob');
    const anonymous = post(fetcher, subgraph.url, board);
    await eventually(() => subgraph.held() === 3, { what: 'three separate requests' });
    subgraph.releaseAll();
    expect((await ada).data.who).toBe('Bearer ada');
    expect((await bob).data.who).toBe('Bearer bob');
    expect((await anonymous).data.who).toBeNull();
    expect(subgraph.seen.length - before).toBe(3);
  });

  it('never merges mutations', async () => {
    const before = subgraph.seen.length;
    const mutation = 'mutation Claim__gym__0($id:ID!){claimMachine(machineId:$id){id}}';
    const answers = Promise.all([post(fetcher, subgraph.url, mutation, 'Bearer ada'), post(fetcher, subgraph.url, mutation, 'Bearer ada')]);
    await eventually(() => subgraph.held() === 2, { what: 'both mutations to arrive' });
    subgraph.releaseAll();
    const [first, second] = await answers;
    expect(subgraph.seen.length - before).toBe(2);
    expect(first.data.n).not.toBe(second.data.n);
  });

  it('caches nothing: the same query after the answer goes to the subgraph again', async () => {
    const before = subgraph.seen.length;
    const first = post(fetcher, subgraph.url, board, 'Bearer ada');
    await eventually(() => subgraph.held() === 1, { what: 'the first request' });
    subgraph.releaseAll();
    await first;
    const second = post(fetcher, subgraph.url, board, 'Bearer ada');
    await eventually(() => subgraph.held() === 1, { what: 'the second request' });
    subgraph.releaseAll();
    expect((await second).data.n).toBe((await first).data.n + 1);
    expect(subgraph.seen.length - before).toBe(2);
  });

  it('a caller that gives up does not cancel the callers it was merged with', async () => {
    const controller = new AbortController();
    const leaving = post(fetcher, subgraph.url, board, 'Bearer ada', controller.signal);
    const staying = post(fetcher, subgraph.url, board, 'Bearer ada');
    await eventually(() => subgraph.held() === 1, { what: 'one merged request' });
    controller.abort(new Error('client went away'));
    await expect(leaving).rejects.toThrow('client went away');
    subgraph.releaseAll();
    expect((await staying).data.who).toBe('Bearer ada');
  });
});

describe('in-flight merging through the gateway', () => {
  const auth = loadAuthConfig({});
  const signer = createTokenSigner(auth);
  let events: FixtureSubgraph;
  let people: FixtureSubgraph;
  let gateway: RunningGateway;

  beforeAll(async () => {
    events = await startEventsSubgraph(new TickStore());
    people = await startPeopleSubgraph();
    gateway = await startTestGateway({ supergraphSdl: composeFixtures([events, people]), auth });
  });
  afterAll(async () => {
    await gateway?.stop();
    await people?.stop();
    await events?.stop();
  });

  it('answers each viewer with their own data when many ask the same query at once', async () => {
    const ada = (await signer.sign({ id: 'u-ada', role: 'MEMBER', sessionId: 's-ada' })).accessToken;
    const bob = (await signer.sign({ id: 'u-bob', role: 'MEMBER', sessionId: 's-bob' })).accessToken;
    const query = '{ person(id: "u-ada") { displayName email } }';
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => graphql(gateway.url, query, { token: [ada, bob, undefined][i % 3] })),
    );
    answers.forEach((answer, i) => {
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual({ person: { displayName: 'Ada', email: i % 3 === 0 ? 'ada@example.test' : null } });
    });
  });
});
