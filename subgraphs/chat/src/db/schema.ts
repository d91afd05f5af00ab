import { sql } from 'drizzle-orm';
import { check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { dailyQuotaTable, knownIdsTable } from '@fitgraph/service-kit';

/** DIRECT: exactly two people, reused for the pair; GROUP: 2–100 people; GYM_ROOM: one per gym. */
export const conversationKind = pgEnum('conversation_kind', ['DIRECT', 'GROUP', 'GYM_ROOM']);
export type ConversationKind = (typeof conversationKind.enumValues)[number];

export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    title: text('title'),
    kind: conversationKind('kind').notNull().default('GROUP'),
    /** DIRECT only: the two member ids, sorted and joined by ':'; unique so a pair has one conversation. */
    directKey: text('direct_key'),
    /** GYM_ROOM only: the gym (owned by the gym subgraph); unique so a gym has one room. */
    gymId: uuid('gym_id'),
    /** Who started it (null for gym rooms and after the creator deleted their account). */
    createdBy: uuid('created_by'),
    /** The seq of the newest message; bumped under the row lock, so seqs are dense and commit in order. */
    lastSeq: integer('last_seq').notNull().default(0),
    /** Bumped whenever someone leaves or is removed; live streams re-check membership when it moves. */
    membershipVersion: integer('membership_version').notNull().default(0),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('conversations_direct_key_idx').on(table.directKey),
    uniqueIndex('conversations_gym_id_idx').on(table.gymId),
  ],
);

export const conversationMembers = pgTable(
  'conversation_members',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    /** A user of the user subgraph (another database, so no foreign key: checked against `known_users`). */
    userId: uuid('user_id').notNull(),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.conversationId, table.userId] }),
    index('conversation_members_user_id_idx').on(table.userId),
  ],
);

export const messages = pgTable(
  'messages',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    /** 1, 2, 3, ... per conversation; the public id encodes (conversationId, seq). */
    seq: integer('seq').notNull(),
    /** A user of the user subgraph, or DELETED_USER_ID once the sender deleted their account. */
    senderId: uuid('sender_id').notNull(),
    body: text('body').notNull(),
    /** The client's idempotency key for retried sends; unique per (conversation, sender). */
    clientMessageId: text('client_message_id'),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.conversationId, table.seq] }),
    uniqueIndex('messages_client_message_id_idx').on(table.conversationId, table.senderId, table.clientMessageId),
    check('messages_seq_positive', sql`${table.seq} > 0`),
  ],
);

/**
 * Who has checked in at which gym, as told by the gym subgraph's `gym.checked_in` events
 * (chat cannot read the gym database): the eligibility list of each gym's community room.
 */
export const gymVisitors = pgTable(
  'gym_visitors',
  {
    gymId: uuid('gym_id').notNull(),
    userId: uuid('user_id').notNull(),
    firstCheckedInAt: timestamp('first_checked_in_at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.gymId, table.userId] }), index('gym_visitors_user_id_idx').on(table.userId)],
);

/**
 * Accounts the user subgraph announced (`user.created`) and has not deleted (`user.deleted`):
 * who may be made a member (service-kit references.ts).
 */
export const knownUsers = knownIdsTable('known_users');

/** How many messages each sender sent today (service-kit daily-quota.ts). */
export const dailyQuotas = dailyQuotaTable('daily_quotas');

export type ConversationRow = typeof conversations.$inferSelect;
export type ConversationMemberRow = typeof conversationMembers.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;

/** Durable events this subgraph has handled (service-kit events.ts handleEventOnce), made by its migrations like every other table. */
export { processedEvents } from '@fitgraph/service-kit';
