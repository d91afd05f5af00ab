import { RedisPubSub } from 'graphql-redis-subscriptions';
import { PubSub, type PubSubEngine } from 'graphql-subscriptions';
import { Redis } from 'ioredis';

/**
 * The one pub/sub interface of FitGraph: graphql-subscriptions' `PubSubEngine`, backed by
 * Redis when `REDIS_URL` is set (so replicas share events) or in-process otherwise.
 */
export type { PubSubEngine };

export interface OpenedPubSub {
  pubsub: PubSubEngine;
  kind: 'redis' | 'memory';
  close(): Promise<void>;
}

export function openPubSub(redisUrl: string | undefined): OpenedPubSub {
  if (!redisUrl) {
    return { pubsub: new PubSub(), kind: 'memory', close: async () => {} };
  }
  // A connection in subscriber mode cannot publish: two connections.
  const options = { maxRetriesPerRequest: null, lazyConnect: false } as const;
  const publisher = new Redis(redisUrl, options);
  const subscriber = new Redis(redisUrl, options);
  const pubsub = new RedisPubSub({ publisher, subscriber });
  return {
    pubsub,
    kind: 'redis',
    close: async () => {
      pubsub.close();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
