/**
 * Fixed-window rate limits (rate-limiter-flexible): counters in Redis when REDIS_URL is set, so
 * every replica counts against the same budget; in memory otherwise. Keys live under
 * `<keyPrefix><name>:` followed by a hash of the caller's key (HMAC-SHA256 with `keySecret`,
 * else SHA-256): emails and addresses never appear in Redis. Callers turn a refusal into
 * `rateLimited(...)` (errors.ts).
 *
 * While Redis is unreachable, no replica may hand out a budget of its own (that would multiply
 * it by the replica count, and forget what was counted before). Each process then grants a key at
 * most its share of what was left, `floor((points - counted) / replicas)`, where `counted` is the
 * count Redis last reported to this process for the key's current window and `replicas` the most
 * processes that share the budget (RATE_LIMIT_REPLICAS; a deployment's autoscaler maximum). The
 * window keeps the end Redis reported. With every replica knowing the latest count (a key one
 * replica serves, or round-robin balancing), the replicas together grant at most what was left:
 * never more than the budget in a window. What a process counted meanwhile is added to the
 * shared count at the key's next use once Redis answers again, if its window has not ended.
 * A budget smaller than `replicas` leaves a share of 0: refused (RATE_LIMITED) until Redis returns.
 */
import { createHash, createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { firstReadyOrTimeout } from './dependencies';
import type { Logger } from './logger';

/**
 * The outcome of one attempt: allowed, or refused with the seconds until the window resets.
 * `remaining` (points left in the window) and `resetSeconds` (until the window ends) feed
 * `RateLimit-*` response headers.
 */
export type RateLimitVerdict =
  | { limited: false; remaining?: number; resetSeconds?: number }
  | { limited: true; retryAfterSeconds: number; remaining?: number; resetSeconds?: number };

export interface RateLimiter {
  /**
   * Takes `points` (default 1) from `key`'s budget for the current window. A refused attempt
   * still counts, but never moves the window's end.
   */
  consume(key: string, points?: number): Promise<RateLimitVerdict>;
  /** Gives points back (e.g. the attempt turned out not to count). */
  reward(key: string, points?: number): Promise<void>;
  /** Forgets `key`'s count entirely. */
  reset(key: string): Promise<void>;
  /** Points taken from `key`'s budget in the current window (0 when none, or when nothing is known of it). */
  consumed(key: string): Promise<number>;
}

export interface RateLimiters {
  /** A limit of `points` per `durationSeconds` per key; keys under `<keyPrefix><name>:`. */
  limiter(name: string, limit: { points: number; durationSeconds: number }): RateLimiter;
  close(): Promise<void>;
}

export interface RateLimitOptions {
  redisUrl?: string;
  /** Usually REDIS_KEY_PREFIX. */
  keyPrefix: string;
  logger: Logger;
  /**
   * The most processes that share these budgets (RATE_LIMIT_REPLICAS): while Redis is away each
   * grants at most this fraction of what is left. Default: 1.
   */
  replicas?: number;
  /** Secret the keys are hashed with (HMAC-SHA256), so a key cannot be guessed from its hash. Unset: plain SHA-256. */
  keySecret?: string;
}

const maxMemoryDurationSeconds = Math.floor((2 ** 31 - 1) / 1000);

/** How long the first attempts wait for Redis before counting in process. */
const firstConnectionWaitMs = 1000;

/** Keys whose last count a process remembers per limiter (for an outage); the least recently used go first. */
const maxRememberedKeys = 50_000;

/** A key's count in one window: what Redis last reported, or what this process counted while Redis was away. */
interface WindowCount {
  consumed: number;
  windowEndsAt: number;
}

/** A Map of counts that forgets ended windows and keeps at most `maxRememberedKeys` (least recently set go first). */
class WindowCounts {
  private readonly counts = new Map<string, WindowCount & { share?: number }>();

  get(key: string, now = Date.now()) {
    const found = this.counts.get(key);
    if (found && found.windowEndsAt <= now) this.counts.delete(key);
    return found && found.windowEndsAt > now ? found : undefined;
  }

  set(key: string, count: WindowCount & { share?: number }) {
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > maxRememberedKeys) this.counts.delete(this.counts.keys().next().value!);
  }

  delete(key: string) {
    this.counts.delete(key);
  }

  prune(now = Date.now()) {
    for (const [key, count] of this.counts) if (count.windowEndsAt <= now) this.counts.delete(key);
  }
}

const limitedVerdict = (msLeft: number): RateLimitVerdict => {
  const seconds = Math.max(0, msLeft) / 1000;
  return { limited: true, retryAfterSeconds: seconds, remaining: 0, resetSeconds: seconds };
};

