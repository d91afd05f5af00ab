import type { Logger, PubSubEngine } from '@fitgraph/service-kit';
import type { MachineStatus } from './db/schema';

/** What the gym subgraph publishes per machine status change; `machine` is loaded fresh on delivery. */
export interface MachineStatusEventPayload {
  /** Position in the gym's status history (`machine_status_history.seq`): dense, in commit order. */
  seq: number;
  machineId: string;
  gymId: string;
  previousStatus: MachineStatus;
  status: MachineStatus;
  /** ISO-8601 time of the change (the history row's `at`). */
  at: string;
}

/** One channel per gym, so a subscriber receives only its gym's events (also across replicas on Redis). */
export const machineStatusChannel = (gymId: string): string => `machine-status:${gymId}`;

/**
 * Publishes committed changes. Called only after the transaction commits, so subscribers never
 * see a change that was rolled back; a failed publish is logged, the change stands.
 */
export async function publishMachineStatusEvents(
  pubsub: PubSubEngine,
  logger: Logger,
  events: readonly MachineStatusEventPayload[],
): Promise<void> {
  for (const event of events) {
    try {
      await pubsub.publish(machineStatusChannel(event.gymId), event);
    } catch (error) {
      logger.error({ err: error, event }, 'publishing a machine status event failed');
    }
  }
}
