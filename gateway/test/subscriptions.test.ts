/**
 * The gateway's subscription mechanism against fixture subgraphs (no product code): both
 * client transports, per-event entity resolution, sharing and batching, lifecycle, limits.
 */
import { generateKeyPairSync } from 'node:crypto';
import { loadAuthConfig } from '@fitgraph/platform';
import { CloseCode, createLogger, createTokenSigner } from '@fitgraph/service-kit';
import { eventually, graphqlWsClient, sseClient, type GraphQLWsTestClient, startTestGateway } from '@fitgraph/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';
import type { RunningGateway } from '../src/server';
import {
  composeFixtures,
  startEventsSubgraph,
  startPeopleSubgraph,
  TickStore,
  type FixtureSubgraph,
} from './fixtures/subgraphs';

const auth = loadAuthConfig({});
const signer = createTokenSigner(auth);
const tokenFor = async (id: string, sessionId = `s-${id}`) => (await signer.sign({ id, role: 'MEMBER', sessionId })).accessToken;

/** testkit's `eventually`, polling every 10 ms. */
const until = (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) =>
  eventually(condition, { what, timeoutMs, intervalMs: 10 });

const tickQuery = `subscription($room: ID!, $after: ID) {
  tick(room: $room, after: $after) { id text room { name } author { displayName } }
}`;

