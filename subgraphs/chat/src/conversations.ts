/**
 * Conversation and message operations. Each runs in one transaction and returns the committed
 * result plus the live events to publish; callers publish only after the commit.
 *
 * Ordering: a send bumps `conversations.last_seq` with an UPDATE, which holds the conversation's
 * row lock until commit. So seqs are dense, commit in seq order, and a message with seq N is
 * readable before N+1 exists. Leaving and removal take the same lock and bump
 * `membership_version`, so each message records which membership it was sent under.
 */
import { and, asc, eq, exists, getTableColumns, gt, inArray, lte, sql } from 'drizzle-orm';
import { deletedUserId, type Outcome, type Viewer } from '@fitgraph/platform';
import { GraphQLError } from 'graphql';
import {
  badUserInput,
  consumeDailyQuota,
  ErrorCode,
  forbidden,
  forgetDailyQuotas,
  forgetKnownIds,
  isUuid,
  knownIdsCheck,
  notFound,
  rememberKnownIds,
  type DailyQuota,
  type Database,
} from '@fitgraph/service-kit';
import * as schema from './db/schema';
import { conversationMembers, conversations, dailyQuotas, gymVisitors, knownUsers, messages, type ConversationRow, type MessageRow } from './db/schema';
import { conversationEvent, toPayload } from './events';
import type { StreamPage } from './message-stream';

export type ChatDatabase = Database<typeof schema>;

/** A conversation has at most this many members (gym rooms excepted). */
export const maxMembers = 100;
export const maxBodyLength = 4000;

/** Rolls a transaction back without an error reaching the caller. */
class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('rollback');
  }
}

async function rollbackable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Rollback) return error.value as T;
    throw error;
  }
}

const memberOf = (tx: ChatDatabase, conversationId: string, userId: string) =>
  tx
    .select({ one: sql`1` })
    .from(conversationMembers)
    .where(and(eq(conversationMembers.conversationId, conversationId), eq(conversationMembers.userId, userId)));

/** NOT_FOUND for an unknown conversation, FORBIDDEN for a non-member; the row otherwise (locked when `lock`). */
async function requireMembership(tx: ChatDatabase, viewer: Viewer, conversationId: string, lock = false): Promise<ConversationRow> {
  const query = tx.select().from(conversations).where(eq(conversations.id, conversationId));
  const [conversation] = lock ? await query.for('update') : await query;
  if (!conversation) throw notFound('Conversation', conversationId);
  const [member] = await memberOf(tx, conversationId, viewer.id);
  if (!member) throw forbidden('Only members of the conversation may do this');
  return conversation;
}

/** Why a member-only operation on `conversationId` found nothing: NOT_FOUND or FORBIDDEN. */
async function refusal(db: ChatDatabase, conversationId: string) {
  const [conversation] = await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.id, conversationId));
  return conversation ? forbidden('Only members of the conversation may do this') : notFound('Conversation', conversationId);
}

// ---------------------------------------------------------------- conversations

/**
 * Members must be accounts the user subgraph announced (service-kit references.ts); the caller
 * is one by their token. Checked before the transaction (waiting briefly for a just-created
 * account's event) and again inside it with the rows locked against a concurrent `user.deleted`.
 */
const newMembers = knownIdsCheck(knownUsers, 'memberIds', 'user');
const othersThan = (viewer: Viewer, ids: string[]) => ids.filter((id) => id !== viewer.id);

/**
 * The caller plus `memberIds` (deduplicated): 2 people make a DIRECT conversation, reused for
 * the pair (both are members again if one had left), 3–100 a new GROUP.
 */
