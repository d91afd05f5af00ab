import { commonEnv, loadEnv, openRateLimiters, type RateLimiter, type ResourceDependencies } from '@fitgraph/service-kit';
import type * as schema from './db/schema';
import { chatEnv } from './env';

/** Long-lived parts of the chat subgraph, shared by every request of one server. */
export interface ChatResources {
  /** Sends per sender (keyed by user id): protects conversations from floods. */
  sendLimit: RateLimiter;
}

export async function createChatResources(deps: ResourceDependencies<typeof schema>) {
  const env = loadEnv({ ...commonEnv, ...chatEnv }, deps.source);
  const limiters = openRateLimiters({ redisUrl: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, logger: deps.logger });
  const resources: ChatResources = {
    sendLimit: limiters.limiter('chat:send', { points: env.CHAT_SEND_RATE_LIMIT, durationSeconds: env.CHAT_SEND_RATE_WINDOW }),
  };
  return { resources, close: () => limiters.close() };
}
