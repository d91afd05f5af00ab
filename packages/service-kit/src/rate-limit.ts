/**
 * Fixed-window rate limits (rate-limiter-flexible): counters in Redis when REDIS_URL is set, so
 * every replica counts against the same budget; in memory otherwise. If Redis is unreachable,
 * counting continues per process (the insurance limiter) rather than failing every request.
 * Keys live under `<keyPrefix><name>:`; callers turn a refusal into `rateLimited(...)` (errors.ts).
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
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
  /** Points taken from `key`'s budget in the current window (0 when none, or when the store cannot answer). */
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
}

const maxMemoryDurationSeconds = Math.floor((2 ** 31 - 1) / 1000);

/** How long the first attempts wait for Redis before counting in process (the insurance limiter). */
const firstConnectionWaitMs = 1000;

/** Opens one Redis connection (when `redisUrl` is set) shared by every limiter made from it. */
export function openRateLimiters(options: RateLimitOptions): RateLimiters {
  const redis = options.redisUrl ? new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : null;
  redis?.on('error', (error) => options.logger.warn({ err: error }, 'rate limiter: redis error'));
  // Without an offline queue, a command sent before the first connection is ready fails, and that
  // attempt is counted by the per-process insurance limiter instead of the shared budget (a fresh
  // process's first requests split their count). Wait for the first connection, bounded.
  const firstConnection = redis ? firstReadyOrTimeout(redis, firstConnectionWaitMs) : Promise.resolve();
  const store = async <T>(use: () => Promise<T>): Promise<T> => {
    if (redis && redis.status !== 'ready') await firstConnection;
    return use();
  };
  return {
    limiter(name, { points, durationSeconds: duration }) {
      const keyPrefix = `${options.keyPrefix}${name}`;
      // The memory store expires keys with setTimeout, which fires at once beyond 2^31-1 ms (~24.8 days).
      const memory = new RateLimiterMemory({ keyPrefix, points, duration: Math.min(duration, maxMemoryDurationSeconds) });
      const limits: RateLimiterAbstract = redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, insuranceLimiter: memory })
        : memory;
      return {
        async consume(key, cost = 1) {
          try {
            const result = await store(() => limits.consume(key, cost));
            return { limited: false, remaining: result.remainingPoints, resetSeconds: result.msBeforeNext / 1000 };
          } catch (error) {
            // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, an Error otherwise.
            if (error instanceof RateLimiterRes) {
              const seconds = error.msBeforeNext / 1000;
              return { limited: true, retryAfterSeconds: seconds, remaining: 0, resetSeconds: seconds };
            }
            throw error;
          }
        },
        async reward(key, cost = 1) {
          await store(() => limits.reward(key, cost));
        },
        async reset(key) {
          await store(() => limits.delete(key));
        },
        async consumed(key) {
          try {
            return (await store(() => limits.get(key)))?.consumedPoints ?? 0;
          } catch (error) {
            options.logger.warn({ err: error }, 'rate limiter: reading a count failed');
            return 0;
          }
        },
      };
    },
    async close() {
      redis?.disconnect();
    },
  };
}