export async function startConversation(
  db: ChatDatabase,
  viewer: Viewer,
  memberIds: string[],
  title: string | null,
): Promise<ConversationRow> {
  const ids = [...new Set([viewer.id, ...memberIds])];
  if (ids.length < 2 || ids.length > maxMembers) {
    throw badUserInput(`A conversation has 2–${maxMembers} members, the caller included`, 'memberIds');
  }
  await newMembers.beforeTransaction(db, othersThan(viewer, ids));
  return db.transaction(async (tx) => {
    await newMembers.inTransaction(tx, othersThan(viewer, ids));
    let conversation: ConversationRow | undefined;
    if (ids.length === 2) {
      const directKey = [...ids].sort().join(':');
      [conversation] = await tx
        .insert(conversations)
        .values({ kind: 'DIRECT', directKey, title, createdBy: viewer.id })
        .onConflictDoNothing({ target: conversations.directKey })
        .returning();
      conversation ??= (await tx.select().from(conversations).where(eq(conversations.directKey, directKey)))[0];
    } else {
      [conversation] = await tx.insert(conversations).values({ kind: 'GROUP', title, createdBy: viewer.id }).returning();
    }
    if (!conversation) throw new Error('conversation neither inserted nor found');
    await tx
      .insert(conversationMembers)
      .values(ids.map((userId) => ({ conversationId: conversation.id, userId })))
      .onConflictDoNothing();
    return conversation;
  });
}

/** Adds people to a GROUP conversation of the caller, up to {@link maxMembers} in all. */
export async function addMembers(db: ChatDatabase, viewer: Viewer, conversationId: string, memberIds: string[]): Promise<ConversationRow> {
  await newMembers.beforeTransaction(db, othersThan(viewer, memberIds));
  return db.transaction(async (tx) => {
    // The row lock serialises concurrent additions, so the limit holds.
    const conversation = await requireMembership(tx, viewer, conversationId, true);
    if (conversation.kind === 'DIRECT') throw badUserInput('A direct conversation has two members; start a group conversation instead', 'conversationId');
    if (conversation.kind === 'GYM_ROOM') throw badUserInput('Members join a gym room themselves with joinGymRoom', 'conversationId');
    const current = await tx
      .select({ userId: conversationMembers.userId })
      .from(conversationMembers)
      .where(eq(conversationMembers.conversationId, conversationId));
    const all = new Set([...current.map((row) => row.userId), ...memberIds]);
    if (all.size > maxMembers) throw badUserInput(`A conversation has at most ${maxMembers} members`, 'memberIds');
    const added = memberIds.filter((id) => !current.some((row) => row.userId === id));
    await newMembers.inTransaction(tx, othersThan(viewer, added));
    if (added.length > 0) {
      await tx
        .insert(conversationMembers)
        .values([...new Set(added)].map((userId) => ({ conversationId, userId })))
        .onConflictDoNothing();
    }
    return conversation;
  });
}

/**
 * Deletes one membership under the conversation's row lock; the event ends the member's streams.
 * Throws {@link Rollback} (false) when they were not a member: run it inside `rollbackable`.
 */
async function deleteMembership(tx: ChatDatabase, conversationId: string, userId: string): Promise<Outcome<boolean>> {
  const [bumped] = await tx
    .update(conversations)
    .set({ membershipVersion: sql`${conversations.membershipVersion} + 1` })
    .where(eq(conversations.id, conversationId))
    .returning({ membershipVersion: conversations.membershipVersion });
  const removed = await tx
    .delete(conversationMembers)
    .where(and(eq(conversationMembers.conversationId, conversationId), eq(conversationMembers.userId, userId)))
    .returning({ userId: conversationMembers.userId });
  // Not a member: undo the version bump rather than disturb every stream for nothing.
  if (!bumped || removed.length === 0) throw new Rollback<Outcome<boolean>>({ result: false, events: [] });
  return {
    result: true,
    events: [conversationEvent(conversationId, { type: 'memberRemoved', userId, membershipVersion: bumped.membershipVersion })],
  };
}