describe('gateway subscriptions (fixture subgraphs)', () => {
  const store = new TickStore();
  let events: FixtureSubgraph;
  let people: FixtureSubgraph;
  let gateway: RunningGateway;
  const clients: GraphQLWsTestClient[] = [];
  const ws = (token?: string) => {
    const client = graphqlWsClient(gateway.url, { token });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    events = await startEventsSubgraph(store);
    people = await startPeopleSubgraph();
    gateway = await startTestGateway({
      supergraphSdl: composeFixtures([events, people]),
      auth,
      logger: createLogger('gateway', process.env.TEST_LOG_LEVEL ?? 'silent'),
      subscriptions: {
        limits: { perConnection: 5, total: 1000 },
        // The fan-out test opens 40 sockets as one user: above the default per-user cap of 20.
        connections: { perUser: 100 },
        keepAliveMs: 300,
        upstream: { retryBaseMs: 20, retryMaxMs: 200 },
      },
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await until(
      () => gateway.subscriptions().subscriptions === 0 && events.activeSubscriptions() === 0 && store.listening === 0,
      'subscriptions to end after the test',
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await events?.stop();
    await people?.stop();
  });

  it('streams an event over graphql-ws with fields from the other subgraph, and complete ends the upstream', async () => {
    const client = ws();
    const sub = client.subscribe({ query: tickQuery, variables: { room: 'r1' } });
    await until(() => store.listening === 1, 'the upstream subscription');
    expect(events.activeSubscriptions()).toBe(1);
    store.publish('r1', 'u-ada', 'hello');
    const [first] = await sub.waitFor(1);
    expect(first).toEqual({ data: { tick: { id: expect.any(String), text: 'hello', room: { name: 'Room r1' }, author: { displayName: 'Ada' } } } });
    sub.unsubscribe();
    await until(() => events.activeSubscriptions() === 0, 'the upstream subscription to end');
    expect(store.listening).toBe(0);
    expect(gateway.subscriptions()).toMatchObject({ subscriptions: 0, upstreamStreams: 0 });
  });

  it('streams the same subscription over SSE, and closing the stream ends the upstream', async () => {
    const client = sseClient(gateway.url);
    const sub = client.subscribe({ query: tickQuery, variables: { room: 'r-sse' } });
    await until(() => store.listening === 1, 'the upstream subscription');
    store.publish('r-sse', 'u-bob', 'over sse');
    const [first] = await sub.waitFor(1);
    expect(first).toEqual({ data: { tick: expect.objectContaining({ text: 'over sse', author: { displayName: 'Bob' } }) } });
    sub.unsubscribe();
    client.close();
    await until(() => events.activeSubscriptions() === 0 && gateway.subscriptions().subscriptions === 0, 'the upstream to end');
  });

  it('runs queries over graphql-ws through the same pipeline as HTTP', async () => {
    const client = ws(await tokenFor('u-ada'));
    const result = await client.execute({ query: '{ room(id: "x") { name } person(id: "u-ada") { displayName email } }' });
    expect(result).toEqual({ data: { room: { name: 'Room x' }, person: { displayName: 'Ada', email: 'ada@example.test' } } });
    const invalid = await client.execute({ query: '{ nope }' }).catch((errors) => ({ errors }));
    expect(JSON.stringify(invalid)).toContain('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses an invalid token: graphql-ws closes with 4401, SSE answers 401', async () => {
    const client = ws('not-a-jwt');
    await expect(client.connected).rejects.toMatchObject({ code: CloseCode.Unauthorized });
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer not-a-jwt' },
      body: JSON.stringify({ query: tickQuery, variables: { room: 'r1' } }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('passes the subgraph authorization error (FORBIDDEN) to the client, then completes', async () => {
    store.members.set('private-1', new Set(['u-ada']));
    const outsider = ws(await tokenFor('u-bob')).subscribe({ query: tickQuery, variables: { room: 'private-1' } });
    const [result] = await outsider.waitFor(1);
    expect(result!.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(result!.data ?? null).toBeNull();
    expect(await outsider.ended).toEqual({});

    const member = ws(await tokenFor('u-ada')).subscribe({ query: tickQuery, variables: { room: 'private-1' } });
    await until(() => store.listening === 1, 'the member subscription');
    store.publish('private-1', 'u-ada', 'members only');
    expect((await member.waitFor(1))[0]!.data?.tick.text).toBe('members only');
  });

  it('delivers upstream completion and keeps order', async () => {
    const sub = ws().subscribe({ query: 'subscription { countdown(from: 3) }' });
    expect(await sub.ended).toEqual({});
    expect(sub.results).toEqual([{ data: { countdown: 3 } }, { data: { countdown: 2 } }, { data: { countdown: 1 } }]);
  });

  it('passes an upstream error in mid-stream to the client, then ends', async () => {
    const sub = ws().subscribe({ query: 'subscription { revoked }' });
    const outcome = await sub.ended;
    expect(outcome).toEqual({});
    expect(sub.results).toEqual([{ data: { revoked: 1 } }, { errors: [expect.objectContaining({ message: 'Access revoked', extensions: { code: 'FORBIDDEN' } })] }]);
  });

  it('refuses SSE single-connection mode (its reservations never expire) with 405 and a coded error', async () => {
    // Single-connection mode was removed on purpose: graphql-sse keeps every PUT
    // reservation and its undelivered events forever. Distinct connections serve everything.
    const reserve = await fetch(gateway.url, { method: 'PUT' });
    expect(reserve.status).toBe(405);
    expect(((await reserve.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
    const withToken = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-graphql-event-stream-token': 'abc' },
      body: JSON.stringify({ query: '{ person(id: "u-bob") { displayName } }', extensions: { operationId: '1' } }),
    });
    expect(withToken.status).toBe(405);
    const client = createSseClient({ url: gateway.url, singleConnection: false, retryAttempts: 0 });
    try {
      const query = await new Promise((resolve, reject) =>
        client.subscribe({ query: '{ person(id: "u-bob") { displayName } }' }, { next: resolve, error: reject, complete: () => {} }),
      );
      expect(query).toEqual({ data: { person: { displayName: 'Bob' } } });
    } finally {
      client.dispose();
    }
  });

  it('answers bad variables with BAD_USER_INPUT', async () => {
    const sub = ws().subscribe({ query: tickQuery, variables: { room: { not: 'an id' } } });
    await sub.ended;
    expect(sub.results[0]?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('shares one upstream stream and one execution per event among identical subscriptions of one identity', async () => {
    const token = await tokenFor('u-ada');
    const subs = [ws(token), ws(token), ws(token)].map((client) =>
      client.subscribe({ query: tickQuery, variables: { room: 'shared' } }),
    );
    // Another identity gets its own upstream connection and stream.
    const other = ws(await tokenFor('u-bob')).subscribe({ query: tickQuery, variables: { room: 'shared' } });
    await until(() => gateway.subscriptions().subscriptions === 4 && store.listening === 2, 'all subscriptions');
    expect(gateway.subscriptions()).toMatchObject({ upstreamStreams: 2, upstreamConnections: 2, executionGroups: 2 });
    const before = { entities: people.entityRequests, executions: gateway.subscriptions().executions };
    store.publish('shared', 'u-bob', 'one');
    for (const sub of [...subs, other]) expect((await sub.waitFor(1))[0]!.data?.tick.author).toEqual({ displayName: 'Bob' });
    expect(gateway.subscriptions().executions - before.executions).toBe(2);
    expect(people.entityRequests - before.entities).toBe(2);
  });

  it('never lets one identity see another identity’s view of an entity', async () => {
    const query = 'subscription($room: ID!) { pulse(room: $room) { author { displayName email } } }';
    const ada = ws(await tokenFor('u-ada')).subscribe({ query, variables: { room: 'views' } });
    const bob = ws(await tokenFor('u-bob')).subscribe({ query, variables: { room: 'views' } });
    const anonymous = ws().subscribe({ query, variables: { room: 'views' } });
    await until(() => store.listening === 3, 'three upstream streams');
    store.publish('views', 'u-ada', 'whose email?');
    expect((await ada.waitFor(1))[0]!.data?.pulse.author).toEqual({ displayName: 'Ada', email: 'ada@example.test' });
    expect((await bob.waitFor(1))[0]!.data?.pulse.author).toEqual({ displayName: 'Ada', email: null });
    expect((await anonymous.waitFor(1))[0]!.data?.pulse.author).toEqual({ displayName: 'Ada', email: null });
  });

  it('fans 200 subscribers × 20 events out exactly once each, with at most one _entities fetch per event', async () => {
    const subscribers = 200;
    const count = 20;
    // Five per socket: the per-connection limit of this suite.
    const sockets = Array.from({ length: subscribers / 5 }, () => ws());
    const subs = Array.from({ length: subscribers }, (_, i) =>
      sockets[i % sockets.length]!.subscribe({ query: tickQuery, variables: { room: 'fan' } }),
    );
    await until(() => gateway.subscriptions().subscriptions === subscribers && store.listening === 1, 'one shared upstream stream');
    expect(gateway.subscriptions()).toMatchObject({ upstreamStreams: 1, executionGroups: 1 });
    const entitiesBefore = people.entityRequests;
    const started = performance.now();
    const published = Array.from({ length: count }, (_, i) => store.publish('fan', i % 2 ? 'u-ada' : 'u-bob', `e${i}`).id);
    for (const sub of subs) await sub.waitFor(count);
    const elapsed = performance.now() - started;
    for (const sub of subs) {
      expect(sub.results.map((r) => r.data?.tick.id)).toEqual(published);
      expect(sub.results[count - 1]!.data?.tick.author.displayName).toBe('Ada');
    }
    // At most one per event whatever the number of subscribers; fewer when identical entity
    // fetches of overlapping events are merged in flight (src/fetch/dedupe.ts).
    const entityFetches = people.entityRequests - entitiesBefore;
    expect(entityFetches).toBeGreaterThan(0);
    expect(entityFetches).toBeLessThanOrEqual(count);
    console.log(`fixture fan-out: ${subscribers} subscribers × ${count} events in ${elapsed.toFixed(0)} ms`);
  });

  it('writes each group member its own id on every event exactly once, in order, and nothing after the client’s complete', async () => {
    // Raw graphql-transport-ws sockets: the ids and message types on the wire, as delivery writes them.
    const sockets = await Promise.all(Array.from({ length: 8 }, () => rawSocket(gateway.url)));
    const ids = ['a', 'b', '"c"'];
    for (const socket of sockets) for (const id of ids) socket.subscribe(id, { query: tickQuery, variables: { room: 'frames' } });
    await until(() => gateway.subscriptions().subscriptions === 24 && store.listening === 1, 'one group of 24');
    expect(gateway.subscriptions()).toMatchObject({ executionGroups: 1 });
    const first = Array.from({ length: 5 }, (_, i) => store.publish('frames', 'u-ada', `f${i}`).id);
    await until(() => sockets.every((socket) => ids.every((id) => socket.nexts(id).length === 5)), 'the first events');
    // One client completes `b` on the first socket; the rest keep going.
    sockets[0]!.send({ id: 'b', type: 'complete' });
    await until(() => gateway.subscriptions().subscriptions === 23, 'the completed subscription to end');
    const second = Array.from({ length: 5 }, (_, i) => store.publish('frames', 'u-bob', `s${i}`).id);
    await until(() => sockets.every((socket) => ids.every((id) => socket.nexts(id).length === (socket === sockets[0] && id === 'b' ? 5 : 10))), 'the second events');
    const countdown = sockets[1]!;
    countdown.subscribe('down', { query: 'subscription { countdown(from: 2) }' });
    await until(() => countdown.messages.some((m) => m.id === 'down' && m.type === 'complete'), 'the countdown to complete');
    for (const socket of sockets) {
      for (const id of ids) {
        const expected = socket === sockets[0] && id === 'b' ? first : [...first, ...second];
        expect(socket.nexts(id).map((payload) => payload.data.tick.id)).toEqual(expected);
      }
      // Only graphql-ws's own ack, and the next messages above (no `complete` for ids the client completed).
      expect(socket.messages.filter((m) => m.type !== 'next' && m.id !== 'down').map((m) => m.type)).toEqual(['connection_ack']);
    }
    expect(countdown.messages.filter((m) => m.id === 'down')).toEqual([
      { id: 'down', type: 'next', payload: { data: { countdown: 2 } } },
      { id: 'down', type: 'next', payload: { data: { countdown: 1 } } },
      { id: 'down', type: 'complete' },
    ]);
    await Promise.all(sockets.map((socket) => socket.close()));
  });

  it('resumes a resumable stream after the subgraph restarts: nothing lost, nothing twice', async () => {
    const sub = ws().subscribe({ query: tickQuery, variables: { room: 'resume' } });
    await until(() => store.listening === 1, 'the upstream subscription');
    const sent = [store.publish('resume', 'u-ada', 'a').id, store.publish('resume', 'u-ada', 'b').id];
    await sub.waitFor(2);
    await events.kill();
    // Written while the subgraph is down (another replica, or the database, has them).
    sent.push(store.publish('resume', 'u-bob', 'c').id, store.publish('resume', 'u-bob', 'd').id);
    await events.restart();
    await until(() => store.listening === 1, 'the resubscription');
    sent.push(store.publish('resume', 'u-ada', 'e').id);
    await sub.waitFor(5);
    expect(sub.results.map((r) => r.data?.tick.id)).toEqual(sent);
    expect(gateway.subscriptions().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('resubscribes a non-resumable stream after the subgraph restarts', async () => {
    const sub = ws().subscribe({ query: 'subscription { pulse(room: "p") { text } }' });
    await until(() => store.listening === 1, 'the upstream subscription');
    store.publish('p', 'u-ada', 'before');
    await sub.waitFor(1);
    await events.kill();
    await events.restart();
    await until(() => store.listening === 1, 'the resubscription');
    store.publish('p', 'u-ada', 'after');
    expect((await sub.waitFor(2)).map((r) => r.data?.pulse.text)).toEqual(['before', 'after']);
  });

  it('limits subscriptions per connection with a clear error', async () => {
    const client = ws();
    const subs = Array.from({ length: 6 }, () => client.subscribe({ query: tickQuery, variables: { room: 'limits' } }));
    await subs[5]!.ended;
    expect(subs[5]!.results[0]?.errors?.[0]).toEqual({
      message: 'Too many subscriptions on this connection: at most 5 may be open at once',
      extensions: { code: 'RATE_LIMITED', limit: 5 },
    });
    expect(subs.slice(0, 5).every((s) => !s.isEnded)).toBe(true);
  });

  it('drops a client that stops answering pings, and with it the upstream stream', async () => {
    const socket = new WebSocket(gateway.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { autoPong: false });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await new Promise((resolve) => socket.once('message', resolve));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: tickQuery, variables: { room: 'dead' } } }));
    await until(() => store.listening === 1, 'the upstream subscription');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    expect(await closed).toBe(1006);
    await until(() => store.listening === 0 && gateway.subscriptions().subscriptions === 0, 'the upstream stream to end');
  });
});

describe('gateway-wide subscription limit', () => {
  it('refuses subscriptions beyond SUBSCRIPTIONS_MAX with a clear error', async () => {
    const store = new TickStore();
    const events = await startEventsSubgraph(store);
    const people = await startPeopleSubgraph();
    const gateway = await startTestGateway({
      supergraphSdl: composeFixtures([events, people]),
      auth,
      logger: createLogger('gateway', 'silent'),
      subscriptions: { limits: { total: 2 } },
    });
    const clients = [graphqlWsClient(gateway.url), graphqlWsClient(gateway.url)];
    try {
      const open = [clients[0]!.subscribe({ query: tickQuery, variables: { room: 'a' } }), clients[1]!.subscribe({ query: tickQuery, variables: { room: 'b' } })];
      await until(() => gateway.subscriptions().subscriptions === 2, 'two subscriptions');
      const third = clients[1]!.subscribe({ query: tickQuery, variables: { room: 'c' } });
      await third.ended;
      expect(third.results[0]?.errors?.[0]).toEqual({
        message: 'The gateway is serving its maximum of 2 subscriptions; try again later',
        extensions: { code: 'RATE_LIMITED', limit: 2 },
      });
      open[0]!.unsubscribe();
      await until(() => gateway.subscriptions().subscriptions === 1, 'one subscription');
      const fourth = clients[0]!.subscribe({ query: tickQuery, variables: { room: 'd' } });
      await until(() => gateway.subscriptions().subscriptions === 2, 'room for another');
      expect(fourth.isEnded).toBe(false);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await gateway.stop();
      await events.stop();
      await people.stop();
    }
  });
});

describe('a subgraph refusing the forwarded identity', () => {
  it('ends the subscription with UNAUTHENTICATED instead of retrying forever', async () => {
    // The gateway trusts a key the subgraphs do not know: it accepts the token, the subgraph
    // closes the upstream connection with 4403, as it would for an expired token on reconnect.
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const gatewayAuth = {
      ...auth,
      signingKeyId: 'other',
      signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      verificationKeyPems: { other: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    };
    const store = new TickStore();
    const events = await startEventsSubgraph(store);
    const people = await startPeopleSubgraph();
    const gateway = await startTestGateway({ supergraphSdl: composeFixtures([events, people]), auth: gatewayAuth, logger: createLogger('gateway', 'silent') });
    const { accessToken } = await createTokenSigner(gatewayAuth).sign({ id: 'u-ada', role: 'MEMBER', sessionId: 's' });
    const client = graphqlWsClient(gateway.url, { token: accessToken });
    try {
      const sub = client.subscribe({ query: tickQuery, variables: { room: 'r' } });
      expect(await sub.ended).toEqual({});
      expect(sub.results).toEqual([{ errors: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })] }]);
      expect(gateway.subscriptions()).toMatchObject({ subscriptions: 0, upstreamStreams: 0 });
    } finally {
      await client.close();
      await gateway.stop();
      await events.stop();
      await people.stop();
    }
  });
});

describe('gateway shutdown', () => {
  it('closes client sockets with 1001 and ends the upstream streams', async () => {
    const store = new TickStore();
    const events = await startEventsSubgraph(store);
    const people = await startPeopleSubgraph();
    const gateway = await startTestGateway({ supergraphSdl: composeFixtures([events, people]), auth, logger: createLogger('gateway', 'silent') });
    try {
      const client = graphqlWsClient(gateway.url);
      const sub = client.subscribe({ query: tickQuery, variables: { room: 'bye' } });
      await until(() => store.listening === 1, 'the upstream subscription');
      const closed = client.nextClose();
      await gateway.stop();
      expect((await closed).code).toBe(CloseCode.GoingAway);
      await sub.ended;
      await until(() => store.listening === 0, 'the upstream stream to end');
      await client.close();
    } finally {
      await events.stop();
      await people.stop();
    }
  });
});

/** A graphql-transport-ws client on a bare socket, keeping every message it receives. */
async function rawSocket(url: string) {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: { id?: string; type: string; payload?: any }[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const send = (message: object) => socket.send(JSON.stringify(message));
  send({ type: 'connection_init', payload: {} });
  await until(() => messages.some((m) => m.type === 'connection_ack'), 'connection_ack');
  return {
    messages,
    send,
    subscribe: (id: string, payload: { query: string; variables?: Record<string, unknown> }) => send({ id, type: 'subscribe', payload }),
    nexts: (id: string) => messages.filter((m) => m.id === id && m.type === 'next').map((m) => m.payload),
    close: () => new Promise<void>((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve() : (socket.once('close', () => resolve()), socket.close()))),
  };
}
