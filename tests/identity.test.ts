/**
 * Identity through the gateway: accounts, sign-in throttling, rotating refresh tokens, access
 * tokens that are refused when bad, and subgraphs that trust only a verified signature.
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthConfig } from '@fitgraph/platform';
import {
  backends,
  demoAdmin,
  errorCodes,
  graphql,
  graphqlData,
  signIn,
  signUpUser,
  startTestStack,
  type TestStack,
} from '@fitgraph/testkit';

const alex = '6a1b0c9e-0005-4000-8000-000000000001';
const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';
const authFields = 'accessToken refreshToken expiresIn user { id email displayName role }';
const signInMutation = `mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { ${authFields} } }`;
const refreshMutation = `mutation($token: String!) { refreshSession(refreshToken: $token) { ${authFields} } }`;
const signUpMutation = `mutation($input: SignUpInput!) { signUp(input: $input) { ${authFields} } }`;

const devAuth = loadAuthConfig({});
const devKey = createPrivateKey(devAuth.signingKeyPem!);

/** A JWT made by hand, so tests can get every part wrong on purpose. */
function craftToken(
  claims: Record<string, unknown>,
  { key = devKey, kid = devAuth.signingKeyId, alg = 'EdDSA' }: { key?: KeyObject | null; kid?: string; alg?: string } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg, kid, typ: 'JWT' })}.${part({
    sub: alex,
    role: 'MEMBER',
    sid: randomUUID(),
    iss: devAuth.issuer,
    aud: devAuth.audience,
    iat: now,
    exp: now + 600,
    jti: randomUUID(),
    ...claims,
  })}`;
  return `${body}.${key ? sign(null, Buffer.from(body), key).toString('base64url') : ''}`;
}

const decodeJwt = (token: string) => {
  const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, payload };
};

describe(`accounts and sessions through the gateway (${backends.database}, ${backends.pubsub})`, () => {
  let stack: TestStack;
  let url: string;
  beforeAll(async () => {
    // Per-IP throttling has its own stack below; here every test shares 127.0.0.1.
    stack = await startTestStack({ SIGN_IN_MAX_FAILURES_PER_IP: '1000' });
    url = stack.gateway.url;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('signs up, signs in and answers me, with a 15-minute EdDSA access token', async () => {
    const email = `Pat.${randomUUID().slice(0, 8)}@Example.COM`;
    const { signUp } = await graphqlData(url, signUpMutation, {
      variables: { input: { email: `  ${email} `, password: 'correct horse battery', displayName: ' Pat ' } },
    });
    expect(signUp.user).toMatchObject({ email: email.toLowerCase(), displayName: 'Pat', role: 'MEMBER' });
    expect(signUp.expiresIn).toBe(900);
    expect(signUp.refreshToken).toMatch(/^[\w-]{43}$/); // 32 random bytes, base64url

    // Any spelling of the address signs in.
    const session = await signIn(url, email.toUpperCase(), 'correct horse battery');
    expect(session.user.id).toBe(signUp.user.id);
    const { header, payload } = decodeJwt(session.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', kid: devAuth.signingKeyId });
    expect(payload).toMatchObject({ sub: signUp.user.id, role: 'MEMBER', iss: 'fitgraph', aud: 'fitgraph-api' });
    expect(payload.exp - payload.iat).toBe(900);
    expect(payload.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.jti).toBeTruthy();

    const me = await graphqlData(url, '{ me { id email displayName role createdAt } }', { token: session.accessToken });
    expect(me.me).toMatchObject({ id: signUp.user.id, email: email.toLowerCase(), displayName: 'Pat', role: 'MEMBER' });
    expect(await graphqlData(url, '{ me { id } }')).toEqual({ me: null });
  });

  it('refuses bad sign-up input with BAD_USER_INPUT naming the field, and stores nothing', async () => {
    const taken = await signUpUser(url);
    const cases: [Record<string, string>, string][] = [
      [{ email: 'not-an-email' }, 'input.email'],
      [{ email: 'two@@example.com' }, 'input.email'],
      [{ password: 'short' }, 'input.password'],
      [{ email: 'same@example.com', password: ' SAME@example.com ' }, 'input.password'],
      [{ displayName: '   ' }, 'input.displayName'],
      [{ email: taken.email.toUpperCase() }, 'input.email'],
    ];
    for (const [override, field] of cases) {
      const input = { email: `ok-${randomUUID().slice(0, 8)}@example.com`, password: 'long enough password', displayName: 'Ok', ...override };
      const response = await graphql(url, signUpMutation, { variables: { input } });
      expect(response.errors?.[0]?.extensions, JSON.stringify(override)).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(response.data).toBeNull();
    }
    // Nothing was created: the rejected addresses cannot sign in, the taken one still has its owner's password.
    expect(errorCodes(await graphql(url, signInMutation, { variables: { email: 'same@example.com', password: ' SAME@example.com ' } }))).toEqual(['UNAUTHENTICATED']);
    expect((await signIn(url, taken.email, taken.password)).user.id).toBe(taken.id);
  });

  it('answers an unknown email and a wrong password alike, in similar time', async () => {
    const account = await signUpUser(url);
    const attempt = async (email: string) => {
      const started = performance.now();
      const response = await graphql(url, signInMutation, { variables: { email, password: 'wrong password 123' } });
      return { response, ms: performance.now() - started };
    };
    const wrong = [];
    const unknown = [];
    for (let i = 0; i < 4; i += 1) {
      wrong.push(await attempt(account.email));
      unknown.push(await attempt(`nobody-${randomUUID()}@example.com`));
    }
    const shape = (r: Awaited<ReturnType<typeof attempt>>) => ({ status: r.response.status, data: r.response.data, errors: r.response.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })) });
    expect(shape(unknown[0]!)).toEqual(shape(wrong[0]!));
    expect(shape(wrong[0]!).errors).toEqual([{ message: 'Invalid email or password', code: 'UNAUTHENTICATED' }]);
    // Without the dummy hash an unknown email answers in a fraction of the time (no scrypt run):
    // about 0.2 of a wrong password's time here. Medians, so one stall of a busy machine does not count.
    const median = (runs: { ms: number }[]) => runs.map((r) => r.ms).sort((a, b) => a - b)[runs.length >> 1]!;
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
    expect(median(unknown)).toBeLessThan(median(wrong) * 2);
  });

  // On purpose: failures count per account *and* address, so the owner elsewhere is not locked out.
  it('rate-limits the 6th failed sign-in of an account from one address, even with the right password; not the owner elsewhere', async () => {
    const account = await signUpUser(url);
    const other = await signUpUser(url);
    for (let i = 1; i <= 5; i += 1) {
      const response = await graphql(url, signInMutation, { variables: { email: account.email, password: `wrong guess ${i}` } });
      expect(errorCodes(response), `attempt ${i}`).toEqual(['UNAUTHENTICATED']);
    }
    const sixth = await graphql(url, signInMutation, { variables: { email: account.email, password: 'wrong guess 6' } });
    expect(errorCodes(sixth)).toEqual(['RATE_LIMITED']);
    const retryAfter = sixth.errors![0]!.extensions!.retryAfter as number;
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    const right = await graphql(url, signInMutation, { variables: { email: account.email.toUpperCase(), password: account.password } });
    expect(errorCodes(right)).toEqual(['RATE_LIMITED']);
    // The owner from another address (127.0.0.2 is this machine too; the gateway forwards the real peer address).
    const owner = await graphql(url, signInMutation, { variables: { email: account.email, password: account.password }, from: '127.0.0.2' });
    expect(errorCodes(owner)).toEqual([]);
    expect(owner.data?.signIn.user.id).toBe(account.id);
    // Another account is not affected, and a success forgives earlier failures.
    for (let i = 1; i <= 4; i += 1) await graphql(url, signInMutation, { variables: { email: other.email, password: `wrong ${i}` } });
    await signIn(url, other.email, other.password);
    for (let i = 1; i <= 5; i += 1) {
      expect(errorCodes(await graphql(url, signInMutation, { variables: { email: other.email, password: `again ${i}` } }))).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('rotates the refresh token; reusing a rotated one fails and revokes the newer one too', async () => {
    const account = await signUpUser(url);
    const first = await graphqlData(url, refreshMutation, { variables: { token: account.refreshToken } });
    const rotated = first.refreshSession;
    expect(rotated.refreshToken).not.toBe(account.refreshToken);
    expect(rotated.user.id).toBe(account.id);
    expect(decodeJwt(rotated.accessToken).payload.sid).toBe(decodeJwt(account.accessToken).payload.sid);
    expect((await graphqlData(url, '{ me { id } }', { token: rotated.accessToken })).me.id).toBe(account.id);
    const second = (await graphqlData(url, refreshMutation, { variables: { token: rotated.refreshToken } })).refreshSession;

    // The first token again: theft evidence. It fails, and so does the family's newest token.
    const reuse = await graphql(url, refreshMutation, { variables: { token: account.refreshToken } });
    expect(errorCodes(reuse)).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, refreshMutation, { variables: { token: second.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
    // Other sessions of the same user live on.
    const elsewhere = await signIn(url, account.email, account.password);
    expect((await graphqlData(url, refreshMutation, { variables: { token: elsewhere.refreshToken } })).refreshSession.user.id).toBe(account.id);
    expect(errorCodes(await graphql(url, refreshMutation, { variables: { token: 'not-a-token' } }))).toEqual(['UNAUTHENTICATED']);
  });

  it('lets exactly one of two simultaneous refreshes with the same token win', async () => {
    const account = await signUpUser(url);
    const results = await Promise.all([1, 2].map(() => graphql(url, refreshMutation, { variables: { token: account.refreshToken } })));
    expect(results.map((r) => (r.errors ? 'error' : 'ok')).sort()).toEqual(['error', 'ok']);
  });

  it('signs out: the session ends, its refresh token is refused', async () => {
    const account = await signUpUser(url);
    const signOut = 'mutation($token: String!) { signOut(refreshToken: $token) }';
    expect(await graphqlData(url, signOut, { variables: { token: account.refreshToken } })).toEqual({ signOut: true });
    expect(errorCodes(await graphql(url, refreshMutation, { variables: { token: account.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
    expect(await graphqlData(url, signOut, { variables: { token: account.refreshToken } })).toEqual({ signOut: false });
    expect(await graphqlData(url, signOut, { variables: { token: 'unknown' } })).toEqual({ signOut: false });
  });

  it('updates the profile, validating the time zone and ids, and leaves data unchanged on bad input', async () => {
    const account = await signUpUser(url);
    const update = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id displayName timeZone homeGym { id name } } }';
    const updated = await graphqlData(url, update, {
      token: account.accessToken,
      variables: { input: { displayName: 'Renamed', timeZone: 'europe/berlin', homeGymId: ironHarbor } },
    });
    expect(updated.updateProfile).toEqual({ id: account.id, displayName: 'Renamed', timeZone: 'Europe/Berlin', homeGym: { id: ironHarbor, name: 'Iron Harbor Fitness' } });

    for (const [input, field] of [
      [{ timeZone: 'Mars/Olympus_Mons' }, 'input.timeZone'],
      [{ timeZone: 'Europe/Berlin; drop table users' }, 'input.timeZone'],
      [{ homeGymId: 'not-an-id' }, 'input.homeGymId'],
      [{ displayName: '' }, 'input.displayName'],
    ] as const) {
      const response = await graphql(url, update, { token: account.accessToken, variables: { input } });
      expect(response.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const cleared = await graphqlData(url, update, { token: account.accessToken, variables: { input: { homeGymId: null } } });
    expect(cleared.updateProfile).toEqual({ id: account.id, displayName: 'Renamed', timeZone: 'Europe/Berlin', homeGym: null });
  });

  // On purpose: a role change ends the user's sessions instead of waiting for their next refresh.
  it("lets an ADMIN change roles; the user's tokens with the old role are refused at once, gateway and subgraphs alike", async () => {
    const admin = await signIn(url, demoAdmin.email, demoAdmin.password);
    expect(admin.user.role).toBe('ADMIN');
    const account = await signUpUser(url, { role: 'ADMIN' });
    expect(decodeJwt(account.accessToken).payload.role).toBe('ADMIN');
    const setRole = 'mutation($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { id role email } }';
    const changed = await graphqlData(url, setRole, { token: admin.accessToken, variables: { userId: account.id, role: 'MEMBER' } });
    expect(changed.setUserRole).toEqual({ id: account.id, role: 'MEMBER', email: account.email });
    // The demoted ADMIN's token no longer works anywhere, not even for a moment.
    for (const target of [url, stack.subgraphs.user.url, stack.subgraphs.workout.url, stack.subgraphs.chat.url]) {
      const stale = await graphql(target, '{ __typename }', { token: account.accessToken });
      expect(errorCodes(stale), target).toEqual(['UNAUTHENTICATED']);
    }
    expect(errorCodes(await graphql(url, refreshMutation, { variables: { token: account.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
    const again = await signIn(url, account.email, account.password);
    expect(decodeJwt(again.accessToken).payload.role).toBe('MEMBER');
    expect((await graphqlData(url, '{ me { role } }', { token: again.accessToken })).me.role).toBe('MEMBER');

    const unknown = await graphql(url, setRole, { token: admin.accessToken, variables: { userId: randomUUID(), role: 'ADMIN' } });
    expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
    const badId = await graphql(url, setRole, { token: admin.accessToken, variables: { userId: 'x', role: 'ADMIN' } });
    expect(badId.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
    const self = await graphql(url, setRole, { token: admin.accessToken, variables: { userId: demoAdmin.id, role: 'MEMBER' } });
    expect(errorCodes(self)).toEqual(['FORBIDDEN']);
  });

  describe('access tokens', () => {
    const otherKey = generateKeyPairSync('ed25519').privateKey;
    const bad: [string, () => string][] = [
      ['expired', () => craftToken({ iat: Math.floor(Date.now() / 1000) - 1000, exp: Math.floor(Date.now() / 1000) - 100 })],
      ['tampered (role raised after signing)', () => {
        const token = craftToken({});
        const [header, , signature] = token.split('.');
        const payload = Buffer.from(JSON.stringify({ ...decodeJwt(token).payload, role: 'ADMIN' })).toString('base64url');
        return `${header}.${payload}.${signature}`;
      }],
      ['for another audience', () => craftToken({ aud: 'some-other-api' })],
      ['from another issuer', () => craftToken({ iss: 'someone-else' })],
      ['signed with another key under our kid', () => craftToken({}, { key: otherKey })],
      ['with an unknown kid', () => craftToken({}, { kid: 'unknown-key' })],
      ['unsigned (alg none)', () => craftToken({}, { alg: 'none', key: null })],
      ['without a session claim', () => craftToken({ sid: undefined })],
      ['not a JWT at all', () => 'garbage'],
    ];

    it('accepts a well-formed token signed with the current key', async () => {
      expect((await graphqlData(url, '{ me { id } }', { token: craftToken({}) })).me.id).toBe(alex);
    });

    it.each(bad)('refuses a token %s with UNAUTHENTICATED (HTTP 401) at the gateway', async (_name, token) => {
      const response = await graphql(url, '{ me { id } gyms { id } }', { token: token() });
      expect(response.status).toBe(401);
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.data ?? null).toBeNull();
    });

    it.each(bad)('refuses a token %s straight at a subgraph too', async (_name, token) => {
      for (const subgraph of [stack.subgraphs.user, stack.subgraphs.workout]) {
        const response = await graphql(subgraph.url, '{ __typename }', { token: token() });
        expect(response.status).toBe(401);
        expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      }
    });

    it('refuses a malformed Authorization header', async () => {
      const response = await graphql(url, '{ me { id } }', { headers: { authorization: 'Basic YWxleDpwdw==' } });
      expect(response.status).toBe(401);
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    });
  });

  it('treats identity headers sent straight to a subgraph as nothing: no token, no identity', async () => {
    const forged = { 'x-user-id': alex, 'x-user-role': 'ADMIN', 'x-viewer': JSON.stringify({ id: alex, role: 'ADMIN' }), 'x-forwarded-user': alex };
    const me = await graphqlData(stack.subgraphs.user.url, `{ me { id } user(id: "${alex}") { id email } }`, { headers: forged });
    expect(me).toEqual({ me: null, user: { id: alex, email: null } });
    // The entity path the gateway uses: private fields stay private.
    const entities = await graphqlData(
      stack.subgraphs.user.url,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }',
      { variables: { r: [{ __typename: 'User', id: alex }] }, headers: forged },
    );
    expect(entities._entities).toEqual([{ id: alex, email: null }]);
    const mutation = await graphql(stack.subgraphs.user.url, 'mutation { updateProfile(input: { displayName: "Hijacked" }) { id } }', { headers: forged });
    expect(errorCodes(mutation)).toEqual(['UNAUTHENTICATED']);
    expect((await graphqlData(url, `{ user(id: "${alex}") { displayName } }`)).user.displayName).toBe('Alex Demo');
  });

  it('signs in the seeded demo accounts with the demo password', async () => {
    const session = await signIn(url, 'alex@demo.fitgraph.dev', demoAdmin.password);
    expect(session.user).toMatchObject({ id: alex, role: 'MEMBER', email: 'alex@demo.fitgraph.dev' });
  });
});

describe('sign-in throttling per client IP', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ SIGN_IN_MAX_FAILURES_PER_IP: '3' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const fail = (target: string, headers: Record<string, string> = {}, clientIp?: string) =>
    graphql(target, signInMutation, { variables: { email: `nobody-${randomUUID()}@example.com`, password: 'wrong password' }, headers, clientIp });

  it('counts failures across accounts from one address; a client cannot spoof its address through the gateway', async () => {
    for (let i = 0; i < 3; i += 1) {
      // A fresh forged x-forwarded-for each time: the gateway replaces it with the real peer address.
      expect(errorCodes(await fail(stack.gateway.url, { 'x-forwarded-for': `203.0.113.${i}` }))).toEqual(['UNAUTHENTICATED']);
    }
    const fourth = await fail(stack.gateway.url, { 'x-forwarded-for': '203.0.113.99' });
    expect(errorCodes(fourth)).toEqual(['RATE_LIMITED']);
    expect(fourth.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    // The user subgraph keys on the address the gateway attests: another address is not limited.
    expect(errorCodes(await fail(stack.subgraphs.user.url, {}, '198.51.100.7'))).toEqual(['UNAUTHENTICATED']);
  });
});
