import { and, asc, desc, eq, getTableColumns, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { byKey, groupByKey, isUuid, onlyUuids, type Database } from '@fitgraph/service-kit';
import DataLoader from 'dataloader';
import * as schema from './db/schema';
import { messageId, parseMessageId, type MessageKey } from './ids';

const { conversations, conversationMembers, messages } = schema;

/** One page of `Conversation.messages`: the `last` messages before seq `beforeSeq` (all when null). */
export interface MessagePageKey {
  conversationId: string;
  last: number;
  beforeSeq: number | null;
}

const membershipKey = (conversationId: string, userId: string) => `${conversationId}:${userId}`;

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  return {
    conversationById: new DataLoader(async (ids: readonly string[]) =>
      byKey(ids, await db.select().from(conversations).where(inArray(conversations.id, onlyUuids(ids))), (c) => c.id),
    ),

    /** Whether a user is a member; key `{ conversationId, userId }`. */
    isMember: new DataLoader(
      async (keys: readonly { conversationId: string; userId: string }[]) => {
        const valid = keys.filter((key) => isUuid(key.conversationId) && isUuid(key.userId));
        const rows =
          valid.length === 0
            ? []
            : await db
                .select({ conversationId: conversationMembers.conversationId, userId: conversationMembers.userId })
                .from(conversationMembers)
                .where(
                  or(
                    ...valid.map((key) =>
                      and(eq(conversationMembers.conversationId, key.conversationId), eq(conversationMembers.userId, key.userId)),
                    ),
                  ),
                );
        const found = new Set(rows.map((row) => membershipKey(row.conversationId, row.userId)));
        return keys.map((key) => found.has(membershipKey(key.conversationId, key.userId)));
      },
      { cacheKeyFn: (key) => membershipKey(key.conversationId, key.userId) },
    ),

    /** Member user ids per conversation, earliest to join first. */
    memberIdsByConversationId: new DataLoader(async (ids: readonly string[]) =>
      groupByKey(
        ids,
        await db
          .select({ conversationId: conversationMembers.conversationId, userId: conversationMembers.userId })
          .from(conversationMembers)
          .where(inArray(conversationMembers.conversationId, onlyUuids(ids)))
          .orderBy(asc(conversationMembers.joinedAt), asc(conversationMembers.userId)),
        (row) => row.conversationId,
      ).map((rows) => rows.map((row) => row.userId)),
    ),

    /** Messages by public id (null for unknown or malformed ids). */
    messageById: new DataLoader(async (ids: readonly string[]) => {
      const parsed = ids.map(parseMessageId);
      const keys = parsed.filter((key): key is MessageKey => key !== null);
      const rows =
        keys.length === 0
          ? []
          : await db
              .select()
              .from(messages)
              .where(or(...keys.map((key) => and(eq(messages.conversationId, key.conversationId), eq(messages.seq, key.seq)))));
      const byId = new Map(rows.map((row) => [messageId(row), row]));
      return parsed.map((key) => (key && byId.get(messageId(key))) ?? null);
    }),

    /** Pages of `Conversation.messages`, oldest first; one statement per distinct (last, before). */
    messagePage: new DataLoader(
      async (keys: readonly MessagePageKey[]) => {
        const groups = new Map<string, MessagePageKey[]>();
        for (const key of keys) {
          const group = `${key.last}:${key.beforeSeq}`;
          groups.set(group, [...(groups.get(group) ?? []), key]);
        }
        const pages = new Map<MessagePageKey, schema.MessageRow[]>();
        for (const group of groups.values()) {
          const { last, beforeSeq } = group[0]!;
          const ids = group.map((key) => key.conversationId);
          const rows = await newestMessages(db, ids, last, beforeSeq);
          const byConversation = groupByKey(ids, rows, (row) => row.conversationId);
          group.forEach((key, index) => pages.set(key, byConversation[index]!));
        }
        return keys.map((key) => pages.get(key) ?? []);
      },
      { cacheKeyFn: (key) => `${key.conversationId}:${key.last}:${key.beforeSeq}` },
    ),
  };
}
export type ChatLoaders = ReturnType<typeof createLoaders>;

/**
 * The `last` newest messages (below `beforeSeq`) of each conversation, oldest first. One
 * conversation (the usual case) is a plain backwards index scan with LIMIT; several use a
 * window per conversation.
 */
async function newestMessages(
  db: Database<typeof schema>,
  conversationIds: string[],
  last: number,
  beforeSeq: number | null,
): Promise<schema.MessageRow[]> {
  const below: SQL | undefined = beforeSeq === null ? undefined : lt(messages.seq, beforeSeq);
  if (conversationIds.length === 1) {
    const rows = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationIds[0]!), below))
      .orderBy(desc(messages.seq))
      .limit(last);
    return rows.reverse();
  }
  const ranked = db
    .select({
      ...getTableColumns(messages),
      rank: sql<number>`row_number() over (partition by ${messages.conversationId} order by ${messages.seq} desc)`.as('rank'),
    })
    .from(messages)
    .where(and(inArray(messages.conversationId, conversationIds), below))
    .as('ranked');
  const rows = await db
    .select()
    .from(ranked)
    .where(lte(ranked.rank, last))
    .orderBy(asc(ranked.conversationId), asc(ranked.seq));
  return rows.map(({ rank: _rank, ...row }) => row);
}
