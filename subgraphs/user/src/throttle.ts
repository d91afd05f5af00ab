/**
 * Sign-in throttling per account and per client IP (rate-limiter-flexible): counters in Redis
 * when configured, so every replica sees the same failures; in memory otherwise. Each attempt
 * counts before the password is checked (so parallel guesses cannot slip through between a
 * check and an increment), and a success gives the points back.
 */
import { rateLimited, type Logger } from '@fitgraph/service-kit';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface SignInThrottle {
  /** Counts one attempt; RATE_LIMITED (with `retryAfter`) when the account or the IP is over its limit. */
  attempt(email: string, ip: string | null): Promise<void>;
  /** The attempt succeeded: the account's failures are forgiven, the IP gets its point back. */
  succeeded(email: string, ip: string | null): Promise<void>;
  close(): Promise<void>;
}

export interface SignInThrottleOptions {
  redisUrl?: string;
  keyPrefix: string;
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
  logger: Logger;
}

export function createSignInThrottle(options: SignInThrottleOptions): SignInThrottle {
  const { windowSeconds: duration, logger } = options;
  // Redis down: counting continues per process rather than failing every sign-in.
  const redis = options.redisUrl ? new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : null;
  redis?.on('error', (error) => logger.warn({ err: error }, 'sign-in throttle: redis error'));
  const limiter = (name: string, points: number): RateLimiterAbstract => {
    const keyPrefix = `${options.keyPrefix}sign-in:${name}`;
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    return redis ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, insuranceLimiter: memory }) : memory;
  };
  const perAccount = limiter('account', options.maxFailuresPerAccount);
  const perIp = limiter('ip', options.maxFailuresPerIp);
  const ipKey = (ip: string | null) => ip ?? 'unknown';

  return {
    async attempt(email, ip) {
      const results = await Promise.allSettled([perAccount.consume(email), perIp.consume(ipKey(ip))]);
      const limited = results.flatMap((result) => (result.status === 'rejected' && result.reason instanceof RateLimiterRes ? [result.reason] : []));
      const failed = results.find((result) => result.status === 'rejected' && !(result.reason instanceof RateLimiterRes));
      if (failed?.status === 'rejected') throw failed.reason;
      if (limited.length > 0) {
        const retryAfter = Math.max(...limited.map((res) => res.msBeforeNext)) / 1000;
        logger.warn({ ip, limitedBy: results.map((r) => r.status) }, 'sign-in rate limited');
        throw rateLimited(retryAfter, 'Too many failed sign-in attempts; try again later');
      }
    },
    async succeeded(email, ip) {
      await Promise.allSettled([perAccount.delete(email), perIp.reward(ipKey(ip), 1)]);
    },
    async close() {
      redis?.disconnect();
    },
  };
}
