/**
 * Account operations behind the user subgraph's mutations, in gym's `floor.ts` model: each
 * takes the account scope, the viewer where one acts, and parsed input, and returns an
 * `Outcome`; resolvers parse, guard and hand it to `committed`.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { enqueueEvent, type Outcome, type Role, type Viewer } from '@fitgraph/platform';
import {
  badUserInput,
  forbidden,
  isUniqueViolation,
  knownIdsCheck,
  notFound,
  recordRevocation,
  unauthenticated,
  type Database,
  type Logger,
} from '@fitgraph/service-kit';
import * as schema from './db/schema';
import type { AccountResources } from './resources';
import { hashPassword, needsRehash, verifyPassword } from './passwords';
import { startSession, type AuthPayload } from './sessions';

/** Trimmed and lower-cased: one account per address however it is typed. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** Bounds the hashing work one request can cause. */
export const maxPasswordLength = 1024;

/**
 * What an account operation works with: the database, the subgraph's long-lived account
 * resources, the request's logger (request id bound) and the client's address (throttling).
 */
export interface AccountScope {
  db: UserDatabase;
  accounts: AccountResources;
  logger: Logger;
  clientIp: string | null;
}
type UserDatabase = Database<typeof schema>;

/**
 * Creates the account and announces it (`user.created`, in the same transaction) to the
 * subgraphs that store user ids. Throttled per client IP. A taken email is refused as such:
 * `signUp` signs the new account in, so without an email-verification step there is no answer
 * that would not tell the caller whether the address was free; the per-IP limit bounds probing.
 *
 * Repeatable: a client whose sign-up timed out cannot tell whether the account was made, so the
 * same sign-up again (same email and password) answers with the same account and fresh tokens.
 * That is a sign-in, and is throttled as one (throttle.ts): a different password is a failed
 * attempt, answered as a taken email (BAD_USER_INPUT on `input.email`).
 */
export async function signUp(ctx: AccountScope, input: { email: string; password: string; displayName: string }): Promise<Outcome<AuthPayload>> {
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
    if (isUniqueViolation(error, 'users_email_lower_idx')) return repeatedSignUp(ctx, input);
    throw error;
  }
  ctx.logger.info({ userId: user!.id }, 'account created');
  await announced(ctx);
  return { result: await startSession(ctx.db, ctx.accounts.sessions, user!), events: [] };
}

/** The longest a sign-up waits for its `user.created` to reach the bus. */
const announceWaitMs = 1000;

/**
 * On the bus before the caller learns the id, so other subgraphs know it by the time it is used;
 * but bounded: while Redis is away the outbox publishes it once Redis returns, and the sign-up
 * must answer well before the gateway gives up on it.
 */
async function announced(ctx: AccountScope): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ctx.accounts.outbox.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, announceWaitMs)))]);
  clearTimeout(timer);
}

const emailTaken = () => badUserInput('An account with this email already exists', 'input.email');

/** The email is taken: the same account again when the password is its own (a retried sign-up). */
async function repeatedSignUp(ctx: AccountScope, input: { email: string; password: string }): Promise<Outcome<AuthPayload>> {
  const user = await passwordChecked(ctx, input, emailTaken);
  ctx.logger.info({ userId: user.id }, 'sign-up repeated; signed in to the account it made');
  // The first attempt may have ended before its `user.created` reached the bus.
  await announced(ctx);
  return { result: await startSession(ctx.db, ctx.accounts.sessions, user), events: [] };
}

const invalidCredentials = () => unauthenticated('Invalid email or password');

/**
 * The account of `email` if `password` is its password, else `refusal()`. Unknown email and
 * wrong password look the same to the caller: same error, and about the same time (an unknown
 * email is checked against a dummy hash). Throttled per account+IP, per IP and per account
 * (throttle.ts).
 */
