/**
 * Revoked sessions and accounts, honoured by every token verifier (the edge and every service).
 *
 * Access tokens are stateless JWTs (auth.ts); signing out, refresh-token reuse and account
 * deletion must still stop them before they expire. Design: the signing service records the
 * revoked session ids (`sid`) or user ids (`sub`, account deletion) here; every process keeps
 * them in memory, so the check on the request path is a Map lookup (no Redis round trip).
 *
 * With `REDIS_URL`: a sorted set `<prefix>auth:revoked` (member `sid:<id>` / `sub:<id>`, score =
 * when the entry may be forgotten) is the record, and a pub/sub message on the channel of the
 * same name tells every process at once. A process loads the set on start (after subscribing,
 * so nothing falls between), again whenever its subscriber reconnects, and every `resyncMs`
 * as a safety net. Bound: a revocation reaches every connected process within one pub/sub hop
 * (about a millisecond on a local Redis; measured in tests/revocation.test.ts); a process cut off
 * from Redis learns of it at the latest on reconnect or the next resync (default 10 s).
 * Without Redis: in-process only (the embedded stack shares one list; separate processes need Redis).
 *
 * Entries live for the access-token TTL plus a minute (a token minted by a refresh racing the
 * revocation expires within that), then a token of the session can no longer be valid anyway.
 * Not covered: a request verified just before the revocation arrived still finishes.
 *
 * Durable first: the signing service records a revocation in its own database, in the same
 * transaction as the change that causes it ({@link recordRevocation}, table
 * {@link pendingRevocations}), and a relay ({@link startRevocationRelay}) puts it on the list
 * right after the commit and again every second until Redis took it. So the change never
 * waits for Redis, and Redis being away only delays the other processes' refusal until it
 * returns (bounded in tests/redis-outage.test.ts); the recording process refuses at once.
 */
import { asc, inArray } from 'drizzle-orm';
import { jsonb, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { Redis } from 'ioredis';
import type { AnyDatabase } from './db';
import { quietRedisErrors, redisConnectionDefaults } from './dependencies';
import { startBatchRelay, type BatchRelay } from './batch-relay';
import type { Logger } from './logger';

export interface Revocation {
  /** Sessions (refresh-token families) whose access tokens are refused from now on. */
  sessionIds?: string[];
  /** Users all of whose access tokens are refused (the account is gone). */
  userIds?: string[];
}

export interface RevocationList {
  readonly kind: 'redis' | 'memory';
  /** Synchronous: whether a token of this user/session must be refused. */
  isRevoked(subject: { id: string; sessionId: string }): boolean;
  /**
   * Records a revocation and tells every process; this process refuses the tokens from the call
   * on (even if it rejects), every other one within a pub/sub hop. Rejects at once when Redis is
   * not connected, or when it cannot record it.
   */
  revoke(revocation: Revocation): Promise<void>;
  /** Called for every revocation this process learns of (its own and others'); returns an unsubscribe. */
  onRevoked(listener: (revocation: Revocation) => void): () => void;
  close(): Promise<void>;
}

export interface RevocationListOptions {
  /** Redis; unset means in-process. */
  redisUrl?: string;
  /** REDIS_KEY_PREFIX. */
  keyPrefix: string;
  /** Access-token lifetime (seconds): how long an entry must be remembered (plus a minute). */
  accessTokenTtlSeconds: number;
  logger?: Logger;
  /** Reload the whole set this often (ms), in case a pub/sub message was lost. Default: 10000. */
  resyncMs?: number;
}

const sessionMember = (id: string) => `sid:${id}`;
const userMember = (id: string) => `sub:${id}`;
const toMembers = (revocation: Revocation) => [
  ...(revocation.sessionIds ?? []).map(sessionMember),
  ...(revocation.userIds ?? []).map(userMember),
];
const fromMembers = (members: string[]): Revocation => ({
  sessionIds: members.filter((m) => m.startsWith('sid:')).map((m) => m.slice(4)),
  userIds: members.filter((m) => m.startsWith('sub:')).map((m) => m.slice(4)),
});

const revocationKey = (keyPrefix: string) => `${keyPrefix}auth:revoked`;

/** Redis when `redisUrl` is set, in-process otherwise. Resolves once the current set is loaded. */
export async function openRevocationList(options: RevocationListOptions): Promise<RevocationList> {
  const retainMs = (options.accessTokenTtlSeconds + 60) * 1000;
  // member -> when it may be forgotten (epoch ms)
  const entries = new Map<string, number>();
  const listeners = new Set<(revocation: Revocation) => void>();
  const remember = (members: string[], until: number): string[] => {
    const fresh = members.filter((member) => !entries.has(member));
    for (const member of members) entries.set(member, Math.max(until, entries.get(member) ?? 0));
    return fresh;
  };
  const notify = (members: string[]) => {
    if (members.length === 0) return;
    const revocation = fromMembers(members);
    for (const listener of listeners) {
      try {
        listener(revocation);
      } catch (error) {
        options.logger?.error({ err: error }, 'revocation listener failed');
      }
    }
  };
  const prune = () => {
    const now = Date.now();
    for (const [member, until] of entries) if (until <= now) entries.delete(member);
  };
  const pruneTimer = setInterval(prune, 60_000);
  pruneTimer.unref();
  const common = {
    isRevoked: ({ id, sessionId }: { id: string; sessionId: string }) => {
      const until = entries.get(sessionMember(sessionId)) ?? entries.get(userMember(id));
      return until !== undefined && until > Date.now();
    },
    onRevoked: (listener: (revocation: Revocation) => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };

  if (!options.redisUrl) {
    return {
      kind: 'memory',
      ...common,
      revoke: async (revocation) => notify(remember(toMembers(revocation), Date.now() + retainMs)),
      close: async () => clearInterval(pruneTimer),
    };
  }

  const key = revocationKey(options.keyPrefix);
  const channel = key;
  // Writes fail fast (the caller reports the error) rather than queueing forever.
  const commands = quietRedisErrors(new Redis(options.redisUrl, { ...redisConnectionDefaults, maxRetriesPerRequest: 2 }), 'revocations', options.logger);
  const subscriber = quietRedisErrors(new Redis(options.redisUrl, { ...redisConnectionDefaults, maxRetriesPerRequest: null }), 'revocations subscriber', options.logger);
  const load = async () => {
    const now = Date.now();
    const flat = await commands.zrangebyscore(key, now, '+inf', 'WITHSCORES');
    const fresh: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) fresh.push(...remember([flat[i]!], Number(flat[i + 1])));
    notify(fresh);
  };
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    try {
      const { members, until } = JSON.parse(message) as { members: string[]; until: number };
      notify(remember(members, until));
    } catch (error) {
      options.logger?.warn({ err: error }, 'unreadable revocation message ignored');
    }
  });
  let started = false;
  // After a reconnect, messages sent meanwhile are lost: reload the set.
  subscriber.on('ready', () => {
    if (started) load().catch((error: unknown) => options.logger?.warn({ err: error }, 'reloading revoked sessions failed'));
  });
  await subscriber.subscribe(channel);
  await load();
  started = true;
  const resync = setInterval(() => {
    load().catch((error: unknown) => options.logger?.warn({ err: error }, 'reloading revoked sessions failed'));
  }, options.resyncMs ?? 10_000);
  resync.unref();

  return {
    kind: 'redis',
    ...common,
    revoke: async (revocation) => {
      const members = toMembers(revocation);
      if (members.length === 0) return;
      const until = Date.now() + retainMs;
      notify(remember(members, until));
      // Not queued for a reconnect: the caller (the relay) retries, and must not wait meanwhile.
      if (commands.status !== 'ready') throw new Error(`Redis is not connected (${commands.status}); revocation not shared yet`);
      const zaddArgs = members.flatMap((member) => [until, member]);
      await commands
        .multi()
        .zadd(key, ...zaddArgs)
        .zremrangebyscore(key, '-inf', Date.now())
        .pexpire(key, retainMs)
        .publish(channel, JSON.stringify({ members, until }))
        .exec();
    },
    close: async () => {
      clearInterval(pruneTimer);
      clearInterval(resync);
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
    },
  };
}

