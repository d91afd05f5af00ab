/** Account operations behind the user subgraph's mutations. */
import { eq, sql } from 'drizzle-orm';
import { enqueueEvent, roles } from '@fitgraph/platform';
import {
  badUserInput,
  forbidden,
  isUniqueViolation,
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

export async function signUp(args: unknown, ctx: UserContext): Promise<AuthPayload> {
  const { input } = parseInput(signUpArgs, args);
  const passwordHash = await hashPassword(input.password, ctx.accounts.scrypt);
  let user: schema.UserRow | undefined;
  try {
    [user] = await ctx.db
      .insert(schema.users)
      .values({ email: input.email, displayName: input.displayName, passwordHash })
      .returning();
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_lower_idx')) throw badUserInput('An account with this email already exists', 'input.email');
    throw error;
  }
  ctx.logger.info({ userId: user!.id, requestId: ctx.request.requestId }, 'account created');
  return startSession(ctx.db, ctx.accounts.sessions, user!);
}

const invalidCredentials = () => unauthenticated('Invalid email or password');

/**
 * Unknown email and wrong password look the same to the caller: same error, and about the same
 * time (an unknown email is checked against a dummy hash). Throttled per account and per IP.
 */
export async function signIn(args: { email: string; password: string }, ctx: UserContext): Promise<AuthPayload> {
  const email = normaliseEmail(args.email);
  const ip = ctx.request.clientIp;
  await ctx.accounts.throttle.attempt(email, ip);
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
  await ctx.accounts.throttle.succeeded(email, ip);
  if (needsRehash(user.passwordHash!, ctx.accounts.scrypt)) {
    // The cost was raised since this hash was made: upgrade it now that we hold the password.
    await ctx.db.update(schema.users).set({ passwordHash: await hashPassword(password, ctx.accounts.scrypt) }).where(eq(schema.users.id, user.id));
  }
  ctx.logger.info({ userId: user.id, ip, requestId: ctx.request.requestId }, 'signed in');
  return startSession(ctx.db, ctx.accounts.sessions, user);
}

/** The viewer's own row; UNAUTHENTICATED when the token outlived its account. */
const accountGone = () => unauthenticated('This account no longer exists');

export async function updateProfile(args: unknown, ctx: UserContext): Promise<schema.UserRow> {
  const viewer = requireUser(ctx);
  const { input } = parseInput(updateProfileArgs, args);
  const changes: Partial<typeof schema.users.$inferInsert> = {};
  if (input.displayName != null) changes.displayName = input.displayName;
  if (input.timeZone != null) changes.timeZone = input.timeZone;
  if (input.homeGymId !== undefined) changes.homeGymId = input.homeGymId; // null clears it
  const [user] =
    Object.keys(changes).length > 0
      ? await ctx.db.update(schema.users).set(changes).where(eq(schema.users.id, viewer.id)).returning()
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

export async function setUserRole(args: unknown, ctx: UserContext): Promise<schema.UserRow> {
  const admin = requireRole(ctx, 'ADMIN');
  const { userId, role } = parseInput(setUserRoleArgs, args);
  // An admin demoting themself could leave the platform without one.
  if (userId === admin.id) throw forbidden('Admins cannot change their own role');
  const [user] = await ctx.db.update(schema.users).set({ role }).where(eq(schema.users.id, userId)).returning();
  if (!user) throw notFound('User', userId);
  ctx.logger.info({ userId, role, by: admin.id, requestId: ctx.request.requestId }, 'role changed');
  return user;
}