export async function leaveConversation(db: ChatDatabase, viewer: Viewer, conversationId: string): Promise<Outcome<boolean>> {
  const outcome = await rollbackable(() => db.transaction((tx) => deleteMembership(tx, conversationId, viewer.id)));
  if (!outcome.result) throw await refusal(db, conversationId);
  return outcome;
}

/**
 * Removes `userId` from a GROUP conversation (its starter while still a member, or an ADMIN) or a
 * gym room (an ADMIN). Removing oneself is leaving. Resolves false when they were not a member.
 */
export async function removeMember(db: ChatDatabase, viewer: Viewer, conversationId: string, userId: string): Promise<Outcome<boolean>> {
  const [conversation] = await db.select().from(conversations).where(eq(conversations.id, conversationId));
  if (!conversation) throw notFound('Conversation', conversationId);
  if (viewer.id !== userId) {
    const starter = conversation.kind === 'GROUP' && conversation.createdBy === viewer.id && (await memberOf(db, conversationId, viewer.id)).length > 0;
    if (!starter && viewer.role !== 'ADMIN') throw forbidden("Only the group's starter or an ADMIN may remove members");
    if (conversation.kind === 'DIRECT') throw badUserInput('Nobody can be removed from a direct conversation; leave it instead', 'conversationId');
  }
  return rollbackable(() => db.transaction((tx) => deleteMembership(tx, conversationId, userId)));
}

/** Joins the gym's community room (created on first join); only after checking in there. */
export async function joinGymRoom(db: ChatDatabase, viewer: Viewer, gymId: string): Promise<ConversationRow> {
  const [visited] = await db
    .select({ one: sql`1` })
    .from(gymVisitors)
    .where(and(eq(gymVisitors.gymId, gymId), eq(gymVisitors.userId, viewer.id)));
  if (!visited) throw forbidden('Only members who have checked in at this gym may join its room');
  return db.transaction(async (tx) => {
    const [created] = await tx.insert(conversations).values({ kind: 'GYM_ROOM', gymId }).onConflictDoNothing({ target: conversations.gymId }).returning();
    const room = created ?? (await tx.select().from(conversations).where(eq(conversations.gymId, gymId)))[0];
    if (!room) throw new Error('gym room neither inserted nor found');
    await tx.insert(conversationMembers).values({ conversationId: room.id, userId: viewer.id }).onConflictDoNothing();
    return room;
  });
}

/**
 * The caller's conversations, most recent activity first. Awaited here: a Drizzle query is a
 * thenable that runs again on every `then`, and the GraphQL executor may call it more than once.
 */
export async function conversationsOf(db: ChatDatabase, viewer: Viewer): Promise<ConversationRow[]> {
  return await db
    .select(getTableColumns(conversations))
    .from(conversations)
    .innerJoin(conversationMembers, eq(conversationMembers.conversationId, conversations.id))
    .where(eq(conversationMembers.userId, viewer.id))
    .orderBy(sql`${conversations.lastActivityAt} desc`, asc(conversations.id));
}

// ---------------------------------------------------------------- messages

/** A send's outcome; `replayed`: a retry answered with the message stored before (nothing new). */
export interface SendOutcome extends Outcome<MessageRow> {
  replayed: boolean;
}

/**
 * Stores a message (members only) and describes its event. With `clientMessageId`, a retry of a
 * send that already committed returns the stored message (and announces it again: streams drop
 * what they already sent) instead of storing a second one; the same id with another body is
 * CONFLICT (a client bug that would otherwise lose the new text without a word). A new message
 * counts against `quota`, the sender's daily bound (RATE_LIMITED beyond it); a retry does not.
 */
