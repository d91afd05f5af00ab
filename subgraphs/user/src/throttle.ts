/**
 * Throttling of sign-in and sign-up (service-kit `openRateLimiters`): counters in Redis when
 * configured, so every replica sees the same attempts; in memory otherwise.
 *
 * Sign-in slows a guesser without handing them a way to lock the owner out:
 * - per account *and* client IP (`SIGN_IN_MAX_FAILURES`): one address guessing one account is
 *   stopped, while the owner signing in from anywhere else is not affected;
 * - per client IP (`SIGN_IN_MAX_FAILURES_PER_IP`): one address spraying many accounts;
 * - per account from all addresses (`SIGN_IN_MAX_FAILURES_PER_ACCOUNT`, larger): many addresses
 *   guessing one account. It binds only addresses that have not signed in to the account before
 *   (a success is remembered per account and address for the refresh-token lifetime), so the
 *   owner's usual devices keep working even during such an attack.
 * Each attempt counts before the password is checked (so parallel guesses cannot slip through
 * between a check and an increment); a success forgives the account+IP failures and gives the
 * other counters their point back.
 *
 * Sign-up is limited per client IP (`SIGN_UP_MAX_PER_IP` per `SIGN_UP_WINDOW`), counting every
 * attempt: it bounds account spam and probing which emails are registered (sign-up has to say
 * so; see accounts.ts). A repeated sign-up is also a sign-in attempt (accounts.ts).
 *
 * The client IP is the request context's `clientIp`, never derived here. Emails and addresses
 * reach Redis only as HMACs of the keys; while Redis is away each process grants its share of
 * what is left (RATE_LIMIT_REPLICAS; service-kit rate-limit.ts).
 */
import { openRateLimiters, rateLimited, type Logger, type RateLimitVerdict } from '@fitgraph/service-kit';

/** A sign-in attempt that passed the throttle; call `succeeded()` once the password proved right. */
export interface SignInAttempt {
  succeeded(): Promise<void>;
}

export interface AccountThrottle {
  /** Counts one sign-in attempt; RATE_LIMITED (with `retryAfter`) when a limit refuses it. */
  signIn(email: string, ip: string | null): Promise<SignInAttempt>;
  /** Counts one sign-up attempt; RATE_LIMITED (with `retryAfter`) when the address is over its limit. */
  signUp(ip: string | null): Promise<void>;
  close(): Promise<void>;
}

export interface AccountThrottleOptions {
  redisUrl?: string;
  keyPrefix: string;
  /** The keys (emails, addresses) are stored as HMACs with this secret (service-kit rate-limit.ts). */
  keySecret?: string;
  /** RATE_LIMIT_REPLICAS: while Redis is away each process grants at most 1/replicas of what is left of a budget. */
  replicas: number;
  /** Failed sign-ins per account from one IP within the window. */
  maxFailuresPerAccountAndIp: number;
  /** Failed sign-ins per IP (any accounts) within the window. */
  maxFailuresPerIp: number;
  /** Failed sign-ins per account from addresses it was never signed in from, within the window. */
  maxFailuresPerAccount: number;
  windowSeconds: number;
  /** How long an address that signed in to an account stays exempt from the per-account limit. */
  knownAddressSeconds: number;
  maxSignUpsPerIp: number;
  signUpWindowSeconds: number;
  logger: Logger;
}

const ipKey = (ip: string | null) => ip ?? 'unknown';

export function createAccountThrottle(options: AccountThrottleOptions): AccountThrottle {
  const { windowSeconds: durationSeconds, logger } = options;
  const limiters = openRateLimiters({ redisUrl: options.redisUrl, keyPrefix: options.keyPrefix, keySecret: options.keySecret, replicas: options.replicas, logger });
  const perAccountAndIp = limiters.limiter('sign-in:account-ip', { points: options.maxFailuresPerAccountAndIp, durationSeconds });
  const perIp = limiters.limiter('sign-in:ip', { points: options.maxFailuresPerIp, durationSeconds });
  const perAccount = limiters.limiter('sign-in:account', { points: options.maxFailuresPerAccount, durationSeconds });
  // Used as a set with expiry: a pair with any points consumed has signed in successfully.
  const knownAddresses = limiters.limiter('sign-in:known', { points: Number.MAX_SAFE_INTEGER, durationSeconds: options.knownAddressSeconds });
  const signUps = limiters.limiter('sign-up:ip', { points: options.maxSignUpsPerIp, durationSeconds: options.signUpWindowSeconds });

  /** Counts every attempt, even when one limiter already refuses: a guesser cannot spare the other budgets. */
  const consumeAll = async (attempts: Promise<RateLimitVerdict>[]): Promise<number | null> => {
    const results = await Promise.allSettled(attempts);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed?.status === 'rejected') throw failed.reason;
    const waits = results.flatMap((result) => (result.status === 'fulfilled' && result.value.limited ? [result.value.retryAfterSeconds] : []));
    return waits.length > 0 ? Math.max(...waits) : null;
  };

  return {
    async signIn(email, ip) {
      const pair = `${email}|${ipKey(ip)}`;
      const knownAddress = (await knownAddresses.consumed(pair)) > 0;
      const retryAfter = await consumeAll([
        perAccountAndIp.consume(pair),
        perIp.consume(ipKey(ip)),
        ...(knownAddress ? [] : [perAccount.consume(email)]),
      ]);
      if (retryAfter !== null) {
        logger.warn({ ip, knownAddress }, 'sign-in rate limited');
        throw rateLimited(retryAfter, 'Too many failed sign-in attempts; try again later');
      }
      return {
        succeeded: async () => {
          await Promise.allSettled([
            perAccountAndIp.reset(pair),
            perIp.reward(ipKey(ip), 1),
            ...(knownAddress ? [] : [perAccount.reward(email, 1)]),
            knownAddresses.consume(pair),
          ]);
        },
      };
    },
    async signUp(ip) {
      const retryAfter = await consumeAll([signUps.consume(ipKey(ip))]);
      if (retryAfter !== null) {
        logger.warn({ ip }, 'sign-up rate limited');
        throw rateLimited(retryAfter, 'Too many sign-ups from this address; try again later');
      }
    },
    close: () => limiters.close(),
  };
}
