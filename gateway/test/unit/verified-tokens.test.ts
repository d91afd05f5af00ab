/** Remembered access tokens (src/verified-tokens.ts): one signature check per token, expiry and revocation still checked on every use. */
import { loadAuthConfig } from '@fitgraph/platform';
import { createTokenSigner, createTokenVerifier, openRevocationList, type RevocationList, type TokenVerifier } from '@fitgraph/service-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rememberVerifiedTokens } from '../../src/verified-tokens';

describe('rememberVerifiedTokens', () => {
  const auth = loadAuthConfig({});
  const signer = createTokenSigner(auth);
  let revocations: RevocationList;
  let verifications = 0;
  let remembered: TokenVerifier;
  const bearer = async (sessionId: string) => `Bearer ${(await signer.sign({ id: `u-${sessionId}`, role: 'MEMBER', sessionId })).accessToken}`;

  beforeAll(async () => {
    revocations = await openRevocationList({ keyPrefix: 'test:', accessTokenTtlSeconds: auth.accessTokenTtlSeconds });
    const verifier = createTokenVerifier(auth, revocations);
    remembered = rememberVerifiedTokens(
      {
        viewerFromAuthorization: (authorization) => {
          verifications += 1;
          return verifier.viewerFromAuthorization(authorization);
        },
      },
      revocations,
      2,
    );
  });
  afterEach(() => vi.useRealTimers());
  afterAll(() => revocations.close());

  it('verifies a token once and answers its later uses from memory', async () => {
    const token = await bearer('s1');
    const before = verifications;
    const first = await remembered.viewerFromAuthorization(token);
    const second = await remembered.viewerFromAuthorization(token);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ id: 'u-s1', sessionId: 's1' });
    expect(verifications - before).toBe(1);
    expect(await remembered.viewerFromAuthorization(null)).toBeNull();
  });

  it('refuses a remembered token once its session is revoked', async () => {
    const token = await bearer('s2');
    await remembered.viewerFromAuthorization(token);
    await revocations.revoke({ sessionIds: ['s2'] });
    await expect(remembered.viewerFromAuthorization(token)).rejects.toThrow('session revoked');
  });

  it('refuses a remembered token once it has expired', async () => {
    const token = await bearer('s3');
    const viewer = await remembered.viewerFromAuthorization(token);
    vi.useFakeTimers({ now: (viewer!.expiresAt! + 1) * 1000 });
    await expect(remembered.viewerFromAuthorization(token)).rejects.toThrow('expired');
  });

  it('keeps only the most recently used tokens', async () => {
    const [a, b, c] = await Promise.all([bearer('s4'), bearer('s5'), bearer('s6')]);
    for (const token of [a, b, c]) await remembered.viewerFromAuthorization(token);
    const before = verifications;
    await remembered.viewerFromAuthorization(c);
    expect(verifications - before).toBe(0);
    await remembered.viewerFromAuthorization(a);
    expect(verifications - before).toBe(1);
  });
});