export async function sendMessage(
  db: ChatDatabase,
  viewer: Viewer,
  conversationId: string,
  body: string,
  clientMessageId: string | null,
  quota: DailyQuota,
): Promise<SendOutcome> {
  type Sent = { row: MessageRow; membershipVersion: number } | { duplicate: true } | { refused: true };
  const sent = await rollbackable<Sent>(() =>
    db.transaction(async (tx) => {
      const [position] = await tx
        .update(conversations)
        .set({ lastSeq: sql`${conversations.lastSeq} + 1`, lastActivityAt: sql`clock_timestamp()` })
        .where(and(eq(conversations.id, conversationId), exists(memberOf(tx, conversationId, viewer.id))))
        .returning({ seq: conversations.lastSeq, membershipVersion: conversations.membershipVersion });
      if (!position) return { refused: true };
      const [row] = await tx
        .insert(messages)
        .values({ conversationId, seq: position.seq, senderId: viewer.id, body, clientMessageId, sentAt: sql`clock_timestamp()` })
        .onConflictDoNothing({ target: [messages.conversationId, messages.senderId, messages.clientMessageId] })
        .returning();
      // A retry: give the seq back (the lock is still ours, so nobody else took the next one).
      if (!row) throw new Rollback<Sent>({ duplicate: true });
      await consumeDailyQuota(tx, dailyQuotas, viewer.id, quota);
      return { row, membershipVersion: position.membershipVersion };
    }),
  );
  if ('refused' in sent) throw await refusal(db, conversationId);
  if ('duplicate' in sent) {
    // Membership was just checked under the conversation's lock; a leave since must not turn this into an error.
    const replay = await replayOfSend(db, viewer, conversationId, clientMessageId!, body, { checkMembership: false });
    if (!replay) throw new Error('duplicate message vanished');
    return replay;
  }
  return { ...messageOutcome(sent.row, sent.membershipVersion), replayed: false };
}

/** The answer to a send whose `clientMessageId` already names a message with another body. */
const clientMessageIdReused = (clientMessageId: string) =>
  new GraphQLError(`clientMessageId ${JSON.stringify(clientMessageId)} was already used for a different message; use a new id for a new message`, {
    extensions: { code: ErrorCode.Conflict, field: 'clientMessageId' },
  });

/**
 * What a retry of the viewer's send of `body` with `clientMessageId` gets when it already
 * committed (and the viewer is still a member, as for any send); null when there is no such
 * message; CONFLICT when the stored message has another body.
 */
export async function replayOfSend(
  db: ChatDatabase,
  viewer: Viewer,
  conversationId: string,
  clientMessageId: string,
  body: string,
  { checkMembership = true } = {},
): Promise<SendOutcome | null> {
  const [found] = await db
    .select({ row: messages, membershipVersion: conversations.membershipVersion })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(
      and(
        eq(messages.conversationId, conversationId),
        eq(messages.senderId, viewer.id),
        eq(messages.clientMessageId, clientMessageId),
        checkMembership ? exists(memberOf(db, conversationId, viewer.id)) : undefined,
      ),
    );
  if (!found) return null;
  if (found.row.body !== body) throw clientMessageIdReused(clientMessageId);
  return { ...messageOutcome(found.row, found.membershipVersion), replayed: true };
}

const messageOutcome = (row: MessageRow, membershipVersion: number): Outcome<MessageRow> => ({
  result: row,
  events: [conversationEvent(row.conversationId, { type: 'message', membershipVersion, message: toPayload(row) })],
});

/** Where a new stream starts: the newest seq and membership version, or why it may not open. */
export async function streamPosition(
  db: ChatDatabase,
  viewer: Viewer,
  conversationId: string,
): Promise<{ lastSeq: number; membershipVersion: number }> {
  const [row] = await db
    .select({
      lastSeq: conversations.lastSeq,
      membershipVersion: conversations.membershipVersion,
      isMember: exists(memberOf(db, conversationId, viewer.id)),
    })
    .from(conversations)
    .where(eq(conversations.id, conversationId));
  if (!row) throw notFound('Conversation', conversationId);
  if (!row.isMember) throw forbidden('Only members of the conversation may subscribe to it');
  return row;
}

