import { RedisPubSub } from 'graphql-redis-subscriptions';
import { PubSub, PubSubEngine } from 'graphql-subscriptions';
import { Redis } from 'ioredis';
import { quietRedisErrors, redisConnectionDefaults } from './dependencies';

/**
 * The one pub/sub interface: graphql-subscriptions' `PubSubEngine`, backed by Redis when a
 * URL is given (so replicas share events) or in-process otherwise.
 */
export type { PubSubEngine };

export interface OpenedPubSub {
  pubsub: PubSubEngine;
  kind: 'redis' | 'memory';
  close(): Promise<void>;
}

/** Puts every channel under a prefix, so deployments (and test runs) sharing a Redis never cross. */
class PrefixedPubSub extends PubSubEngine {
  constructor(
    private readonly inner: PubSubEngine,
    private readonly prefix: string,
  ) {
    super();
  }
  publish(trigger: string, payload: unknown): Promise<void> {
    return this.inner.publish(`${this.prefix}${trigger}`, payload);
  }
  subscribe(trigger: string, onMessage: (...args: unknown[]) => void, options: object = {}): Promise<number> {
    return this.inner.subscribe(`${this.prefix}${trigger}`, onMessage, options);
  }
  unsubscribe(subId: number): void {
    this.inner.unsubscribe(subId);
  }
}

/**
 * Redis when `redisUrl` is set, in-process otherwise. On Redis, channels are named
 * `<channelPrefix><channel>` (the deployment's key prefix, like every other key).
 */
export function openPubSub(redisUrl: string | undefined, channelPrefix: string): OpenedPubSub {
  if (!redisUrl) {
    return { pubsub: new PubSub(), kind: 'memory', close: async () => {} };
  }
  // A connection in subscriber mode cannot publish: two connections. A publish fails after a
  // few retries rather than hanging while Redis is away; subscriptions are renewed on reconnect.
  const publisher = quietRedisErrors(new Redis(redisUrl, { ...redisConnectionDefaults, maxRetriesPerRequest: 2 }), 'pubsub publisher');
  const subscriber = quietRedisErrors(new Redis(redisUrl, { ...redisConnectionDefaults, maxRetriesPerRequest: null }), 'pubsub subscriber');
  const redisPubSub = new RedisPubSub({ publisher, subscriber });
  return {
    pubsub: new PrefixedPubSub(redisPubSub, channelPrefix),
    kind: 'redis',
    close: async () => {
      redisPubSub.close();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
