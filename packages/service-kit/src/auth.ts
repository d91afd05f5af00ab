/**
 * Identity across the graph.
 *
 * Design: one service signs short-lived access tokens (JWT, EdDSA) with the one private
 * signing key. An edge verifies the bearer token once per request (refusing bad ones with
 * UNAUTHENTICATED) and forwards the same `Authorization` header; every service behind it
 * verifies the JWT again itself with the public verification keys. Why: a service then trusts
 * only a signature, never a header a client could forge or a network path that skips the
 * edge, and only the signing service can mint tokens (the others hold public keys only).
 * Key rotation: several verification keys by `kid`, one signing key.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { errors as joseErrors, importPKCS8, importSPKI, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ErrorCode, forbidden, unauthenticated } from './errors';
import type { RevocationList } from './revocation';

/** Who is asking: the verified subject of the access token. */
export interface Viewer<TRole extends string = string> {
  id: string;
  role: TRole;
  /** The session (refresh-token family) the token belongs to. */
  sessionId: string;
  /** When the access token expires (epoch seconds); set by the verifier, for long-lived connections. */
  expiresAt?: number;
}

export interface AuthConfig<TRole extends string = string> {
  /** The roles a token may carry; a token with any other is refused. */
  roles: readonly TRole[];
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  signingKeyId: string;
  /** Null where this process does not sign. */
  signingKeyPem: string | null;
  verificationKeyPems: Record<string, string>;
}

/** Verifies access tokens (every service). */
export interface TokenVerifier<TRole extends string = string> {
  /** The viewer for an `Authorization` header value; null when absent; UNAUTHENTICATED when bad. */
  viewerFromAuthorization(authorization: string | null | undefined): Promise<Viewer<TRole> | null>;
}

const invalidToken = (reason: string) =>
  new GraphQLError(`Invalid access token: ${reason}`, {
    extensions: { code: ErrorCode.Unauthenticated, http: { status: 401 } },
  });

/** UNAUTHENTICATED for a token whose session was revoked (signed out, reused refresh token, account deleted). */
const sessionRevoked = () => invalidToken('session revoked');

/** Verified tokens a verifier remembers (~10 k distinct signed-in clients per process; a few MB at most). */
const maxVerifiedTokens = 10_000;

/**
 * `revocations`: refuse tokens of revoked sessions and deleted accounts (revocation.ts); every
 * service passes its list, the in-memory check costs nothing per request.
 */
export function createTokenVerifier<TRole extends string>(config: AuthConfig<TRole>, revocations?: RevocationList): TokenVerifier<TRole> {
  const claimsSchema = z.object({
    sub: z.string().min(1),
    role: z.enum(config.roles as readonly [TRole, ...TRole[]]),
    sid: z.string().min(1),
  });
  const keys = new Map<string, Promise<CryptoKey>>(
    Object.entries(config.verificationKeyPems).map(([kid, pem]) => [kid, importSPKI(pem, 'EdDSA')]),
  );
  // Tokens whose signature and claims already verified against this verifier's (fixed) keys. An
  // EdDSA check costs ~0.16 ms of CPU, paid by the gateway and again by every subgraph a request
  // reaches; the same bytes always verify the same way. Expiry and revocation are checked on every use.
  const verified = new Map<string, Viewer<TRole>>();
  return {
    async viewerFromAuthorization(authorization) {
      if (!authorization) return null;
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!match) throw invalidToken('expected "Bearer <token>"');
      const token = match[1]!;
      const known = verified.get(token);
      if (known) {
        // jose's rule: expired once `exp` <= now in whole seconds.
        if (known.expiresAt! <= Math.floor(Date.now() / 1000)) {
          verified.delete(token);
          throw invalidToken('expired');
        }
        if (revocations?.isRevoked(known)) throw sessionRevoked();
        return { ...known };
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(
          token,
          async (header) => {
            const key = header.kid ? keys.get(header.kid) : undefined;
            if (!key) throw new joseErrors.JWKSNoMatchingKey();
            return key;
          },
          { issuer: config.issuer, audience: config.audience, algorithms: ['EdDSA'], requiredClaims: ['exp', 'iat', 'sub'] },
        ));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw invalidToken('expired');
        if (error instanceof joseErrors.JOSEError) throw invalidToken('signature, issuer, audience or key not accepted');
        throw error;
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw invalidToken('missing claims');
      const viewer: Viewer<TRole> = { id: claims.data.sub, role: claims.data.role as TRole, sessionId: claims.data.sid, expiresAt: payload.exp };
      if (revocations?.isRevoked(viewer)) throw sessionRevoked();
      // Only what the cached path can re-check alone: an expiry, and no not-before.
      if (payload.exp !== undefined && payload.nbf === undefined) {
        // Bounded: the oldest out first (a Map keeps insertion order).
        if (verified.size >= maxVerifiedTokens) verified.delete(verified.keys().next().value!);
        verified.set(token, viewer);
      }
      return { ...viewer };
    },
  };
}

/** Signs access tokens (the one signing service only). */
export interface TokenSigner<TRole extends string = string> {
  sign(viewer: Viewer<TRole>): Promise<{ accessToken: string; expiresIn: number }>;
}

export function createTokenSigner<TRole extends string>(config: AuthConfig<TRole>): TokenSigner<TRole> {
  if (!config.signingKeyPem) throw new Error('AUTH_SIGNING_KEY is not set: this service cannot sign access tokens.');
  const key = importPKCS8(config.signingKeyPem, 'EdDSA');
  return {
    async sign(viewer) {
      const accessToken = await new SignJWT({ role: viewer.role, sid: viewer.sessionId })
        .setProtectedHeader({ alg: 'EdDSA', kid: config.signingKeyId, typ: 'JWT' })
        .setSubject(viewer.id)
        .setIssuer(config.issuer)
        .setAudience(config.audience)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${config.accessTokenTtlSeconds}s`)
        .sign(await key);
      return { accessToken, expiresIn: config.accessTokenTtlSeconds };
    },
  };
}

// ---------------------------------------------------------------- guards

/** Anything with the viewer of the request (every resolver context). */
export interface HasViewer<TRole extends string = string> {
  viewer: Viewer<TRole> | null;
}

/** The signed-in viewer, or UNAUTHENTICATED. */
export function requireUser<TRole extends string>(context: HasViewer<TRole>): Viewer<TRole> {
  if (!context.viewer) throw unauthenticated();
  return context.viewer;
}

/** The viewer if they hold one of `allowed`; UNAUTHENTICATED / FORBIDDEN otherwise. */
export function requireRole<TRole extends string>(context: HasViewer<TRole>, ...allowed: NoInfer<TRole>[]): Viewer<TRole> {
  const viewer = requireUser(context);
  if (!allowed.includes(viewer.role)) throw forbidden(`Requires role ${allowed.join(' or ')}`);
  return viewer;
}

/** The viewer if they are `userId` themself or hold one of `roles`; UNAUTHENTICATED / FORBIDDEN otherwise. */
export function requireSelfOr<TRole extends string>(context: HasViewer<TRole>, userId: string, ...allowed: NoInfer<TRole>[]): Viewer<TRole> {
  const viewer = requireUser(context);
  if (viewer.id !== userId && !allowed.includes(viewer.role)) throw forbidden();
  return viewer;
}

/** Non-throwing form, for fields that are null rather than an error for others. */
export const isSelfOr = <TRole extends string>(context: HasViewer<TRole>, userId: string, ...allowed: NoInfer<TRole>[]): boolean =>
  !!context.viewer && (context.viewer.id === userId || allowed.includes(context.viewer.role));
