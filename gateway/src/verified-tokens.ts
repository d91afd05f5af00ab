/**
 * Remembers the access tokens this gateway verified, so a client sending the same token on every
 * request (a dashboard, a floor display) costs one EdDSA signature check, not one per request: the
 * check was an eighth of the gateway's CPU per signed-in request in the bench profile. A
 * remembered token is still checked on every use for what can change after its signature was
 * verified: its expiry and its session's revocation; either one sends it through the verifier
 * again, which refuses it with the usual error. Bounded (least recently used evicted).
 */
import type { RevocationList, TokenVerifier } from '@fitgraph/service-kit';

export function rememberVerifiedTokens<TRole extends string>(
  verifier: TokenVerifier<TRole>,
  revocations: RevocationList,
  maxTokens = 1000,
): TokenVerifier<TRole> {
  type Verified = NonNullable<Awaited<ReturnType<TokenVerifier<TRole>['viewerFromAuthorization']>>>;
  const verified = new Map<string, Verified>();
  return {
    async viewerFromAuthorization(authorization) {
      if (!authorization) return verifier.viewerFromAuthorization(authorization);
      const known = verified.get(authorization);
      if (known) {
        verified.delete(authorization);
        // As jose decides expiry: expired once `exp` is not after now (epoch seconds).
        if (known.expiresAt !== undefined && known.expiresAt > Math.floor(Date.now() / 1000) && !revocations.isRevoked(known)) {
          verified.set(authorization, known);
          return { ...known };
        }
      }
      const viewer = await verifier.viewerFromAuthorization(authorization);
      if (viewer?.expiresAt !== undefined) {
        verified.set(authorization, { ...viewer });
        if (verified.size > maxTokens) verified.delete(verified.keys().next().value!);
      }
      return viewer;
    },
  };
}
