/**
 * FitGraph as deployed (testkit production.ts: compiled services as separate processes on their
 * own addresses, NODE_ENV=production, trusted documents, real PostgreSQL and Redis, nginx in
 * front), used by members and attackers through nginx while its dependencies fail:
 * - sign-ups are counted per client address behind the proxy; a repeated sign-up is answered;
 * - sessions fail closed while Redis is cut (every service reaches Redis through a TCP proxy the
 *   test takes away and brings back);
 * - what is written reads back as written, and what cannot be is refused with a code;
 * - the public ports say nothing about the inside, even while a subgraph is down.
 * Every operation is one of the SDK's trusted documents.
 */
import { randomUUID } from 'node:crypto';
import { createFitGraphClient } from '@fitgraph/sdk';
import { subgraphNames } from '@fitgraph/platform';
import { createGatewaySigner } from '@fitgraph/service-kit';
import {
  clientFrom,
  answerCodes,
  eventually,
  sdkTrustedDocument,
  secretsInLog,
  startProductionStack,
  startTcpProxy,
  type AddressedClient,
  type HttpAnswer,
  type ProductionService,
  type ProductionStack,
  type TcpProxy,
} from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionBundleDir, productionTestsMissing } from './global-setup';

const missing = productionTestsMissing();
if (missing) console.warn(`production tests skipped: ${missing}`);

const shown = (answer: HttpAnswer) => answer.text.slice(0, 500);
const demoMember = 'alex@demo.fitgraph.dev';
/** Alex Demo's id (subgraphs/user/src/db/seed-data.ts): a member every subgraph knows from the start. */
const demoMemberId = '6a1b0c9e-0005-4000-8000-000000000001';
/** Small, so an attacker reaches it in a few requests. */
const signUpsPerAddress = 3;
const services: ProductionService[] = ['gateway', ...subgraphNames];

let sequence = 0;
/** A sign-up no other test made. */
const newAccount = () => ({
  email: `prod-${(sequence += 1)}-${randomUUID().slice(0, 8)}@test.fitgraph.dev`,
  password: `pw-${randomUUID()}`,
  displayName: 'Production Member',
});

