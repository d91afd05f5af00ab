/**
 * Publish-after-commit: a domain operation runs in one transaction and returns an
 * {@link Outcome}, its result plus the live events it caused; the resolver hands the outcome to
 * {@link committed}, which publishes the events only now that the transaction has committed
 * (subscribers never see a change that was rolled back) and returns the result.
 */
import type { Logger, PubSubEngine } from '@fitgraph/service-kit';

/** A live event for pub/sub: the channel and the payload subscribers receive. */
export interface LiveEvent {
  channel: string;
  payload: unknown;
}

export interface Outcome<T> {
  result: T;
  /** Live events to publish once the transaction has committed. */
  events: LiveEvent[];
}

/**
 * Publishes committed events one by one. A failed publish is logged and the change stands:
 * live streams catch up from the database on their next event.
 */
export async function publishCommitted(pubsub: PubSubEngine, logger: Logger, events: readonly LiveEvent[]): Promise<void> {
  for (const event of events) {
    try {
      await pubsub.publish(event.channel, event.payload);
      logger.debug({ channel: event.channel, payload: event.payload }, 'live event published');
    } catch (error) {
      logger.error({ err: error, channel: event.channel }, 'publishing a committed event failed');
    }
  }
}

/** Publishes an outcome's events (after its transaction committed) and hands back its result. */
export async function committed<T>(
  { pubsub, logger }: { pubsub: PubSubEngine; logger: Logger },
  outcome: Outcome<T>,
): Promise<T> {
  await publishCommitted(pubsub, logger, outcome.events);
  return outcome.result;
}