/** One page for a stream: messages in (afterSeq, uptoSeq] and the membership now, in one statement. */
export async function streamPage(
  db: ChatDatabase,
  viewerId: string,
  conversationId: string,
  afterSeq: number,
  uptoSeq: number,
  limit: number,
): Promise<StreamPage> {
  const rows = await db
    .select({
      membershipVersion: conversations.membershipVersion,
      isMember: exists(memberOf(db, conversationId, viewerId)),
      message: messages,
    })
    .from(conversations)
    .leftJoin(messages, and(eq(messages.conversationId, conversations.id), gt(messages.seq, afterSeq), lte(messages.seq, uptoSeq)))
    .where(eq(conversations.id, conversationId))
    .orderBy(asc(messages.seq))
    .limit(limit);
  const first = rows[0];
  if (!first) return { isMember: false, membershipVersion: 0, messages: [] };
  return {
    isMember: Boolean(first.isMember),
    membershipVersion: first.membershipVersion,
    messages: rows.flatMap((row) => (row.message ? [row.message] : [])),
  };
}

// ---------------------------------------------------------------- events from other subgraphs

/** `user.created`: the account may be made a member from now on. Idempotent. */
export const recordUser = (tx: ChatDatabase, userId: string): Promise<void> => rememberKnownIds(tx, knownUsers, [userId]);

/** `gym.checked_in`: the user may join that gym's room from now on. Idempotent. */
export async function recordCheckIn(tx: ChatDatabase, payload: { gymId: string; userId: string; at: string }): Promise<void> {
  // A malformed event is skipped rather than retried for ever (it can never succeed).
  if (!isUuid(payload.gymId) || !isUuid(payload.userId)) return;
  const at = new Date(payload.at);
  await tx
    .insert(gymVisitors)
    .values({ gymId: payload.gymId, userId: payload.userId, firstCheckedInAt: Number.isNaN(at.getTime()) ? new Date() : at })
    .onConflictDoNothing();
}

/**
 * `user.deleted`: no personal data of the user remains. Their messages stay (the conversation
 * would not make sense without them) but are attributed to `deletedUserId`; their memberships,
 * gym visits, retry keys, daily counts and the pairing key of their direct conversations are
 * deleted. The events (published after commit) end their open streams; the membership versions
 * move too, so even a lost event stops those streams before the next message.
 */
export async function forgetUser(tx: ChatDatabase, userId: string): Promise<Outcome<{ conversationsLeft: number }>> {
  // First: a concurrent startConversation/addMembers holding the row (FOR SHARE) is waited for, and its members deleted below.
  await forgetKnownIds(tx, knownUsers, [userId]);
  const left = await tx.delete(conversationMembers).where(eq(conversationMembers.userId, userId)).returning({ id: conversationMembers.conversationId });
  const bumped =
    left.length === 0
      ? []
      : await tx
          .update(conversations)
          .set({ membershipVersion: sql`${conversations.membershipVersion} + 1` })
          .where(inArray(conversations.id, left.map((row) => row.id)))
          .returning({ id: conversations.id, membershipVersion: conversations.membershipVersion });
  await tx.update(messages).set({ senderId: deletedUserId, clientMessageId: null }).where(eq(messages.senderId, userId));
  await tx.update(conversations).set({ createdBy: null }).where(eq(conversations.createdBy, userId));
  await tx
    .update(conversations)
    .set({ directKey: null })
    .where(and(eq(conversations.kind, 'DIRECT'), sql`${userId} = any(string_to_array(${conversations.directKey}, ':'))`));
  await tx.delete(gymVisitors).where(eq(gymVisitors.userId, userId));
  await forgetDailyQuotas(tx, dailyQuotas, userId);
  return {
    result: { conversationsLeft: bumped.length },
    events: bumped.map(({ id, membershipVersion }) => conversationEvent(id, { type: 'memberRemoved', userId, membershipVersion })),
  };
}
