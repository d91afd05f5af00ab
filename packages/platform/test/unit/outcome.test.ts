/** Publish-after-commit: an Outcome's live events reach subscribers only through committed(). */
import { committed, type Outcome } from '@fitgraph/platform';
import { createLogger, openPubSub, type PubSubEngine } from '@fitgraph/service-kit';
import { describe, expect, it } from 'vitest';

const logger = createLogger('outcome-test', 'silent');

describe('committed', () => {
  it('publishes each event on its channel, in order, and hands back the result', async () => {
    const { pubsub } = openPubSub(undefined, 'test:');
    const seen: unknown[] = [];
    await pubsub.subscribe('machines', (payload: unknown) => void seen.push(payload), {});
    const outcome: Outcome<string> = {
      result: 'claimed',
      events: [
        { channel: 'machines', payload: { seq: 1 } },
        { channel: 'elsewhere', payload: { seq: 9 } },
        { channel: 'machines', payload: { seq: 2 } },
      ],
    };
    expect(seen).toEqual([]); // nothing is published before the outcome is handed over
    await expect(committed({ pubsub, logger }, outcome)).resolves.toBe('claimed');
    expect(seen).toEqual([{ seq: 1 }, { seq: 2 }]);
  });

  it('keeps the committed result when publishing fails (live streams catch up from the database)', async () => {
    let attempts = 0;
    const pubsub: PubSubEngine = Object.create(openPubSub(undefined, 'test:').pubsub, {
      publish: { value: () => ((attempts += 1), Promise.reject(new Error('redis down'))) },
    });
    const outcome: Outcome<number> = { result: 42, events: [{ channel: 'a', payload: 1 }, { channel: 'b', payload: 2 }] };
    await expect(committed({ pubsub, logger }, outcome)).resolves.toBe(42);
    expect(attempts).toBe(2);
  });
});
