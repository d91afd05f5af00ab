import { afterEach, describe, expect, it } from 'vitest';
import { openPubSub, type OpenedPubSub } from '@fitgraph/service-kit';

const redisUrl = process.env.REDIS_URL;
const opened: OpenedPubSub[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
});

async function firstEvent(bus: OpenedPubSub, channel: string) {
  const iterator = bus.pubsub.asyncIterableIterator<{ n: number }>(channel);
  const next = iterator.next();
  // The subscription is registered asynchronously (Redis SUBSCRIBE round trip).
  await new Promise((resolve) => setTimeout(resolve, 0));
  return { next, stop: () => iterator.return?.() };
}

describe('pub/sub', () => {
  it('delivers in-process without REDIS_URL', async () => {
    const bus = openPubSub(undefined, 'fgt:');
    opened.push(bus);
    expect(bus.kind).toBe('memory');
    const { next, stop } = await firstEvent(bus, 'c1');
    await bus.pubsub.publish('c1', { n: 1 });
    expect((await next).value).toEqual({ n: 1 });
    await stop();
  });

  it.runIf(redisUrl)('carries events between separate connections (replicas) over Redis', async () => {
    const subscriberSide = openPubSub(redisUrl, `fgt:${process.pid}:`);
    const publisherSide = openPubSub(redisUrl, `fgt:${process.pid}:`);
    opened.push(subscriberSide, publisherSide);
    expect(publisherSide.kind).toBe('redis');
    const channel = `fitgraph-test-${crypto.randomUUID()}`;
    const iterator = subscriberSide.pubsub.asyncIterableIterator<{ n: number }>(channel);
    const next = iterator.next();
    // Publish until the SUBSCRIBE has landed (no fixed sleep); the first delivery wins.
    let delivered = false;
    void next.then(() => (delivered = true));
    for (let attempt = 0; attempt < 100 && !delivered; attempt += 1) {
      await publisherSide.pubsub.publish(channel, { n: 7 });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await next).value).toEqual({ n: 7 });
    await iterator.return?.();
  });
});
