/**
 * Request budgets per client at the gateway, by tier: anonymous callers per client IP, signed-in
 * ones per user id, with a bigger budget for staff roles. Counters come from service-kit's
 * `openRateLimiters` (Redis when REDIS_URL is set, so every gateway replica draws on one budget;
 * in process otherwise), opened by the composition root with {@link openGatewayRateLimiter}.
 * Every operation admitted (admission/), over HTTP, graphql-ws or SSE, counts once; health,
 * readiness and metrics endpoints never count.
 */
import { type Role, type Viewer } from '@fitgraph/platform';
import { openRateLimiters, rateLimited, type Logger, type RateLimiter, type RateLimiters } from '@fitgraph/service-kit';
import type { ServerResponse } from 'node:http';

export type RateLimitTier = 'anonymous' | 'member' | 'staff';

export interface RateLimitSettings {
  /** Requests per window for callers without a token (per client IP). Default: 100. */
  anonymous: number;
  /** Requests per window for MEMBER users (per user id). Default: 1000. */
  member: number;
  /** Requests per window for TRAINER, GYM_STAFF and ADMIN users (per user id). Default: 5000. */
  staff: number;
  /** Window length (seconds). Default: 60. */
  windowSeconds: number;
  /** Redis for counters shared by every gateway process; unset: in-process counters. */
  redisUrl?: string;
  /** Prefix of the counter keys (REDIS_KEY_PREFIX). */
  keyPrefix: string;
  /** RATE_LIMIT_REPLICAS: the most gateway replicas; each grants 1/this of what is left while Redis is away. Default: 1. */
  replicas?: number;
  /** Keys of the counters are HMACs of the client (user id or address) under this secret. Default: plain SHA-256. */
  keySecret?: string;
}

/** Every role must say which budget it draws on. */
const tierOfRole: Record<Role, RateLimitTier> = { MEMBER: 'member', TRAINER: 'staff', GYM_STAFF: 'staff', ADMIN: 'staff' };

/** Who is counted: the verified viewer, else the client's address. */
export interface RateLimitSubject {
  viewer: Viewer | null;
  clientIp: string | null | undefined;
}

export type RateLimitDecision = {
  limited: boolean;
  tier: RateLimitTier;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  windowSeconds: number;
};

/** A listener for refusals (metrics: rate-limit rejections by tier). */
export type RateLimitedListener = (tier: RateLimitTier) => void;

/**
 * Opens the gateway's counters (a Redis connection when `settings.redisUrl` is set): a composition
 * root's resource, closed by it after the gateway has stopped.
 */
export function openGatewayRateLimiter(settings: RateLimitSettings, logger: Logger): GatewayRateLimiter {
  const limiters = openRateLimiters({
    redisUrl: settings.redisUrl,
    keyPrefix: settings.keyPrefix,
    replicas: settings.replicas,
    keySecret: settings.keySecret,
    logger,
  });
  return new GatewayRateLimiter(settings, limiters, logger);
}

export class GatewayRateLimiter {
  private readonly byTier: Record<RateLimitTier, RateLimiter>;
  private readonly listeners = new Set<RateLimitedListener>();

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly limiters: RateLimiters,
    private readonly logger: Logger,
  ) {
    const limiter = (tier: RateLimitTier) =>
      this.limiters.limiter(`gateway-requests-${tier}`, { points: settings[tier], durationSeconds: settings.windowSeconds });
    this.byTier = { anonymous: limiter('anonymous'), member: limiter('member'), staff: limiter('staff') };
  }

  /** Counts one request of `subject` against its budget. Fails open (logged) if counting itself fails. */
  async consume(subject: RateLimitSubject): Promise<RateLimitDecision> {
    const tier = subject.viewer ? tierOfRole[subject.viewer.role] : 'anonymous';
    const key = subject.viewer ? `user:${subject.viewer.id}` : `ip:${subject.clientIp ?? 'unknown'}`;
    const limit = this.settings[tier];
    const { windowSeconds } = this.settings;
    try {
      const verdict = await this.byTier[tier].consume(key);
      const resetSeconds = verdict.resetSeconds ?? windowSeconds;
      if (verdict.limited) for (const listener of this.listeners) listener(tier);
      return { limited: verdict.limited, tier, limit, remaining: Math.max(0, verdict.remaining ?? 0), resetSeconds, windowSeconds };
    } catch (error) {
      this.logger.warn({ err: error, tier }, 'rate limit not counted: the limiter failed');
      return { limited: false, tier, limit, remaining: limit, resetSeconds: windowSeconds, windowSeconds };
    }
  }

  /** Calls `listener` on every refusal; returns an unsubscribe. */
  onRateLimited(listener: RateLimitedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.limiters.close();
  }
}

/** RATE_LIMITED with `retryAfter` (seconds), for an operation beyond its client's budget. */
export const rateLimitRefusal = (decision: RateLimitDecision) =>
  rateLimited(
    decision.resetSeconds,
    `Too many requests: at most ${decision.limit} per ${decision.windowSeconds} s for ${decision.tier === 'anonymous' ? 'anonymous clients' : 'your account'}; try again later`,
  );

/** `RateLimit-*` headers of an HTTP answer (IETF draft-ietf-httpapi-ratelimit-headers). */
export function setRateLimitHeaders(res: Pick<ServerResponse, 'setHeader'>, decision: RateLimitDecision): void {
  res.setHeader('RateLimit-Limit', String(decision.limit));
  res.setHeader('RateLimit-Remaining', String(decision.remaining));
  res.setHeader('RateLimit-Reset', String(Math.max(1, Math.ceil(decision.resetSeconds))));
  res.setHeader('RateLimit-Policy', `${decision.limit};w=${decision.windowSeconds}`);
}
