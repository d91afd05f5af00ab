import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokenSigner, createTokenVerifier, loadAuthConfig } from '@fitgraph/service-kit';

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};

describe('auth configuration', () => {
  it('lets services that only verify run in production without the private key', async () => {
    const current = pair();
    const verifying = loadAuthConfig({ NODE_ENV: 'production', AUTH_VERIFICATION_KEYS: JSON.stringify({ k2: current.publicPem }) });
    expect(verifying.signingKeyPem).toBeNull();
    expect(() => createTokenSigner(verifying)).toThrow(/AUTH_SIGNING_KEY/);

    const signing = loadAuthConfig({
      NODE_ENV: 'production',
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

  it('refuses the DEV-ONLY keys in production', () => {
    expect(() => loadAuthConfig({ NODE_ENV: 'production' })).toThrow(/DEV-ONLY/);
  });
});
