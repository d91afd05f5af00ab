import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadAuthConfig } from '@fitgraph/platform';
import { createTokenSigner, createTokenVerifier, openRevocationList } from '@fitgraph/service-kit';

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};

/** Production refuses the DEV-ONLY gateway secret; these tests are about the keys. */
const productionGatewaySecret = 'a-production-gateway-secret-of-32-chars-or-more';

describe('auth configuration', () => {
  it('lets services that only verify run in production without the private key', async () => {
    const current = pair();
    const verifying = loadAuthConfig({ NODE_ENV: 'production', GATEWAY_SECRET: productionGatewaySecret, AUTH_VERIFICATION_KEYS: JSON.stringify({ k2: current.publicPem }) });
    expect(verifying.signingKeyPem).toBeNull();
    expect(() => createTokenSigner(verifying)).toThrow(/AUTH_SIGNING_KEY/);

    const signing = loadAuthConfig({
      NODE_ENV: 'production',
      GATEWAY_SECRET: productionGatewaySecret,
      AUTH_SIGNING_KEY: current.privatePem,
      AUTH_SIGNING_KEY_ID: 'k2',
      AUTH_VERIFICATION_KEYS: JSON.stringify({ k2: current.publicPem }),
    });
    const { accessToken } = await createTokenSigner(signing).sign({ id: 'u1', role: 'MEMBER', sessionId: 's1' });
    await expect(createTokenVerifier(verifying).viewerFromAuthorization(`Bearer ${accessToken}`)).resolves.toMatchObject({ id: 'u1' });
  });

  it('verifies tokens of a retired key while it is still listed (rotation), and refuses them once removed', async () => {
    const [old, current] = [pair(), pair()];
    const oldSigner = createTokenSigner(
      loadAuthConfig({ AUTH_SIGNING_KEY: old.privatePem, AUTH_SIGNING_KEY_ID: 'k1', AUTH_VERIFICATION_KEYS: JSON.stringify({ k1: old.publicPem }) }),
    );
    const { accessToken } = await oldSigner.sign({ id: 'u1', role: 'MEMBER', sessionId: 's1' });
    const during = loadAuthConfig({ AUTH_VERIFICATION_KEYS: JSON.stringify({ k1: old.publicPem, k2: current.publicPem }) });
    await expect(createTokenVerifier(during).viewerFromAuthorization(`Bearer ${accessToken}`)).resolves.toMatchObject({ id: 'u1' });
    const after = loadAuthConfig({ AUTH_VERIFICATION_KEYS: JSON.stringify({ k2: current.publicPem }) });
    await expect(createTokenVerifier(after).viewerFromAuthorization(`Bearer ${accessToken}`)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  afterEach(() => vi.useRealTimers());

  it('still refuses a token it verified before once the token expires or its session is revoked (verified tokens are remembered)', async () => {
    const config = loadAuthConfig({ AUTH_ACCESS_TOKEN_TTL: '60' });
    const signer = createTokenSigner(config);
    const revocations = await openRevocationList({ keyPrefix: '', accessTokenTtlSeconds: 60 });
    const verifier = createTokenVerifier(config, revocations);
    try {
      vi.useFakeTimers({ toFake: ['Date'] });
      const expiring = `Bearer ${(await signer.sign({ id: 'u1', role: 'MEMBER', sessionId: 's1' })).accessToken}`;
      await expect(verifier.viewerFromAuthorization(expiring)).resolves.toMatchObject({ id: 'u1', sessionId: 's1' });
      vi.advanceTimersByTime(59_000);
      await expect(verifier.viewerFromAuthorization(expiring)).resolves.toMatchObject({ id: 'u1' });
      vi.advanceTimersByTime(1_000);
      await expect(verifier.viewerFromAuthorization(expiring)).rejects.toMatchObject({
        message: 'Invalid access token: expired',
        extensions: { code: 'UNAUTHENTICATED' },
      });

      const revoked = `Bearer ${(await signer.sign({ id: 'u2', role: 'MEMBER', sessionId: 's2' })).accessToken}`;
      await expect(verifier.viewerFromAuthorization(revoked)).resolves.toMatchObject({ id: 'u2' });
      await revocations.revoke({ sessionIds: ['s2'] });
      await expect(verifier.viewerFromAuthorization(revoked)).rejects.toMatchObject({
        message: 'Invalid access token: session revoked',
        extensions: { code: 'UNAUTHENTICATED' },
      });
      // A remembered viewer is the verifier's own: what a caller does to its copy changes nothing.
      const deleted = `Bearer ${(await signer.sign({ id: 'u3', role: 'MEMBER', sessionId: 's3' })).accessToken}`;
      const first = await verifier.viewerFromAuthorization(deleted);
      first!.role = 'ADMIN';
      await expect(verifier.viewerFromAuthorization(deleted)).resolves.toMatchObject({ role: 'MEMBER' });
      await revocations.revoke({ userIds: ['u3'] });
      await expect(verifier.viewerFromAuthorization(deleted)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    } finally {
      await revocations.close();
    }
  });

  it('refuses the DEV-ONLY keys in production', () => {
    expect(() => loadAuthConfig({ NODE_ENV: 'production' })).toThrow(/DEV-ONLY/);
  });
});
