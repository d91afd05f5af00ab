/**
 * Sign-in throttling per account and per client IP (service-kit `openRateLimiters`): counters in Redis
 * when configured, so every replica sees the same failures; in memory otherwise. Each attempt
 * counts before the password is checked (so parallel guesses cannot slip through between a
 * check and an increment), and a success gives the points back.
 */
import { openRateLimiters, rateLimited, type Logger } from '@fitgraph/service-kit';

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
  const { windowSeconds: durationSeconds, logger } = options;
  const limiters = openRateLimiters({ redisUrl: options.redisUrl, keyPrefix: options.keyPrefix, logger });
  const perAccount = limiters.limiter('sign-in:account', { points: options.maxFailuresPerAccount, durationSeconds });
  const perIp = limiters.limiter('sign-in:ip', { points: options.maxFailuresPerIp, durationSeconds });
  const ipKey = (ip: string | null) => ip ?? 'unknown';

  return {
    async attempt(email, ip) {
      // Both count, even when one already refuses: a guesser cannot spare the other budget.
      const results = await Promise.allSettled([perAccount.consume(email), perIp.consume(ipKey(ip))]);
      const failed = results.find((result) => result.status === 'rejected');
      if (failed?.status === 'rejected') throw failed.reason;
      const verdicts = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      const limited = verdicts.flatMap((verdict) => (verdict.limited ? [verdict.retryAfterSeconds] : []));
      if (limited.length > 0) {
        const retryAfter = Math.max(...limited);
        logger.warn({ ip, limitedBy: verdicts.map((v) => (v.limited ? 'rejected' : 'fulfilled')) }, 'sign-in rate limited');
        throw rateLimited(retryAfter, 'Too many failed sign-in attempts; try again later');
      }
    },
    async succeeded(email, ip) {
      await Promise.allSettled([perAccount.reset(email), perIp.reward(ipKey(ip), 1)]);
    },
    close: () => limiters.close(),
  };
}
