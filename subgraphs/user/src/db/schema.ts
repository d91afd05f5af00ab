import { sql } from 'drizzle-orm';
import { pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const role = pgEnum('role', ['MEMBER', 'TRAINER', 'GYM_STAFF', 'ADMIN']);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored normalised (trimmed, lower-case); unique. */
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    role: role('role').notNull().default('MEMBER'),
    /** A gym of the gym subgraph; another database, so no foreign key. */
    homeGymId: uuid('home_gym_id'),
    /** IANA zone used to cut days (nutrition totals). */
    timeZone: text('time_zone').notNull().default('UTC'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('users_email_lower_idx').on(sql`lower(${table.email})`)],
);

export type UserRow = typeof users.$inferSelect;