/** Opens one Redis connection (when `redisUrl` is set) shared by every limiter made from it. */
export function openRateLimiters(options: RateLimitOptions): RateLimiters {
  const { logger } = options;
  const replicas = Math.max(1, Math.floor(options.replicas ?? 1));
  const hashKey = (key: string) =>
    (options.keySecret ? createHmac('sha256', options.keySecret) : createHash('sha256')).update(key).digest('base64url');
  const redis = options.redisUrl ? new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : null;
  redis?.on('error', (error) => logger.debug({ err: error }, 'rate limiter: redis error'));
  // Without an offline queue, a command sent before the first connection is ready fails, and that
  // attempt would be counted in process. Wait for the first connection, bounded.
  const firstConnection = redis ? firstReadyOrTimeout(redis, firstConnectionWaitMs) : Promise.resolve();
  const store = async <T>(use: () => Promise<T>): Promise<T> => {
    if (redis && redis.status !== 'ready') await firstConnection;
    return use();
  };
  let away = false;
  const storeFailed = (error: unknown) => {
    if (away) return;
    away = true;
    logger.warn({ err: error, replicas }, 'rate limiter: Redis unreachable; each process grants its share of what is left until it returns');
  };
  const storeAnswered = () => {
    if (!away) return;
    away = false;
    logger.info('rate limiter: Redis reachable again; counting shared budgets');
  };
  const pruners: WindowCounts[] = [];
  const pruneTimer = setInterval(() => pruners.forEach((counts) => counts.prune()), 60_000);
  pruneTimer.unref();

  return {
    limiter(name, { points, durationSeconds: duration }) {
      const keyPrefix = `${options.keyPrefix}${name}`;
      if (!redis) {
        // The memory store expires keys with setTimeout, which fires at once beyond 2^31-1 ms (~24.8 days).
        const memory = new RateLimiterMemory({ keyPrefix, points, duration: Math.min(duration, maxMemoryDurationSeconds) });
        return memoryLimiter(memory, hashKey);
      }
      const shared = new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration });
      /** The count Redis last reported per key (hashed), for the share an outage leaves. */
      const reported = new WindowCounts();
      /** Counted here while Redis was away; added to the shared count at the key's next use. */
      const counted = new WindowCounts();
      pruners.push(reported, counted);
      const remember = (id: string, result: RateLimiterRes) =>
        reported.set(id, { consumed: result.consumedPoints, windowEndsAt: Date.now() + result.msBeforeNext });

      const consumeHere = (id: string, cost: number): RateLimitVerdict => {
        const now = Date.now();
        let count = counted.get(id, now);
        if (!count) {
          const last = reported.get(id, now);
          const share = Math.max(0, Math.floor((points - (last?.consumed ?? 0)) / replicas));
          count = { consumed: 0, windowEndsAt: last?.windowEndsAt ?? now + duration * 1000, share };
          counted.set(id, count);
        }
        count.consumed += cost;
        const msLeft = count.windowEndsAt - now;
        if (count.consumed > count.share!) return limitedVerdict(msLeft);
        return { limited: false, remaining: count.share! - count.consumed, resetSeconds: msLeft / 1000 };
      };

      return {
        async consume(key, cost = 1) {
          const id = hashKey(key);
          // Taken out while Redis is asked, so a concurrent attempt does not add it a second time.
          const pending = counted.get(id);
          if (pending) counted.delete(id);
          try {
            const result = await store(() => shared.consume(id, cost + (pending?.consumed ?? 0)));
            storeAnswered();
            remember(id, result);
            return { limited: false, remaining: result.remainingPoints, resetSeconds: result.msBeforeNext / 1000 };
          } catch (error) {
            // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, an Error otherwise.
            if (error instanceof RateLimiterRes) {
              storeAnswered();
              remember(id, error);
              return limitedVerdict(error.msBeforeNext);
            }
            storeFailed(error);
            if (pending && !counted.get(id)) counted.set(id, pending);
            return consumeHere(id, cost);
          }
        },
        async reward(key, cost = 1) {
          const id = hashKey(key);
          const here = counted.get(id);
          if (here) {
            here.consumed = Math.max(0, here.consumed - cost);
            return;
          }
          try {
            await store(() => shared.reward(id, cost));
            storeAnswered();
          } catch (error) {
            storeFailed(error);
          }
        },
        async reset(key) {
          const id = hashKey(key);
          counted.delete(id);
          reported.delete(id);
          try {
            await store(() => shared.delete(id));
            storeAnswered();
          } catch (error) {
            storeFailed(error);
          }
        },
        async consumed(key) {
          const id = hashKey(key);
          try {
            const result = await store(() => shared.get(id));
            storeAnswered();
            if (result) remember(id, result);
            return (result?.consumedPoints ?? 0) + (counted.get(id)?.consumed ?? 0);
          } catch (error) {
            storeFailed(error);
            return (reported.get(id)?.consumed ?? 0) + (counted.get(id)?.consumed ?? 0);
          }
        },
      };
    },
    async close() {
      clearInterval(pruneTimer);
      redis?.disconnect();
    },
  };
}

function memoryLimiter(memory: RateLimiterMemory, hashKey: (key: string) => string): RateLimiter {
  return {
    async consume(key, cost = 1) {
      try {
        const result = await memory.consume(hashKey(key), cost);
        return { limited: false, remaining: result.remainingPoints, resetSeconds: result.msBeforeNext / 1000 };
      } catch (error) {
        if (error instanceof RateLimiterRes) return limitedVerdict(error.msBeforeNext);
        throw error;
      }
    },
    reward: async (key, cost = 1) => void (await memory.reward(hashKey(key), cost)),
    reset: async (key) => void (await memory.delete(hashKey(key))),
    consumed: async (key) => (await memory.get(hashKey(key)))?.consumedPoints ?? 0,
  };
}
