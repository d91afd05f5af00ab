/** Account operations behind the user subgraph's mutations. */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { enqueueEvent, roles } from '@fitgraph/platform';
import {
  badUserInput,
  forbidden,
  isUniqueViolation,
  knownIdsCheck,
  notFound,
  parseInput,
  requireRole,
  requireUser,
  unauthenticated,
  uuidInput,
} from '@fitgraph/service-kit';
import { z } from 'zod';
import type { UserContext } from './context';
import * as schema from './db/schema';
import { hashPassword, needsRehash, verifyPassword } from './passwords';
import { startSession, type AuthPayload } from './sessions';

/** Trimmed and lower-cased: one account per address however it is typed. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

// Deliberately simple: one @, something on each side, a dot in the domain; the real test is mail delivery.
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const maxPasswordLength = 1024; // bounds the hashing work one request can cause

const displayName = z.string().trim().min(1, 'must not be empty').max(60, 'must be at most 60 characters');

const signUpArgs = z
  .object({
    input: z.object({
      email: z.string().transform(normaliseEmail).pipe(z.string().max(254, 'is too long').regex(emailPattern, 'must be an email address')),
      password: z.string().min(10, 'must be at least 10 characters').max(maxPasswordLength, `must be at most ${maxPasswordLength} characters`),
      displayName,
    }),
  })
  .superRefine(({ input }, ctx) => {
    if (normaliseEmail(input.password) === input.email) {
      ctx.addIssue({ code: 'custom', path: ['input', 'password'], message: 'must not be the email address' });
    }
  });

/** A zone Intl knows, in its canonical spelling (PostgreSQL knows the same IANA names). */
function canonicalTimeZone(zone: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const updateProfileArgs = z.object({
  input: z.object({
    displayName: displayName.nullish(),
    homeGymId: uuidInput().nullish(),
    timeZone: z
      .string()
      .nullish()
      .transform((zone, ctx) => {
        if (zone === null || zone === undefined) return zone;
        const canonical = canonicalTimeZone(zone);
        if (!canonical) ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone, e.g. Europe/Berlin' });
        return canonical ?? z.NEVER;
      }),
  }),
});

const setUserRoleArgs = z.object({ userId: uuidInput(), role: z.enum(roles) });

/**
 * Creates the account and announces it (`user.created`, in the same transaction) to the
 * subgraphs that store user ids. Throttled per client IP. A taken email is refused as such:
 * `signUp` signs the new account in, so without an email-verification step there is no answer
 * that would not tell the caller whether the address was free; the per-IP limit bounds probing.
 */
export async function signUp(args: unknown, ctx: UserContext): Promise<AuthPayload> {
  await ctx.accounts.throttle.signUp(ctx.request.clientIp);
  const { input } = parseInput(signUpArgs, args);
  const passwordHash = await hashPassword(input.password, ctx.accounts.scrypt);
  let user: schema.UserRow | undefined;
  try {
    user = await ctx.db.transaction(async (tx) => {
      const [created] = await tx
        .insert(schema.users)
        .values({ email: input.email, displayName: input.displayName, passwordHash })
        .returning();
      await enqueueEvent(tx, 'user.created', { userId: created!.id });
      return created;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_lower_idx')) throw badUserInput('An account with this email already exists', 'input.email');
    throw error;
  }
  ctx.logger.info({ userId: user!.id, requestId: ctx.request.requestId }, 'account created');
  // On the bus before the caller learns the id, so other subgraphs know it by the time it is used.
  await ctx.accounts.outbox.flush();
  return startSession(ctx.db, ctx.accounts.sessions, user!);
}

const invalidCredentials = () => unauthenticated('Invalid email or password');

/**
 * Unknown email and wrong password look the same to the caller: same error, and about the same
 * time (an unknown email is checked against a dummy hash). Throttled per account+IP, per IP and
 * per account (throttle.ts).
 */
export async function signIn(args: { email: string; password: string }, ctx: UserContext): Promise<AuthPayload> {
  const email = normaliseEmail(args.email);
  const ip = ctx.request.clientIp;
  const attempt = await ctx.accounts.throttle.signIn(email, ip);
  const [user] = await ctx.db.select().from(schema.users).where(eq(sql`lower(${schema.users.email})`, email));
  const password = args.password.slice(0, maxPasswordLength + 1);
  const valid =
    user?.passwordHash && password.length <= maxPasswordLength
      ? await verifyPassword(password, user.passwordHash)
      : (await verifyPassword(password, await ctx.accounts.dummyPasswordHash), false);
  if (!user || !valid) {
    ctx.logger.info({ ip, knownAccount: !!user, requestId: ctx.request.requestId }, 'sign-in failed');
    throw invalidCredentials();
  }
  await attempt.succeeded();
  if (needsRehash(user.passwordHash!, ctx.accounts.scrypt)) {
    // The cost was raised since this hash was made: upgrade it now that we hold the password.
    await ctx.db.update(schema.users).set({ passwordHash: await hashPassword(password, ctx.accounts.scrypt) }).where(eq(schema.users.id, user.id));
  }
  ctx.logger.info({ userId: user.id, ip, requestId: ctx.request.requestId }, 'signed in');
  return startSession(ctx.db, ctx.accounts.sessions, user);
}

/** The viewer's own row; UNAUTHENTICATED when the token outlived its account. */
const accountGone = () => unauthenticated('This account no longer exists');

/** `homeGymId` must name a gym the gym subgraph announced (service-kit references.ts). */
const homeGym = knownIdsCheck(schema.knownGyms, 'input.homeGymId', 'gym');

export async function updateProfile(args: unknown, ctx: UserContext): Promise<schema.UserRow> {
  const viewer = requireUser(ctx);
  const { input } = parseInput(updateProfileArgs, args);
  const changes: Partial<typeof schema.users.$inferInsert> = {};
  if (input.displayName != null) changes.displayName = input.displayName;
  if (input.timeZone != null) changes.timeZone = input.timeZone;
  if (input.homeGymId !== undefined) changes.homeGymId = input.homeGymId?.toLowerCase() ?? null; // null clears it
  const gymIds = changes.homeGymId ? [changes.homeGymId] : [];
  await homeGym.beforeTransaction(ctx.db, gymIds);
  const [user] =
    Object.keys(changes).length > 0
      ? await ctx.db.transaction(async (tx) => {
          await homeGym.inTransaction(tx, gymIds);
          return tx.update(schema.users).set(changes).where(eq(schema.users.id, viewer.id)).returning();
        })
      : await ctx.db.select().from(schema.users).where(eq(schema.users.id, viewer.id));
  if (!user) throw accountGone();
  return user;
}

/**
 * Deletes the account (its sessions go with it) and, in the same transaction, records the
 * `user.deleted` event in the outbox, so every other subgraph learns of it even if the process
 * dies right after the commit. Every access token of the user is revoked before the commit, so
 * before any subgraph handles the event: no write with an old token lands after its clean-up.
 */
export async function deleteAccount(ctx: UserContext): Promise<boolean> {
  const viewer = requireUser(ctx);
  const deleted = await ctx.db.transaction(async (tx) => {
    const rows = await tx.delete(schema.users).where(eq(schema.users.id, viewer.id)).returning({ id: schema.users.id });
    if (rows.length === 0) return false;
    await ctx.accounts.sessions.revocations.revoke({ userIds: [viewer.id] });
    await enqueueEvent(tx, 'user.deleted', { userId: viewer.id });
    return true;
  });
  if (!deleted) throw accountGone();
  ctx.logger.info({ userId: viewer.id, requestId: ctx.request.requestId }, 'account deleted');
  void ctx.accounts.outbox.flush();
  return true;
}

/**
 * Changes a user's role and, when it really changes, ends every session of the user: access
 * tokens carry the role, so one minted before the change must not outlive it. The sessions are
 * revoked in the database (their refresh tokens stop working) and announced on the revocation
 * list before the commit (every verifier refuses their access tokens at once); if announcing
 * fails, nothing changed and the admin gets an error. The user signs in again to get tokens
 * with the new role. A sign-in racing with this reads the role under a row lock (sessions.ts),
 * so it either sees the new role or its session is among those revoked here.
 */
export async function setUserRole(args: unknown, ctx: UserContext): Promise<schema.UserRow> {
  const admin = requireRole(ctx, 'ADMIN');
  const { userId, role } = parseInput(setUserRoleArgs, args);
  // An admin demoting themself could leave the platform without one.
  if (userId === admin.id) throw forbidden('Admins cannot change their own role');
  const outcome = await ctx.db.transaction(async (tx) => {
    const [before] = await tx.select({ role: schema.users.role }).from(schema.users).where(eq(schema.users.id, userId)).for('update');
    if (!before) return null;
    const [user] = await tx.update(schema.users).set({ role }).where(eq(schema.users.id, userId)).returning();
    if (before.role === role) return { user: user!, sessionsEnded: 0 };
    const ended = await tx
      .update(schema.sessions)
      .set({ revokedAt: new Date(), revokedReason: 'role_changed' })
      .where(and(eq(schema.sessions.userId, userId), isNull(schema.sessions.revokedAt)))
      .returning({ id: schema.sessions.id });
    await ctx.accounts.sessions.revocations.revoke({ sessionIds: ended.map((session) => session.id) });
    return { user: user!, sessionsEnded: ended.length };
  });
  if (!outcome) throw notFound('User', userId);
  ctx.logger.info({ userId, role, by: admin.id, sessionsEnded: outcome.sessionsEnded, requestId: ctx.request.requestId }, 'role changed');
  return outcome.user;
}