describe.skipIf(missing)('production shape: accounts, data and outages through nginx', () => {
  let stack: ProductionStack;
  /** Every service's Redis connections go through it. */
  let redis: TcpProxy;

  /** The SDK's trusted document `operationName` run through nginx from `client`, as the SDK sends it (by hash). */
  const run = (client: AddressedClient, operationName: string, variables: Record<string, unknown>, options: { token?: string; headers?: Record<string, string> } = {}) =>
    client.post(
      stack.url,
      { operationName, variables, extensions: { persistedQuery: { version: 1, sha256Hash: sdkTrustedDocument(operationName).hash } } },
      { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    );
  /** A new account, signed up from `client`: its session and what it signed up with. */
  const signUp = async (client: AddressedClient = clientFrom()) => {
    const input = newAccount();
    const answer = await run(client, 'SignUp', { input });
    expect(answerCodes(answer), shown(answer)).toEqual([]);
    const session = answer.json.data.signUp as { accessToken: string; refreshToken: string; user: { id: string; email: string } };
    return { ...input, ...session };
  };
  /** The public origin of a service: its own address and public port. */
  const publicOrigin = (service: ProductionService) => {
    const running = service === 'gateway' ? stack.gateway : stack.subgraphs[service];
    return `http://${running.host}:${running.port}`;
  };
  /** `{ __typename }` straight to a subgraph, signed as the gateway, with `token`: what the subgraph itself decides. */
  const askSubgraph = (client: AddressedClient, name: (typeof subgraphNames)[number], token: string) =>
    client.post(stack.subgraphs[name].url, { query: '{ __typename }' }, { ...createGatewaySigner(stack.env.GATEWAY_SECRET!).headers(client.address), authorization: `Bearer ${token}` });

  /** The gateway itself refused the request's token (before asking any subgraph). */
  const gatewayRefused = (answer: HttpAnswer) => answer.status === 401 && answer.json?.data === undefined && answerCodes(answer).includes('UNAUTHENTICATED');

  beforeAll(async () => {
    const redisUrl = new URL(process.env.REDIS_URL!);
    redis = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    const throughProxy = new URL(redisUrl);
    throughProxy.host = `127.0.0.1:${redis.port}`;
    const startedAt = Date.now();
    stack = await startProductionStack({
      bundleDir: productionBundleDir,
      redisUrl: throughProxy.toString(),
      subgraphs: { SIGN_UP_MAX_PER_IP: String(signUpsPerAddress) },
    });
    console.log(`production stack (Redis through a TCP proxy) up in ${Date.now() - startedAt} ms`);
  }, 300_000);
  afterAll(async () => {
    // Redis is back by now (the test that cuts it resumes it in a `finally`): the services shut down with it.
    await stack?.stop();
    await redis?.close();
  }, 120_000);

  describe('sign-ups behind the proxy (SIGN_UP_MAX_PER_IP=3)', () => {
    it('refuses an address its fourth sign-up with RATE_LIMITED, whatever X-Forwarded-For names, storing nothing; another address signs up', async () => {
      const attacker = clientFrom();
      const attempts = Array.from({ length: signUpsPerAddress + 2 }, () => newAccount());
      const answers: HttpAnswer[] = [];
      // Each names another client in X-Forwarded-For: nginx appends the real one, which is what counts.
      for (const [i, input] of attempts.entries()) answers.push(await run(attacker, 'SignUp', { input }, { headers: { 'x-forwarded-for': `203.0.113.${i}` } }));
      const codes = answers.map((answer) => answerCodes(answer)[0] ?? 'signed up');
      expect(codes, answers.map(shown).join('\n')).toEqual([...Array(signUpsPerAddress).fill('signed up'), 'RATE_LIMITED', 'RATE_LIMITED']);
      for (const answer of answers.slice(0, signUpsPerAddress)) expect(answer.json.data.signUp.accessToken).toEqual(expect.any(String));
      const refused = answers[signUpsPerAddress]!;
      expect(refused.json.data ?? null).toBeNull();
      expect(refused.json.errors[0].extensions.retryAfter).toBeGreaterThan(0);

      // The refused account does not exist: signing in to it fails like a wrong password.
      const bystander = clientFrom();
      const notMade = attempts[signUpsPerAddress]!;
      const signIn = await run(bystander, 'SignIn', { email: notMade.email, password: notMade.password });
      expect(answerCodes(signIn), shown(signIn)).toEqual(['UNAUTHENTICATED']);

      // Another address is a client of its own: it signs up, and its session works.
      const member = await signUp(bystander);
      const me = await run(bystander, 'Me', {}, { token: member.accessToken });
      expect(me.json?.data?.me?.email, shown(me)).toBe(member.email);
    });

    it('answers a repeated sign-up with the same account and a working session; another password for the email is BAD_USER_INPUT', async () => {
      const client = clientFrom();
      const input = newAccount();
      const first = await run(client, 'SignUp', { input });
      expect(answerCodes(first), shown(first)).toEqual([]);
      // A client whose first answer was lost sends the same sign-up again.
      const again = await run(client, 'SignUp', { input });
      expect(answerCodes(again), shown(again)).toEqual([]);
      expect(again.json.data.signUp.user).toEqual(first.json.data.signUp.user);
      const me = await run(client, 'Me', {}, { token: again.json.data.signUp.accessToken });
      expect(me.json?.data?.me?.id, shown(me)).toBe(first.json.data.signUp.user.id);
      const refreshed = await run(client, 'RefreshSession', { refreshToken: again.json.data.signUp.refreshToken });
      expect(refreshed.json?.data?.refreshSession?.user?.id, shown(refreshed)).toBe(first.json.data.signUp.user.id);

      // Someone else claiming the email gets neither the account nor a session.
      const taken = await run(clientFrom(), 'SignUp', { input: { ...input, password: `other-${randomUUID()}` } });
      expect(answerCodes(taken), shown(taken)).toEqual(['BAD_USER_INPUT']);
      expect(taken.json.data ?? null).toBeNull();
      expect(taken.text).not.toContain('accessToken');
      // The account keeps its password.
      const signIn = await run(clientFrom(), 'SignIn', { email: input.email, password: input.password });
      expect(signIn.json?.data?.signIn?.user?.id, shown(signIn)).toBe(first.json.data.signUp.user.id);
    });
  });

  describe('data reads back as written', () => {
    it('refuses a meal eaten in year 1 with BAD_USER_INPUT; one of 1905 reads back at exactly its instant', async () => {
      const client = clientFrom();
      const member = await signUp(client);
      const foods = await run(client, 'Foods', {}, { token: member.accessToken });
      const food = foods.json?.data?.foods?.[0] as { id: string } | undefined;
      expect(food, shown(foods)).toBeDefined();

      const yearOne = await run(client, 'LogMeal', { input: { foodId: food!.id, grams: 100, eatenAt: '0001-01-01T00:00:00Z' } }, { token: member.accessToken });
      expect(answerCodes(yearOne), shown(yearOne)).toEqual(['BAD_USER_INPUT']);
      expect(yearOne.json.data ?? null).toBeNull();

      const logged = await run(client, 'LogMeal', { input: { foodId: food!.id, grams: 100, eatenAt: '1905-06-01T12:00:00Z' } }, { token: member.accessToken });
      expect(answerCodes(logged), shown(logged)).toEqual([]);
      expect(logged.json.data.logMeal.eatenAt).toBe('1905-06-01T12:00:00.000Z');
      // Read back on the day (the member's zone is UTC): that entry alone, at the same instant.
      const day = await run(client, 'DailyNutrition', { date: '1905-06-01' }, { token: member.accessToken });
      expect(answerCodes(day), shown(day)).toEqual([]);
      expect(day.json.data.me.dailyNutrition.entries.map((entry: { id: string; eatenAt: string }) => [entry.id, entry.eatenAt])).toEqual([
        [logged.json.data.logMeal.id, '1905-06-01T12:00:00.000Z'],
      ]);
    });

    it('answers a resent message (same clientMessageId, same body) with the same message; another body under that id is CONFLICT and not stored', async () => {
      const client = clientFrom();
      const member = await signUp(client);
      // The new account's id reaches chat by an event: started once chat knows it.
      const started = await eventually(
        async () => {
          const answer = await run(client, 'StartConversation', { memberIds: [demoMemberId] }, { token: member.accessToken });
          return answerCodes(answer).length === 0 ? answer : null;
        },
        { timeoutMs: 30_000, what: 'a conversation with the demo member' },
      );
      const conversationId = started.json.data.startConversation.id as string;
      const send = (body: string) => run(client, 'SendMessage', { conversationId, body, clientMessageId: 'client-message-1' }, { token: member.accessToken });

      const sent = await send('See you at the rack at six');
      expect(answerCodes(sent), shown(sent)).toEqual([]);
      const resent = await send('See you at the rack at six');
      expect(answerCodes(resent), shown(resent)).toEqual([]);
      expect(resent.json.data.sendMessage).toEqual(sent.json.data.sendMessage);

      const changed = await send('See you at the rack at seven');
      expect(answerCodes(changed), shown(changed)).toEqual(['CONFLICT']);
      expect(changed.json.errors[0].extensions.field).toBe('clientMessageId');
      expect(changed.json.data ?? null).toBeNull();

      const messages = await run(client, 'Messages', { conversationId, last: 10 }, { token: member.accessToken });
      expect(answerCodes(messages), shown(messages)).toEqual([]);
      expect(messages.json.data.conversation.messages.map((message: { id: string; body: string }) => [message.id, message.body])).toEqual([
        [sent.json.data.sendMessage.id, 'See you at the rack at six'],
      ]);
    });

    it('refuses a display name with a right-to-left override (U+202E) with BAD_USER_INPUT, at sign-up and in a profile update', async () => {
      const client = clientFrom();
      const member = await signUp(client);
      const disguised = 'Ann\u202Eeil';
      const update = await run(client, 'UpdateProfile', { input: { displayName: disguised } }, { token: member.accessToken });
      expect(answerCodes(update), shown(update)).toEqual(['BAD_USER_INPUT']);
      expect(update.json.data ?? null).toBeNull();
      const me = await run(client, 'Me', {}, { token: member.accessToken });
      expect(me.json?.data?.me?.displayName, shown(me)).toBe(member.displayName);

      const input = { ...newAccount(), displayName: disguised };
      const signUpAnswer = await run(clientFrom(), 'SignUp', { input });
      expect(answerCodes(signUpAnswer), shown(signUpAnswer)).toEqual(['BAD_USER_INPUT']);
      const signIn = await run(clientFrom(), 'SignIn', { email: input.email, password: input.password });
      expect(answerCodes(signIn), shown(signIn)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('public ports while a subgraph is down', () => {
    it("the gateway's public /readyz says 'unavailable' and nothing more while workout is stopped; /healthz is {status:'ok'} alone; ready again after it returns", async () => {
      const client = clientFrom();
      const gatewayOrigins = [stack.proxy.origin, publicOrigin('gateway')];
      const inside = [
        'redis://',
        `127.0.0.1:${redis.port}`,
        ...subgraphNames.flatMap((name) => [stack.subgraphs[name].url, `${stack.subgraphs[name].host}:${stack.subgraphs[name].port}`]),
      ];
      const workout = stack.subgraphs.workout;
      await workout.stop();
      try {
        // The internal listener sees it (what an operator needs)...
        await eventually(
          async () => {
            const detailed = await client.get(`${stack.internal.gateway}/readyz`);
            return detailed.status === 503 && detailed.text.includes('workout');
          },
          { timeoutMs: 30_000, what: "the gateway's internal /readyz to report workout down" },
        );
        // ...the public ports only that it is not ready.
        for (const origin of gatewayOrigins) {
          const ready = await client.get(`${origin}/readyz`);
          expect(ready.status, `${origin}/readyz: ${ready.text}`).toBe(503);
          expect(ready.json, `${origin}/readyz`).toEqual({ status: 'unavailable' });
          for (const secret of inside) expect(ready.text, `${origin}/readyz`).not.toContain(secret);
          const health = await client.get(`${origin}/healthz`);
          expect(health.status, `${origin}/healthz`).toBe(200);
          expect(health.text, `${origin}/healthz`).toBe('{"status":"ok"}');
        }
      } finally {
        await workout.restart();
      }
      await eventually(async () => (await client.get(`${stack.proxy.origin}/readyz`)).status === 200, {
        timeoutMs: 60_000,
        what: 'the gateway ready again once workout is back',
      });
      const health = await client.get(`${stack.proxy.origin}/healthz`);
      expect(health.text).toBe('{"status":"ok"}');
      // Served again: a query of the restarted subgraph.
      const exercises = await run(clientFrom(), 'Exercises', {});
      expect(exercises.json?.data?.exercises?.length, shown(exercises)).toBeGreaterThan(0);
    }, 180_000);
  });

  describe('sessions while Redis is cut', () => {
    it('signs out with true, refuses the refresh token at once, and every service refuses the access token soon after Redis returns; the services stay up', async () => {
      const client = clientFrom();
      const member = await signUp(client);
      // The access token works everywhere before: refusals later are the sign-out's.
      const gyms = await run(client, 'Gyms', {}, { token: member.accessToken });
      expect(gyms.json?.data?.gyms?.length, shown(gyms)).toBeGreaterThan(0);
      for (const name of subgraphNames) {
        const answer = await askSubgraph(client, name, member.accessToken);
        expect(answerCodes(answer), `${name}: ${shown(answer)}`).toEqual([]);
      }

      await redis.pause();
      let resumed = false;
      try {
        const signingOut = performance.now();
        const signOut = await run(client, 'SignOut', { refreshToken: member.refreshToken });
        const signOutMs = performance.now() - signingOut;
        expect(signOut.status, shown(signOut)).toBe(200);
        expect(signOut.json, shown(signOut)).toEqual({ data: { signOut: true } });
        console.log(`sign-out through nginx without Redis answered in ${signOutMs.toFixed(0)} ms`);
        // It does not wait for Redis (generous for a busy machine).
        expect(signOutMs).toBeLessThan(5000);

        // Durable at once, in the user database: the refresh token is refused, and the user subgraph refuses the access token.
        const refresh = await run(clientFrom(), 'RefreshSession', { refreshToken: member.refreshToken });
        expect(answerCodes(refresh), shown(refresh)).toEqual(['UNAUTHENTICATED']);
        expect(refresh.json.data ?? null).toBeNull();
        const me = await run(client, 'Me', {}, { token: member.accessToken });
        expect(answerCodes(me), shown(me)).toContain('UNAUTHENTICATED');
        expect(me.json?.data?.me ?? null).toBeNull();

        // Up through the cut: every public /healthz answers, the public /readyz names no dependency.
        // Held a few seconds, so reconnect attempts and the revocation relay's retries fail meanwhile.
        const cutUntil = Date.now() + 3000;
        do {
          for (const service of services) {
            const health = await client.get(`${publicOrigin(service)}/healthz`);
            expect(health.status, `${service} /healthz without Redis`).toBe(200);
            const ready = await client.get(`${publicOrigin(service)}/readyz`);
            expect(ready.json, `${service} /readyz without Redis: ${ready.text}`).toEqual({ status: ready.status === 200 ? 'ready' : 'unavailable' });
            expect(ready.text).not.toMatch(/redis:\/\/|127\.0\.0\.\d+:\d+/);
          }
          const viaNginx = await client.get(`${stack.proxy.origin}/healthz`);
          expect(viaNginx.text).toBe('{"status":"ok"}');
        } while (Date.now() < cutUntil);
        const stillRefused = await run(clientFrom(), 'RefreshSession', { refreshToken: member.refreshToken });
        expect(answerCodes(stillRefused), shown(stillRefused)).toEqual(['UNAUTHENTICATED']);
        for (const service of services) {
          const running = service === 'gateway' ? stack.gateway : stack.subgraphs[service];
          expect(running.exitCode(), `${service} exited during the cut:\n${running.output().slice(-2000)}`).toBeNull();
        }

        await redis.resume();
        resumed = true;
        const back = performance.now();
        const refusedAfterMs: Partial<Record<ProductionService, number>> = {};
        await eventually(
          async () => {
            // The gateway's own refusal is a 401 without data; a subgraph's comes back as a 200 with partial data.
            if (refusedAfterMs.gateway === undefined && gatewayRefused(await run(client, 'Gyms', {}, { token: member.accessToken }))) {
              refusedAfterMs.gateway = performance.now() - back;
            }
            for (const name of subgraphNames) {
              if (refusedAfterMs[name] === undefined && answerCodes(await askSubgraph(client, name, member.accessToken)).includes('UNAUTHENTICATED')) {
                refusedAfterMs[name] = performance.now() - back;
              }
            }
            return services.every((service) => refusedAfterMs[service] !== undefined);
          },
          { timeoutMs: 30_000, intervalMs: 100, what: 'every service to refuse the signed-out token' },
        ).catch((error: Error) => {
          throw new Error(`${error.message}; refused so far: ${JSON.stringify(refusedAfterMs)}`);
        });
        const slowest = Math.max(...Object.values(refusedAfterMs));
        console.log(
          `after Redis returned, the signed-out access token was refused within ${slowest.toFixed(0)} ms: ` +
            services.map((service) => `${service} ${refusedAfterMs[service]!.toFixed(0)} ms`).join(', '),
        );
        // Redis reconnects at most 2 s apart and the revocation relay retries every second (service-kit);
        // generous for a busy machine.
        expect(slowest).toBeLessThan(10_000);
        const afterReturn = await run(clientFrom(), 'RefreshSession', { refreshToken: member.refreshToken });
        expect(answerCodes(afterReturn), shown(afterReturn)).toEqual(['UNAUTHENTICATED']);
      } finally {
        if (!resumed) await redis.resume();
      }

      // Ordinary use again: a member signs in and reads through every subgraph, a new member signs up.
      await eventually(async () => (await client.get(`${stack.proxy.origin}/readyz`)).status === 200, { timeoutMs: 60_000, what: 'the gateway ready after Redis returned' });
      const other = clientFrom();
      const sdk = createFitGraphClient({ url: stack.url, fetch: other.fetch, webSocketImpl: other.WebSocket });
      await sdk.signIn(demoMember, stack.demoPassword);
      expect((await sdk.me())?.email).toBe(demoMember);
      expect((await sdk.gyms()).length).toBeGreaterThan(0);
      expect((await sdk.exercises()).length).toBeGreaterThan(0);
      expect((await sdk.foods()).length).toBeGreaterThan(0);
      expect(Array.isArray(await sdk.conversations())).toBe(true);
      const newcomer = await signUp();
      expect(newcomer.user.email).toBe(newcomer.email);
    }, 180_000);
  });

  describe('afterwards', () => {
    it('no service logged a secret: no email, token, password hash, SQL parameters, the demo password or the gateway secret', () => {
      const known = [stack.demoPassword, stack.env.GATEWAY_SECRET!, 'See you at the rack'];
      for (const service of services) {
        const log = stack.logs(service).map((entry) => JSON.stringify(entry)).join('\n');
        expect(log.length, `${service} logged nothing`).toBeGreaterThan(0);
        const findings = secretsInLog(log, known);
        expect(findings.slice(0, 5), `${service}: ${findings.length} lines show secrets`).toEqual([]);
      }
    });
  });
});
