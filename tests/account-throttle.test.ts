/**
 * Sign-up a client can repeat, and throttle keys that give nothing away, against real
 * PostgreSQL and Redis:
 * - the same sign-up again (a client whose first attempt timed out) answers with the same
 *   account and fresh tokens; a different password is still refused as a taken email, and
 *   counts as a failed sign-in;
 * - after failed sign-ins and sign-ups, no Redis key holds an email or a client address.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { errorCodes, graphql, graphqlData, startTestStack, type TestStack } from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const realServers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

const signUp = 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id email } } }';
const signInMutation = 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { accessToken } }';

describe.skipIf(!realServers)('repeatable sign-up and hashed throttle keys', () => {
  let stack: TestStack;
  let url: string;
  const newInput = () => ({ email: `Retry-${randomUUID().slice(0, 8)}@Test.Fitgraph.dev`, password: `pw-${randomUUID()}`, displayName: 'Retrying Member' });

  beforeAll(async () => {
    stack = await startTestStack({ SIGN_IN_MAX_FAILURES: '3' });
    url = stack.gateway.url;
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('the same sign-up again answers with the same account and fresh tokens; another password is a taken email', async () => {
    const input = newInput();
    const first = (await graphqlData(url, signUp, { variables: { input } })).signUp;
    const again = (await graphqlData(url, signUp, { variables: { input: { ...input, email: input.email.toLowerCase() } } })).signUp;
    expect(again.user.id).toBe(first.user.id);
    expect(again.user.email).toBe(input.email.toLowerCase());
    expect(again.refreshToken).not.toBe(first.refreshToken);
    for (const token of [first.accessToken, again.accessToken]) {
      expect((await graphqlData(url, '{ me { id } }', { token })).me.id).toBe(first.user.id);
    }

    const taken = await graphql(url, signUp, { variables: { input: { ...input, password: `other-${randomUUID()}` } } });
    expect(errorCodes(taken)).toEqual(['BAD_USER_INPUT']);
    expect(taken.errors?.[0]?.extensions?.field).toBe('input.email');
    expect(taken.errors?.[0]?.message).toMatch(/already exists/);
    expect(taken.data?.signUp ?? null).toBeNull();
  });

  it('a repeated sign-up with a wrong password counts as a failed sign-in', async () => {
    const input = newInput();
    await graphqlData(url, signUp, { variables: { input } });
    for (let i = 0; i < 3; i += 1) {
      expect(errorCodes(await graphql(url, signUp, { variables: { input: { ...input, password: `guess-${i}-${randomUUID()}` } } }))).toEqual(['BAD_USER_INPUT']);
    }
    // SIGN_IN_MAX_FAILURES=3 from this address for this account: spent, for sign-in and sign-up alike.
    expect(errorCodes(await graphql(url, signInMutation, { variables: { e: input.email, p: input.password } }))).toEqual(['RATE_LIMITED']);
    expect(errorCodes(await graphql(url, signUp, { variables: { input } }))).toEqual(['RATE_LIMITED']);
  });

  it('no Redis key holds an email or a client address after failed sign-ins and sign-ups', async () => {
    const email = `secret-${randomUUID().slice(0, 8)}@test.fitgraph.dev`;
    await graphqlData(url, signUp, { variables: { input: { email, password: `pw-${randomUUID()}`, displayName: 'Keys' } } });
    for (let i = 0; i < 2; i += 1) {
      expect(errorCodes(await graphql(url, signInMutation, { variables: { e: email, p: `wrong-${randomUUID()}` } }))).toEqual(['UNAUTHENTICATED']);
    }
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${stack.env.REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
        keys.push(...found);
        cursor = next;
      } while (cursor !== '0');
      const throttleKeys = keys.filter((key) => /sign-(in|up):/.test(key));
      for (const limiter of ['sign-in:account-ip', 'sign-in:ip', 'sign-in:account', 'sign-up:ip']) {
        expect(throttleKeys.some((key) => key.includes(limiter)), `a ${limiter} key among ${throttleKeys.join(', ')}`).toBe(true);
      }
      const readable = keys.filter((key) => /@|127\.0\.0\.1|secret-|fitgraph\.dev/i.test(key));
      expect(readable).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
