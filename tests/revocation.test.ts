/**
 * Access-token revocation: after signOut, refresh-token reuse or deleteAccount, the session's
 * (or account's) access tokens are refused with UNAUTHENTICATED by the gateway and by every
 * subgraph directly, long before they expire; open subscriptions of that session are ended.
 * On Redis (REDIS_URL), separate processes learn of revocations through it.
 */
import { randomUUID } from 'node:crypto';
import { openRevocationList, type RevocationList } from '@fitgraph/service-kit';
import {
  backends,
  errorCodes,
  eventually,
  graphql,
  graphqlData,
  graphqlWsClient,
  signIn,
  signUpUser,
  sseClient,
  startServiceProcess,
  startTestStack,
  type ServiceProcess,
  type TestStack,
} from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';
const MACHINE_EVENTS = 'subscription($gymId: ID!) { machineStatusChanged(gymId: $gymId) { status } }';
const signOut = 'mutation($t: String!) { signOut(refreshToken: $t) }';
const refresh = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }';

describe(`access-token revocation (${backends.database}, ${backends.pubsub})`, () => {
  let stack: TestStack;
  let url: string;
  const codes = async (target: string, query: string, token: string, variables?: Record<string, unknown>) =>
    errorCodes(await graphql(target, query, { token, variables }));

  beforeAll(async () => {
    stack = await startTestStack();
    url = stack.gateway.url;
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('signOut: the old access token is refused at the gateway and at a subgraph; another session of the user still works', async () => {
    const member = await signUpUser(url);
    const other = await signIn(url, member.email, member.password);
    expect(await codes(url, '{ me { id } }', member.accessToken)).toEqual([]);

    expect((await graphqlData(url, signOut, { variables: { t: member.refreshToken } })).signOut).toBe(true);

    const gatewayResponse = await graphql(url, '{ me { id } }', { token: member.accessToken });
    expect(errorCodes(gatewayResponse)).toEqual(['UNAUTHENTICATED']);
    expect(gatewayResponse.errors?.[0]?.message).toMatch(/session revoked/);
    expect(gatewayResponse.data ?? null).toBeNull();
    expect(await codes(stack.subgraphs.workout.url, 'mutation { startWorkout { id } }', member.accessToken)).toEqual(['UNAUTHENTICATED']);
    expect(await codes(stack.subgraphs.user.url, '{ me { id } }', member.accessToken)).toEqual(['UNAUTHENTICATED']);

    const me = await graphqlData(url, '{ me { id } }', { token: other.accessToken });
    expect(me.me.id).toBe(member.id);
    const started = await graphqlData(stack.subgraphs.workout.url, 'mutation { startWorkout { id } }', { token: other.accessToken });
    expect(started.startWorkout.id).toBeTruthy();
  });

  it('refresh-token reuse: every access token of the family is refused', async () => {
    const member = await signUpUser(url);
    const rotated = (await graphqlData(url, refresh, { variables: { t: member.refreshToken } })).refreshSession;
    expect(await codes(url, '{ me { id } }', rotated.accessToken)).toEqual([]);

    // The first refresh token again: theft; the whole family is revoked.
    expect(await codes(url, refresh, '', { t: member.refreshToken })).toEqual(['UNAUTHENTICATED']);

    for (const token of [member.accessToken, rotated.accessToken]) {
      expect(await codes(url, '{ me { id } }', token)).toEqual(['UNAUTHENTICATED']);
      expect(await codes(stack.subgraphs.workout.url, 'mutation { startWorkout { id } }', token)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('deleteAccount: the old token cannot write anything any more (no rows after the deletion)', async () => {
    const member = await signUpUser(url);
    const { foods } = await graphqlData(url, '{ foods { id } }');
    expect((await graphqlData(url, 'mutation { deleteAccount }', { token: member.accessToken })).deleteAccount).toBe(true);

    const logMeal = 'mutation($input: LogMealInput!) { logMeal(input: $input) { id } }';
    const meal = { input: { foodId: foods[0].id, grams: 100 } };
    for (const target of [url, stack.subgraphs.workout.url]) {
      expect(await codes(target, 'mutation { startWorkout { id } }', member.accessToken)).toEqual(['UNAUTHENTICATED']);
    }
    for (const target of [url, stack.subgraphs.nutrition.url]) {
      expect(await codes(target, logMeal, member.accessToken, meal)).toEqual(['UNAUTHENTICATED']);
    }
    for (const target of [url, stack.subgraphs.chat.url]) {
      expect(await codes(target, 'mutation($u: [ID!]!) { startConversation(memberIds: $u) { id } }', member.accessToken, { u: [member.id] })).toEqual([
        'UNAUTHENTICATED',
      ]);
    }
  });

  it('open graphql-ws connections and SSE streams of a signed-out session are ended; other sessions stay', async () => {
    const member = await signUpUser(url);
    const other = await signIn(url, member.email, member.password);
    const revokedSocket = graphqlWsClient(url, { token: member.accessToken });
    const keptSocket = graphqlWsClient(url, { token: other.accessToken });
    const subgraphSocket = graphqlWsClient(stack.subgraphs.gym.url, { token: member.accessToken });
    await Promise.all([revokedSocket.connected, keptSocket.connected, subgraphSocket.connected]);
    const variables = { gymId: ironHarbor };
    revokedSocket.subscribe({ query: MACHINE_EVENTS, variables });
    keptSocket.subscribe({ query: MACHINE_EVENTS, variables });
    subgraphSocket.subscribe({ query: MACHINE_EVENTS, variables });
    const sse = sseClient(url, { token: member.accessToken });
    const stream = sse.subscribe({ query: MACHINE_EVENTS, variables });
    const eventStreams = async () => ((await (await fetch(new URL('/healthz', stack.gateway.internalUrl))).json()) as { subscriptions: { eventStreams: number } }).subscriptions.eventStreams;
    await eventually(async () => (await eventStreams()) >= 1, { what: 'the SSE stream to open' });

    const gatewayClose = revokedSocket.nextClose();
    const subgraphClose = subgraphSocket.nextClose();
    await graphqlData(url, signOut, { variables: { t: member.refreshToken } });

    expect(await gatewayClose).toMatchObject({ code: 4401, reason: 'Session revoked' });
    expect(await subgraphClose).toMatchObject({ code: 4403, reason: 'Session revoked' });
    const ended = await stream.ended;
    const lastErrors = stream.results.at(-1)?.errors ?? (ended.error as { extensions?: unknown }[] | undefined) ?? [];
    expect(JSON.stringify(lastErrors)).toMatch(/UNAUTHENTICATED/);

    const stillThere = await keptSocket.execute({ query: '{ me { id } }' });
    expect(stillThere.data?.me?.id).toBe(member.id);
    await Promise.all([revokedSocket.close(), keptSocket.close(), subgraphSocket.close()]);
    sse.close();
  });

  it('a WebSocket is closed when its access token expires', async () => {
    const shortLived = await startTestStack({ AUTH_ACCESS_TOKEN_TTL: '2' });
    try {
      const member = await signUpUser(shortLived.gateway.url);
      const socket = graphqlWsClient(shortLived.gateway.url, { token: member.accessToken });
      await socket.connected;
      const started = Date.now();
      const closed = await socket.nextClose();
      expect(closed).toMatchObject({ code: 4401, reason: 'Access token expired' });
      expect(Date.now() - started).toBeLessThan(3500);
    } finally {
      await shortLived.stop();
    }
  }, 120_000);

  describe.skipIf(backends.pubsub !== 'redis')('with Redis, across processes', () => {
    const lists: RevocationList[] = [];
    const processes: ServiceProcess[] = [];
    afterAll(async () => {
      await Promise.allSettled(processes.map((p) => p.stop()));
      await Promise.allSettled(lists.map((list) => list.close()));
    });

    it('a revocation reaches another process within milliseconds (measured)', async () => {
      const options = { redisUrl: process.env.REDIS_URL!, keyPrefix: stack.env.REDIS_KEY_PREFIX!, accessTokenTtlSeconds: 900 };
      const [writer, reader] = [await openRevocationList(options), await openRevocationList(options)];
      lists.push(writer, reader);
      const samples: number[] = [];
      const subjects: { id: string; sessionId: string }[] = [];
      for (let i = 0; i < 20; i += 1) {
        const subject = { id: randomUUID(), sessionId: randomUUID() };
        subjects.push(subject);
        const arrived = new Promise<number>((resolve) => {
          const stop = reader.onRevoked(({ sessionIds }) => {
            if (sessionIds?.includes(subject.sessionId)) {
              stop();
              resolve(performance.now());
            }
          });
        });
        const start = performance.now();
        await writer.revoke({ sessionIds: [subject.sessionId] });
        samples.push((await arrived) - start);
        expect(reader.isRevoked(subject)).toBe(true);
      }
      samples.sort((a, b) => a - b);
      console.log(`revocation propagation over Redis: median ${samples[10]!.toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms`);
      expect(samples.at(-1)).toBeLessThan(500);

      // A process started later loads what was revoked before it.
      const late = await openRevocationList(options);
      lists.push(late);
      expect(subjects.every((subject) => late.isRevoked(subject))).toBe(true);
      expect(late.isRevoked({ id: randomUUID(), sessionId: randomUUID() })).toBe(false);
    });

    it('two separate subgraph processes refuse the token (one started before, one after the signOut)', async () => {
      const member = await signUpUser(url);
      const before = await startServiceProcess('workout', stack.env);
      processes.push(before);
      expect(await codes(before.url, '{ __typename }', member.accessToken)).toEqual([]);

      const signedOut = performance.now();
      await graphqlData(url, signOut, { variables: { t: member.refreshToken } });
      await eventually(async () => (await codes(before.url, '{ __typename }', member.accessToken)).includes('UNAUTHENTICATED'), {
        timeoutMs: 1000,
        intervalMs: 5,
        what: 'the running process to refuse the token',
      });
      console.log(`signOut response -> refused by another process: ${(performance.now() - signedOut).toFixed(1)} ms (includes the signOut round trip)`);

      const after = await startServiceProcess('workout', stack.env);
      processes.push(after);
      for (const service of [before, after]) {
        expect(await codes(service.url, 'mutation { startWorkout { id } }', member.accessToken)).toEqual(['UNAUTHENTICATED']);
      }
    }, 180_000);
  });
});

