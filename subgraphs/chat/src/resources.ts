import type { ResourceDependencies } from '@fitgraph/platform';
import { openRateLimiters, type DailyQuota, type RateLimiter } from '@fitgraph/service-kit';
import type * as schema from './db/schema';
import type { ChatSettings } from './env';

/** Long-lived parts of the chat subgraph, shared by every request of one server. */
export interface ChatResources {
  /** Sends per sender (keyed by user id): protects conversations from floods. */
  sendLimit: RateLimiter;
  /** Messages per sender per UTC day: bounds what one account stores. */
  messageQuota: DailyQuota;
}

export async function createChatResources(deps: ResourceDependencies<typeof schema, ChatSettings>) {
  const { settings } = deps;
  const limiters = openRateLimiters({
    redisUrl: deps.redis.url,
    keyPrefix: deps.redis.keyPrefix,
    replicas: deps.redis.rateLimitReplicas,
    logger: deps.logger,
  });
  const resources: ChatResources = {
    sendLimit: limiters.limiter('chat:send', { points: settings.CHAT_SEND_RATE_LIMIT, durationSeconds: settings.CHAT_SEND_RATE_WINDOW }),
    messageQuota: { kind: 'chat messages', limit: settings.CHAT_MESSAGE_DAILY_LIMIT },
  };
  return { resources, close: () => limiters.close() };
}
