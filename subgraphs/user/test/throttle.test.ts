/**
 * Sign-up and sign-in throttling at the user subgraph. Clients are told apart by the address the
 * gateway attests; the testkit attests the loopback address it sends from (127.0.0.x) unless told another.
 */
import { randomUUID } from 'node:crypto';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, errorCodes, graphql } from '@fitgraph/testkit';
import { schema } from '../src/server';
import { SIGN_UP, signInAttempt, signUp, startUser, type UserHarness } from './harness';

describe(`sign-up throttling per client address (${backends.database}, ${backends.pubsub})`, () => {
  let user: UserHarness;
  beforeAll(async () => {
    user = await startUser({ SIGN_UP_MAX_PER_IP: '3', SIGN_UP_WINDOW: '3600' });
  });
  afterAll(async () => {
    await user?.stop();
  });

  const accounts = async () => (await user.db.db.select({ n: count() }).from(schema.users))[0]!.n;
  const attempt = (from: string) =>
    graphql(user.url, SIGN_UP, {
      from,
      variables: { input: { email: `new-${randomUUID().slice(0, 8)}@example.com`, password: 'long enough password', displayName: 'New' } },
    });

  it('refuses the sign-up over the limit with RATE_LIMITED and retryAfter, storing nothing; other addresses go on', async () => {
    for (let i = 1; i <= 3; i += 1) expect(errorCodes(await attempt('127.0.0.2')), `sign-up ${i}`).toEqual([]);
    const before = await accounts();
    const refused = await attempt('127.0.0.2');
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    const retryAfter = refused.errors![0]!.extensions!.retryAfter as number;
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.data).toBeNull();
    expect(await accounts()).toBe(before);
    await signUp(user, { from: '127.0.0.3' });
  });
});

describe(`the client address a subgraph counts: the gateway's attestation only (${backends.database}, ${backends.pubsub})`, () => {
  let user: UserHarness;
  beforeAll(async () => {
    user = await startUser({ SIGN_UP_MAX_PER_IP: '1', SIGN_UP_WINDOW: '3600' });
  });
  afterAll(async () => {
    await user?.stop();
  });
  const attempt = (options: { from: string; clientIp: string; forwardedFor?: string }) =>
    graphql(user.url, SIGN_UP, {
      from: options.from,
      clientIp: options.clientIp,
      headers: options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {},
      variables: { input: { email: `new-${randomUUID().slice(0, 8)}@example.com`, password: 'long enough password', displayName: 'New' } },
    });

  it('counts the attested client, whichever peer it came through and whatever x-forwarded-for says', async () => {
    expect(errorCodes(await attempt({ from: '127.0.0.20', clientIp: '203.0.113.7' }))).toEqual([]);
    // Another gateway replica (peer), the same client: one budget.
    expect(errorCodes(await attempt({ from: '127.0.0.21', clientIp: '203.0.113.7', forwardedFor: '198.51.100.1' }))).toEqual(['RATE_LIMITED']);
    // The same peer for another client: its own budget.
    expect(errorCodes(await attempt({ from: '127.0.0.20', clientIp: '203.0.113.8', forwardedFor: '203.0.113.7' }))).toEqual([]);
  });

  it('refuses a sign-up that did not come through the gateway, before it counts or stores anything', async () => {
    const unsigned = await graphql(user.url, SIGN_UP, {
      unsigned: true,
      variables: { input: { email: `new-${randomUUID().slice(0, 8)}@example.com`, password: 'long enough password', displayName: 'New' } },
    });
    expect(unsigned.status).toBe(403);
    expect(errorCodes(unsigned)).toEqual(['FORBIDDEN']);
  });
});

describe(`sign-in throttling that does not lock the owner out (${backends.database}, ${backends.pubsub})`, () => {
  let user: UserHarness;
  beforeAll(async () => {
    user = await startUser({ SIGN_IN_MAX_FAILURES: '3', SIGN_IN_MAX_FAILURES_PER_ACCOUNT: '5', SIGN_IN_MAX_FAILURES_PER_IP: '1000' });
  });
  afterAll(async () => {
    await user?.stop();
  });

  it('stops one address guessing one account, even with the right password, while the owner elsewhere signs in', async () => {
    const owner = await signUp(user);
    const bystander = await signUp(user);
    for (let i = 1; i <= 3; i += 1) {
      expect(errorCodes(await signInAttempt(user, owner.email, `guess ${i}`, '127.0.0.2')), `guess ${i}`).toEqual(['UNAUTHENTICATED']);
    }
    const limited = await signInAttempt(user, owner.email, owner.password, '127.0.0.2');
    expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
    expect(limited.errors![0]!.extensions!.retryAfter).toBeGreaterThan(800);
    // Before: every address was locked out of the account for 15 minutes.
    expect(errorCodes(await signInAttempt(user, owner.email, owner.password, '127.0.0.3'))).toEqual([]);
    // The guessing address may still sign in to other accounts.
    expect(errorCodes(await signInAttempt(user, bystander.email, bystander.password, '127.0.0.2'))).toEqual([]);
  });

  it('stops many addresses guessing one account, except addresses the owner signed in from before', async () => {
    const owner = await signUp(user);
    expect(errorCodes(await signInAttempt(user, owner.email, owner.password, '127.0.0.10'))).toEqual([]);
    for (let i = 11; i <= 15; i += 1) {
      expect(errorCodes(await signInAttempt(user, owner.email, 'wrong password', `127.0.0.${i}`)), `from .${i}`).toEqual(['UNAUTHENTICATED']);
    }
    // The account's budget for unknown addresses is spent: a new address is refused whatever it sends.
    expect(errorCodes(await signInAttempt(user, owner.email, owner.password, '127.0.0.16'))).toEqual(['RATE_LIMITED']);
    // The owner's usual address is not.
    expect(errorCodes(await signInAttempt(user, owner.email, owner.password, '127.0.0.10'))).toEqual([]);
  });
});
