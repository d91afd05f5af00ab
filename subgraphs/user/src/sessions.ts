/**
 * Sessions and refresh tokens. A session is one refresh-token family: every refresh rotates the
 * token (the old one is marked rotated, a new one issued); presenting a rotated token again means
 * two parties hold the family (theft), so the whole session is revoked. Tokens are 32 random
 * bytes, stored only as SHA-256 hashes: fast to look up, useless if the table leaks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { recordRevocation, unauthenticated, type Database, type Logger, type RevocationRelay, type TokenSigner } from '@fitgraph/service-kit';
import * as schema from './db/schema';

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: schema.UserRow;
}

export interface SessionOptions {
  signer: TokenSigner;
  refreshTokenTtlSeconds: number;
  logger: Logger;
  /**
   * Puts revocations recorded in a transaction (service-kit `recordRevocation`) on the shared
   * list after the commit, and retries while Redis is away: their access tokens are refused by
   * this process at once and by every other one as soon as Redis takes them.
   */
  revocations: RevocationRelay;
}

const newRefreshToken = () => randomBytes(32).toString('base64url');
export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('base64url');

type Tx = Database<typeof schema>;

async function insertRefreshToken(tx: Tx, sessionId: string, ttlSeconds: number): Promise<string> {
  const token = newRefreshToken();
  await tx.insert(schema.refreshTokens).values({
    sessionId,
    tokenHash: hashRefreshToken(token),
    expiresAt: new Date(Date.now() + ttlSeconds * 1000),
  });
  return token;
}

async function payload(options: SessionOptions, user: schema.UserRow, sessionId: string, refreshToken: string): Promise<AuthPayload> {
  const { accessToken, expiresIn } = await options.signer.sign({ id: user.id, role: user.role, sessionId });
  return { accessToken, refreshToken, expiresIn, user };
}

/**
 * A new session for `user` (sign-up, sign-in). The role the tokens carry is read again under a
 * share lock on the user's row: a role change (accounts.ts `setUserRole`, which locks the row
 * for update) either commits first, and this reads the new role, or waits for this session to
 * commit, and then revokes it.
 */
export async function startSession(db: Tx, options: SessionOptions, user: schema.UserRow): Promise<AuthPayload> {
  const { current, sessionId, refreshToken } = await db.transaction(async (tx) => {
    const [current] = await tx.select().from(schema.users).where(eq(schema.users.id, user.id)).for('share');
    if (!current) throw unauthenticated('This account no longer exists');
    const [session] = await tx.insert(schema.sessions).values({ userId: user.id }).returning({ id: schema.sessions.id });
    return { current, sessionId: session!.id, refreshToken: await insertRefreshToken(tx, session!.id, options.refreshTokenTtlSeconds) };
  });
  return payload(options, current, sessionId, refreshToken);
}

const invalidRefreshToken = () => unauthenticated('Invalid or expired refresh token; sign in again');

/** Exchanges a refresh token for new tokens; UNAUTHENTICATED for unknown, expired, revoked or reused ones. */
export async function refreshSession(db: Tx, options: SessionOptions, refreshToken: string): Promise<AuthPayload> {
  const outcome = await db.transaction(async (tx) => {
    // FOR UPDATE: two refreshes racing with one token serialise; the second sees it rotated.
    const [found] = await tx
      .select({ token: schema.refreshTokens, session: schema.sessions, user: schema.users })
      .from(schema.refreshTokens)
      .innerJoin(schema.sessions, eq(schema.sessions.id, schema.refreshTokens.sessionId))
      .innerJoin(schema.users, eq(schema.users.id, schema.sessions.userId))
      .where(eq(schema.refreshTokens.tokenHash, hashRefreshToken(refreshToken)))
      .for('update', { of: schema.refreshTokens });
    if (!found || found.session.revokedAt) return { kind: 'invalid' as const };
    if (found.token.rotatedAt) {
      // Committed although the caller gets an error: that is the point.
      await tx
        .update(schema.sessions)
        .set({ revokedAt: new Date(), revokedReason: 'refresh_token_reuse' })
        .where(eq(schema.sessions.id, found.session.id));
      await recordRevocation(tx, { sessionIds: [found.session.id] });
      return { kind: 'reused' as const, sessionId: found.session.id, userId: found.user.id };
    }
    if (found.token.expiresAt.getTime() <= Date.now()) return { kind: 'invalid' as const };
    await tx.update(schema.refreshTokens).set({ rotatedAt: new Date() }).where(eq(schema.refreshTokens.id, found.token.id));
    const next = await insertRefreshToken(tx, found.session.id, options.refreshTokenTtlSeconds);
    return { kind: 'rotated' as const, user: found.user, sessionId: found.session.id, refreshToken: next };
  });
  if (outcome.kind === 'reused') {
    options.logger.warn({ sessionId: outcome.sessionId, userId: outcome.userId }, 'refresh token reused; session revoked');
    await options.revocations.flush();
    throw invalidRefreshToken();
  }
  if (outcome.kind === 'invalid') throw invalidRefreshToken();
  return payload(options, outcome.user, outcome.sessionId, outcome.refreshToken);
}

/**
 * Revokes the session of any token of its family, and its access tokens everywhere; true when a
 * live session ended. The session's end and the record of its revocation commit together, so
 * its refresh tokens stop working at once whatever Redis does; the access tokens are refused
 * here once this resolves, and everywhere else as soon as Redis takes the revocation (the relay
 * retries until it does).
 */
export async function endSession(db: Tx, options: SessionOptions, refreshToken: string): Promise<boolean> {
  const [token] = await db
    .select({ sessionId: schema.refreshTokens.sessionId })
    .from(schema.refreshTokens)
    .where(eq(schema.refreshTokens.tokenHash, hashRefreshToken(refreshToken)));
  if (!token) return false;
  const ended = await db.transaction(async (tx) => {
    const revoked = await tx
      .update(schema.sessions)
      .set({ revokedAt: new Date(), revokedReason: 'sign_out' })
      .where(and(eq(schema.sessions.id, token.sessionId), isNull(schema.sessions.revokedAt)))
      .returning({ id: schema.sessions.id });
    if (revoked.length === 0) return false;
    await recordRevocation(tx, { sessionIds: [token.sessionId] });
    return true;
  });
  if (ended) await options.revocations.flush();
  return ended;
}