async function passwordChecked(ctx: AccountScope, args: { email: string; password: string }, refusal: () => Error): Promise<schema.UserRow> {
  const email = normaliseEmail(args.email);
  const ip = ctx.clientIp;
  const attempt = await ctx.accounts.throttle.signIn(email, ip);
  const [user] = await ctx.db.select().from(schema.users).where(eq(sql`lower(${schema.users.email})`, email));
  const password = args.password.slice(0, maxPasswordLength + 1);
  const valid =
    user?.passwordHash && password.length <= maxPasswordLength
      ? await verifyPassword(password, user.passwordHash)
      : (await verifyPassword(password, await ctx.accounts.dummyPasswordHash), false);
  if (!user || !valid) {
    ctx.logger.info({ ip, knownAccount: !!user }, 'sign-in failed');
    throw refusal();
  }
  await attempt.succeeded();
  if (needsRehash(user.passwordHash!, ctx.accounts.scrypt)) {
    // The cost was raised since this hash was made: upgrade it now that we hold the password.
    await ctx.db.update(schema.users).set({ passwordHash: await hashPassword(password, ctx.accounts.scrypt) }).where(eq(schema.users.id, user.id));
  }
  return user;
}

export async function signIn(ctx: AccountScope, args: { email: string; password: string }): Promise<Outcome<AuthPayload>> {
  const user = await passwordChecked(ctx, args, invalidCredentials);
  ctx.logger.info({ userId: user.id, ip: ctx.clientIp }, 'signed in');
  return { result: await startSession(ctx.db, ctx.accounts.sessions, user), events: [] };
}

/** The viewer's own row; UNAUTHENTICATED when the token outlived its account. */
const accountGone = () => unauthenticated('This account no longer exists');

/** `homeGymId` must name a gym the gym subgraph announced (service-kit references.ts). */
const homeGym = knownIdsCheck(schema.knownGyms, 'input.homeGymId', 'gym');

export async function updateProfile(
  ctx: AccountScope,
  viewer: Viewer,
  input: { displayName?: string | null; timeZone?: string | null; homeGymId?: string | null },
): Promise<Outcome<schema.UserRow>> {
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
  return { result: user, events: [] };
}

/**
 * Deletes the account (its sessions go with it) and, in the same transaction, records the
 * revocation of every access token of the user and the `user.deleted` event in the outbox, so
 * every other subgraph learns of both even if the process dies right after the commit or Redis
 * is away. Events are published only once the revocations recorded before them are on the
 * shared list (resources.ts), so before any subgraph handles the event: no write with an old
 * token lands after its clean-up.
 */
export async function deleteAccount(ctx: AccountScope, viewer: Viewer): Promise<Outcome<boolean>> {
  const deleted = await ctx.db.transaction(async (tx) => {
    const rows = await tx.delete(schema.users).where(eq(schema.users.id, viewer.id)).returning({ id: schema.users.id });
    if (rows.length === 0) return false;
    await recordRevocation(tx, { userIds: [viewer.id] });
    await enqueueEvent(tx, 'user.deleted', { userId: viewer.id });
    return true;
  });
  if (!deleted) throw accountGone();
  ctx.logger.info({ userId: viewer.id }, 'account deleted');
  await ctx.accounts.sessions.revocations.flush();
  void ctx.accounts.outbox.flush();
  return { result: true, events: [] };
}

/**
 * Changes a user's role and, when it really changes, ends every session of the user: access
 * tokens carry the role, so one minted before the change must not outlive it. The sessions are
 * revoked in the database (their refresh tokens stop working) and their revocation recorded in
 * the same transaction, then put on the shared list (every verifier refuses their access tokens
 * once Redis takes it; sessions.ts). The user signs in again to get tokens
 * with the new role. A sign-in racing with this reads the role under a row lock (sessions.ts),
 * so it either sees the new role or its session is among those revoked here.
 */
export async function setUserRole(ctx: AccountScope, admin: Viewer, { userId, role }: { userId: string; role: Role }): Promise<Outcome<schema.UserRow>> {
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
    await recordRevocation(tx, { sessionIds: ended.map((session) => session.id) });
    return { user: user!, sessionsEnded: ended.length };
  });
  if (!outcome) throw notFound('User', userId);
  if (outcome.sessionsEnded > 0) await ctx.accounts.sessions.revocations.flush();
  ctx.logger.info({ userId, role, by: admin.id, sessionsEnded: outcome.sessionsEnded }, 'role changed');
  return { result: outcome.user, events: [] };
}
