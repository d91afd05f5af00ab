import type { LiveEvent } from '@fitgraph/platform';
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

/** A status change as the live event publish-after-commit sends (platform outcome.ts). */
export const machineStatusEvent = (payload: MachineStatusEventPayload): LiveEvent => ({
  channel: machineStatusChannel(payload.gymId),
  payload,
});
