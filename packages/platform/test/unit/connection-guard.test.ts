/** The one client-auth guard of long-lived connections: verify, then close on revocation or expiry. */
import { loadAuthConfig, type Role } from '@fitgraph/platform';
import { createConnectionGuard, createTokenSigner, createTokenVerifier, openRevocationList, type InvalidatedBy } from '@fitgraph/service-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '@fitgraph/testkit';

const auth = loadAuthConfig({});
const revocations = await openRevocationList({ keyPrefix: '', accessTokenTtlSeconds: auth.accessTokenTtlSeconds });
const guard = createConnectionGuard(createTokenVerifier(auth, revocations), revocations);
afterAll(async () => {
  guard.dispose();
  await revocations.close();
});

const bearer = async (config = auth, id = 'u-1', sessionId = `s-${id}`, role: Role = 'MEMBER') =>
  `Bearer ${(await createTokenSigner(config).sign({ id, role, sessionId })).accessToken}`;

describe('the connection guard', () => {
  it('knows the viewer of a good token, no one without one, and refuses a bad one', async () => {
    await expect(guard.authenticate(await bearer())).resolves.toMatchObject({ id: 'u-1', role: 'MEMBER', sessionId: 's-u-1' });
    await expect(guard.authenticate(null)).resolves.toBeNull();
    await expect(guard.authenticate('Bearer not-a-jwt')).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('closes a connection once when its session is revoked, and leaves the others open', async () => {
    const revoked = (await guard.authenticate(await bearer(auth, 'u-2', 's-revoked')))!;
    const other = (await guard.authenticate(await bearer(auth, 'u-3', 's-other')))!;
    const closes: InvalidatedBy[] = [];
    const otherCloses: InvalidatedBy[] = [];
    guard.watch(revoked, (reason) => closes.push(reason));
    const unwatchOther = guard.watch(other, (reason) => otherCloses.push(reason));
    await revocations.revoke({ sessionIds: ['s-revoked'] });
    await revocations.revoke({ sessionIds: ['s-revoked'] });
    expect(closes).toEqual(['revoked']);
    expect(otherCloses).toEqual([]);
    unwatchOther();
    expect(guard.watched()).toBe(0);
  });

  it('closes a connection when its token expires, if asked to', async () => {
    const shortLived = { ...auth, accessTokenTtlSeconds: 1 };
    const viewer = (await guard.authenticate(await bearer(shortLived, 'u-4')))!;
    const closes: InvalidatedBy[] = [];
    const ignoringExpiry: InvalidatedBy[] = [];
    guard.watch(viewer, (reason) => closes.push(reason), { expiry: true });
    const unwatch = guard.watch(viewer, (reason) => ignoringExpiry.push(reason));
    await eventually(() => closes.length === 1, { what: 'the expiry close', timeoutMs: 3000 });
    expect(closes).toEqual(['expired']);
    expect(ignoringExpiry).toEqual([]);
    unwatch();
  });
});
