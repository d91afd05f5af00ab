import { handleEventOnce, type Database, type EventConsumer, type Logger, type PubSubEngine } from '@fitgraph/service-kit';
import type { DomainEvent, EventBus, Topic } from '../topics';
import type { EventHandlerTools, SubgraphDefinition } from './definition';

/** Wires `definition.eventHandlers` to the bus, each event handled once in effect per subgraph (service-kit handleEventOnce). */
export function startEventConsumers<TSchema extends Record<string, unknown>>(
  definition: Pick<SubgraphDefinition<TSchema, unknown>, 'name' | 'eventHandlers'>,
  handles: { db: Database<TSchema>; events: EventBus; logger: Logger; pubsub: PubSubEngine },
): EventConsumer[] {
  const { db, events, logger, pubsub } = handles;
  const entries = Object.entries(definition.eventHandlers ?? {}) as [
    Topic,
    (tx: Database<TSchema>, payload: unknown, event: DomainEvent, tools: EventHandlerTools) => Promise<void>,
  ][];
  return entries.map(([topic, handler]) =>
    events.consume(topic, definition.name, async (event) => {
      const afterCommit: (() => Promise<void>)[] = [];
      const tools: EventHandlerTools = { pubsub, logger, afterCommit: (task) => void afterCommit.push(task) };
      const handled = await handleEventOnce(db, event, (tx) => handler(tx, event.payload, event, tools));
      for (const task of afterCommit) {
        await task().catch((error: unknown) => logger.error({ err: error, eventId: event.id, topic }, 'after-commit task of an event handler failed'));
      }
      logger.info({ eventId: event.id, topic, handled, duplicate: !handled }, handled ? 'event handled' : 'event already handled; skipped');
    }),
  );
}