/**
 * Revocations recorded but not yet on the shared list. A signing service re-exports it from
 * its Drizzle schema, so its own migrations create it (like `eventOutbox`).
 */
export const pendingRevocations = pgTable('pending_revocations', {
  id: uuid('id').primaryKey().defaultRandom(),
  revocation: jsonb('revocation').$type<Revocation>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Records `revocation` in the caller's transaction; the relay puts it on the list after the commit. */
export async function recordRevocation(tx: AnyDatabase, revocation: Revocation): Promise<void> {
  if ((revocation.sessionIds?.length ?? 0) + (revocation.userIds?.length ?? 0) === 0) return;
  await tx.insert(pendingRevocations).values({ revocation });
}

/**
 * `flush()` puts every recorded revocation on the list, retried every `intervalMs` while Redis does
 * not take it. This process refuses the tokens once it resolves, whatever Redis does (unless another
 * replica's relay took the record first; that one tells it through Redis). `drained()`: whether the
 * last attempt left nothing waiting for Redis.
 */
export type RevocationRelay = BatchRelay;

const relayBatch = 100;

export function startRevocationRelay(db: AnyDatabase, revocations: RevocationList, logger: Logger, intervalMs = 1000): RevocationRelay {
  const relayBatchOnce = () =>
    db.transaction(async (tx) => {
      // SKIP LOCKED: replicas relaying at once take different rows.
      const rows = await tx
        .select()
        .from(pendingRevocations)
        .orderBy(asc(pendingRevocations.createdAt))
        .limit(relayBatch)
        .for('update', { skipLocked: true });
      if (rows.length === 0) return 0;
      await revocations.revoke({
        sessionIds: rows.flatMap((row) => row.revocation.sessionIds ?? []),
        userIds: rows.flatMap((row) => row.revocation.userIds ?? []),
      });
      await tx.delete(pendingRevocations).where(
        inArray(
          pendingRevocations.id,
          rows.map((row) => row.id),
        ),
      );
      return rows.length;
    });
  // Retried every second while Redis is away; otherwise each record is relayed right after its
  // commit, and a slower sweep takes what a stopped process left.
  return startBatchRelay({ what: 'revocations', relayBatch: relayBatchOnce, batchSize: relayBatch, intervalMs, sweepMs: 10_000, logger });
}
