import { sql } from 'drizzle-orm';
import { index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { knownIdsTable } from '@fitgraph/service-kit';

export const role = pgEnum('role', ['MEMBER', 'TRAINER', 'GYM_STAFF', 'ADMIN']);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored normalised (trimmed, lower-case); unique. */
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    role: role('role').notNull().default('MEMBER'),
    /** A gym of the gym subgraph; another database, so no foreign key: checked against `known_gyms`. */
    homeGymId: uuid('home_gym_id'),
    /** IANA zone used to cut days (nutrition totals). */
    timeZone: text('time_zone').notNull().default('UTC'),
    /** `scrypt$N$r$p$salt$hash` (see passwords.ts); null: the account cannot sign in with a password. */
    passwordHash: text('password_hash'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('users_email_lower_idx').on(sql`lower(${table.email})`)],
);

/** A signed-in session: one refresh-token family. Revoking it ends every token of the family. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** Why: `sign_out`, `refresh_token_reuse` or `role_changed`. */
    revokedReason: text('revoked_reason'),
  },
  (table) => [index('sessions_user_idx').on(table.userId)],
);

/** Refresh tokens, stored as SHA-256 hashes only; each is used once, then rotated. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** base64url SHA-256 of the token: a leaked table gives no usable token. */
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Set when exchanged for a successor; presenting it again is theft evidence. */
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('refresh_tokens_hash_idx').on(table.tokenHash), index('refresh_tokens_session_idx').on(table.sessionId)],
);

/** Gyms the gym subgraph announced (`gym.created`): what `homeGymId` may name (service-kit references.ts). */
export const knownGyms = knownIdsTable('known_gyms');

/** Revocations (sign-out, refresh-token reuse, role change, account deletion) not yet on the shared list (service-kit revocation.ts). */
export { pendingRevocations } from '@fitgraph/service-kit';

/** Transactional outbox of `user.created` / `user.deleted` (service-kit outbox.ts). */
export { eventOutbox } from '@fitgraph/service-kit';

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

/** Durable events this subgraph has handled (service-kit events.ts handleEventOnce), made by its migrations like every other table. */
export { processedEvents } from '@fitgraph/service-kit';
