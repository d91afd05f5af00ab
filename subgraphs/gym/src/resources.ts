import { type ResourceDependencies } from '@fitgraph/platform';
import { startOutboxRelay, type OutboxRelay } from '@fitgraph/service-kit';
import type * as schema from './db/schema';

/** Long-lived parts of the gym subgraph, shared by every request of one server. */
export interface GymResources {
  /** Relays `gym.checked_in`, `gym.created` and `machine.created` events from the outbox to the event bus. */
  outbox: OutboxRelay;
}

export async function createGymResources(deps: ResourceDependencies<typeof schema>) {
  const outbox = startOutboxRelay(deps.db, deps.events, deps.logger);
  const resources: GymResources = { outbox };
  return { resources, close: () => outbox.stop() };
}
