/** Chat subgraph servers for integration tests: one database, one or more processes' worth of servers. */
import { randomUUID } from 'node:crypto';
import { and, asc, inArray, isNull } from 'drizzle-orm';
import type { EventBus, Role } from '@fitgraph/platform';
import { eventually, graphqlData, startTestSubgraph, testViewer, type TestDatabase, type TestSubgraph } from '@fitgraph/testkit';
import { chatSubgraph, schema } from '../src/server';

export type ChatDb = TestDatabase<typeof schema>;

export interface ChatServer {
  url: string;
  running: TestSubgraph<typeof schema>;
}

export interface ChatHarness {
  db: ChatDb;
  /** Durable events as the other subgraphs publish them (consumed by `servers[0]`). */
  events: EventBus;
  servers: ChatServer[];
  /** Another server on the same database with its own pub/sub connections (a second replica). */
  addServer(): Promise<ChatServer>;
  /**
   * A user with an access token (random id unless given), announced as the user subgraph does
   * (`user.created`) and known to chat once this resolves, so they may be made a member.
   */
  user(role?: Role, id?: string): Promise<TestUser>;
  /** Announces accounts (`user.created`) and resolves once chat knows every one of them. */
  announceUsers(ids: string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A chat subgraph on its own database. With REDIS_URL every server opens its own pub/sub
 * connections (as separate processes would); without it they share one in-process pub/sub.
 * `env`: settings for every server (e.g. CHAT_SEND_RATE_LIMIT), parsed as the service would.
 */
export async function startChat(env: NodeJS.ProcessEnv = {}): Promise<ChatHarness> {
  const first = await startTestSubgraph(chatSubgraph, { env: { REDIS_KEY_PREFIX: `fgt:chat:${randomUUID()}:`, ...env } });
  const servers: ChatServer[] = [{ url: first.url, running: first }];
  // Further replicas share the database, the key prefix (pub/sub channels, rate-limit counters)
  // and, in memory, the pub/sub; only the first consumes the durable events.
  const addServer = async (): Promise<ChatServer> => {
    const running = await startTestSubgraph(chatSubgraph, {
      env: { REDIS_KEY_PREFIX: first.keyPrefix, ...env },
      db: first.db,
      ...(process.env.REDIS_URL ? {} : { pubsub: first.pubsub }),
    });
    const server = { url: running.url, running };
    servers.push(server);
    return server;
  };
  const announceUsers = async (ids: string[]) => {
    for (const userId of ids) await first.events.publish('user.created', { userId });
    const wanted = ids.map((id) => id.toLowerCase());
    await eventually(
      async () => {
        const known = await first.db.db
          .select({ id: schema.knownUsers.id })
          .from(schema.knownUsers)
          .where(and(inArray(schema.knownUsers.id, wanted), isNull(schema.knownUsers.forgottenAt)));
        return known.length === new Set(wanted).size;
      },
      { what: 'chat to know the announced users' },
    );
  };
  return {
    db: first.db,
    events: first.events,
    servers,
    addServer,
    announceUsers,
    user: async (role, id) => {
      const user = await testViewer(role, id);
      await announceUsers([user.id]);
      return user;
    },
    stop: async () => {
      // Replicas first: the first owns the database.
      await Promise.allSettled(servers.slice(1).map((server) => server.running.stop()));
      await first.stop();
    },
  };
}

/** A token for someone chat was never told about: fine as a caller, refused as a member. */
export const viewer = testViewer;
export type TestUser = Awaited<ReturnType<typeof testViewer>>;

export const START = `mutation($memberIds: [ID!]!, $title: String) {
  startConversation(memberIds: $memberIds, title: $title) { id kind title members { id } }
}`;
export const SEND = `mutation($conversationId: ID!, $body: String!, $clientMessageId: String) {
  sendMessage(conversationId: $conversationId, body: $body, clientMessageId: $clientMessageId) { id body sentAt sender { id } conversation { id } }
}`;
export const MESSAGE_ADDED = `subscription($conversationId: ID!, $after: ID) {
  messageAdded(conversationId: $conversationId, after: $after) { id body sender { id } conversation { id } }
}`;

export async function startConversation(url: string, as: TestUser, members: TestUser[], title?: string) {
  const data = await graphqlData(url, START, { token: as.token, variables: { memberIds: members.map((m) => m.id), title } });
  return data.startConversation as { id: string; kind: string; title: string | null; members: { id: string }[] };
}

export async function send(url: string, as: TestUser, conversationId: string, body: string, clientMessageId?: string) {
  const data = await graphqlData(url, SEND, { token: as.token, variables: { conversationId, body, clientMessageId } });
  return data.sendMessage as { id: string; body: string; sentAt: string; sender: { id: string }; conversation: { id: string } };
}

/** Every row of the chat database in a stable order, to prove a failed mutation changed nothing. */
export async function snapshot(db: ChatDb) {
  const { conversations, conversationMembers, messages, gymVisitors } = schema;
  return {
    conversations: await db.db.select().from(conversations).orderBy(asc(conversations.id)),
    members: await db.db.select().from(conversationMembers).orderBy(asc(conversationMembers.conversationId), asc(conversationMembers.userId)),
    messages: await db.db.select().from(messages).orderBy(asc(messages.conversationId), asc(messages.seq)),
    gymVisitors: await db.db.select().from(gymVisitors).orderBy(asc(gymVisitors.gymId), asc(gymVisitors.userId)),
  };
}

/** How a subscription ended (see TestSubscription.ended); fails if it is still open after `timeoutMs`. */
export async function ended(sub: { ended: Promise<{ error?: unknown }> }, timeoutMs = 10_000): Promise<{ error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the subscription was still open after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([sub.ended, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
