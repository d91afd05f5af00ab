/**
 * Identity across the graph.
 *
 * Design: the user subgraph signs short-lived access tokens (JWT, EdDSA) with the one private
 * signing key. The gateway verifies the bearer token once per request (refusing bad ones with
 * UNAUTHENTICATED) and forwards the same `Authorization` header; every subgraph verifies the
 * JWT again itself with the public verification keys. Why: a subgraph then trusts only a
 * signature, never a header a client could forge or a network path that skips the gateway,
 * and only the user subgraph can mint tokens (the others hold public keys only).
 * Key rotation: several verification keys by `kid`, one signing key.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { errors as joseErrors, importPKCS8, importSPKI, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ErrorCode, forbidden, unauthenticated } from './errors';
import { loadEnv } from './env';
import type { RevocationList } from './revocation';

export const roles = ['MEMBER', 'TRAINER', 'GYM_STAFF', 'ADMIN'] as const;
export type Role = (typeof roles)[number];

/** Who is asking: the verified subject of the access token. */
export interface Viewer {
  id: string;
  role: Role;
  /** The session (refresh-token family) the token belongs to. */
  sessionId: string;
  /** When the access token expires (epoch seconds); set by the verifier, for long-lived connections. */
  expiresAt?: number;
}

// DEV ONLY: a checked-in key pair so the embedded stack works out of the box. Production must
// set AUTH_SIGNING_KEY / AUTH_VERIFICATION_KEYS; services refuse to start in production with these.
const devKeyId = 'dev-2026-11';
const devPrivateKey = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIgv/t8y6X9FtDxFU5cIP3Fv9gvzrVt3+PtQCWxDj4vq
-----END PRIVATE KEY-----`;
const devPublicKey = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA2reb+EisnB7xYWx6/pgFE0vfEEg/DE0BbKUZeZnCLo4=
-----END PUBLIC KEY-----`;

export const authEnv = {
  /**
   * PKCS8 PEM Ed25519 private key. Only the user subgraph signs, so only it needs this; the
   * gateway and the other subgraphs run without it. Default outside production: the DEV-ONLY key.
   */
  AUTH_SIGNING_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  /** `kid` of the signing key. */
  AUTH_SIGNING_KEY_ID: z.string().default(devKeyId),
  /** JSON object kid -> SPKI PEM public key; every service verifies with these. */
  AUTH_VERIFICATION_KEYS: z.string().default(JSON.stringify({ [devKeyId]: devPublicKey })),
  AUTH_ISSUER: z.string().default('fitgraph'),
  AUTH_AUDIENCE: z.string().default('fitgraph-api'),
  /** Access-token lifetime in seconds. Default: 900 (15 minutes). */
  AUTH_ACCESS_TOKEN_TTL: z.coerce.number().int().positive().default(900),
};

export interface AuthConfig {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  signingKeyId: string;
  /** Null where this process does not sign (every service but the user subgraph, in production). */
  signingKeyPem: string | null;
  verificationKeyPems: Record<string, string>;
}

export function loadAuthConfig(source: NodeJS.ProcessEnv = process.env): AuthConfig {
  const env = loadEnv(authEnv, source);
  const keys = z.record(z.string(), z.string()).parse(JSON.parse(env.AUTH_VERIFICATION_KEYS));
  const production = source.NODE_ENV === 'production';
  if (production && (env.AUTH_SIGNING_KEY === devPrivateKey || keys[devKeyId] === devPublicKey)) {
    throw new Error('The DEV-ONLY auth keys cannot be used with NODE_ENV=production; set AUTH_SIGNING_KEY and AUTH_VERIFICATION_KEYS.');
  }
  return {
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    accessTokenTtlSeconds: env.AUTH_ACCESS_TOKEN_TTL,
    signingKeyId: env.AUTH_SIGNING_KEY_ID,
    signingKeyPem: env.AUTH_SIGNING_KEY ?? (production ? null : devPrivateKey),
    verificationKeyPems: keys,
  };
}

/** Verifies access tokens (every service). */
export interface TokenVerifier {
  /** The viewer for an `Authorization` header value; null when absent; UNAUTHENTICATED when bad. */
  viewerFromAuthorization(authorization: string | null | undefined): Promise<Viewer | null>;
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  role: z.enum(roles),
  sid: z.string().min(1),
});

const invalidToken = (reason: string) =>
  new GraphQLError(`Invalid access token: ${reason}`, {
    extensions: { code: ErrorCode.Unauthenticated, http: { status: 401 } },
  });

/** UNAUTHENTICATED for a token whose session was revoked (signed out, reused refresh token, account deleted). */
const sessionRevoked = () => invalidToken('session revoked');

/**
 * `revocations`: refuse tokens of revoked sessions and deleted accounts (revocation.ts); every
 * service passes its list, the in-memory check costs nothing per request.
 */
export function createTokenVerifier(config: AuthConfig, revocations?: RevocationList): TokenVerifier {
  const keys = new Map<string, Promise<CryptoKey>>(
    Object.entries(config.verificationKeyPems).map(([kid, pem]) => [kid, importSPKI(pem, 'EdDSA')]),
  );
  return {
    async viewerFromAuthorization(authorization) {
      if (!authorization) return null;
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!match) throw invalidToken('expected "Bearer <token>"');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(
          match[1]!,
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
      const viewer: Viewer = { id: claims.data.sub, role: claims.data.role, sessionId: claims.data.sid, expiresAt: payload.exp };
      if (revocations?.isRevoked(viewer)) throw sessionRevoked();
      return viewer;
    },
  };
}

/** Signs access tokens (the user subgraph only). */
export interface TokenSigner {
  sign(viewer: Viewer): Promise<{ accessToken: string; expiresIn: number }>;
}

export function createTokenSigner(config: AuthConfig): TokenSigner {
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

/** Anything with the viewer of the request (every subgraph context). */
export interface HasViewer {
  viewer: Viewer | null;
}

/** The signed-in viewer, or UNAUTHENTICATED. */
export function requireUser(context: HasViewer): Viewer {
  if (!context.viewer) throw unauthenticated();
  return context.viewer;
}

/** The viewer if they hold one of `allowed`; UNAUTHENTICATED / FORBIDDEN otherwise. */
export function requireRole(context: HasViewer, ...allowed: Role[]): Viewer {
  const viewer = requireUser(context);
  if (!allowed.includes(viewer.role)) throw forbidden(`Requires role ${allowed.join(' or ')}`);
  return viewer;
}

/** The viewer if they are `userId` themself or hold one of `roles`; UNAUTHENTICATED / FORBIDDEN otherwise. */
export function requireSelfOr(context: HasViewer, userId: string, ...allowed: Role[]): Viewer {
  const viewer = requireUser(context);
  if (viewer.id !== userId && !allowed.includes(viewer.role)) throw forbidden();
  return viewer;
}

/** Non-throwing form, for fields that are null rather than an error for others (e.g. `User.email`). */
export const isSelfOr = (context: HasViewer, userId: string, ...allowed: Role[]): boolean =>
  !!context.viewer && (context.viewer.id === userId || allowed.includes(context.viewer.role));
