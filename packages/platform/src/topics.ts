/**
 * FitGraph's durable event topics (service-kit events.ts carries them): the one place
 * producers and consumers agree on names and payloads.
 */
import {
  enqueueOutboxEvent,
  type AnyDatabase,
  type DomainEvent as KitDomainEvent,
  type EventBus as KitEventBus,
  type EventHandler as KitEventHandler,
} from '@fitgraph/service-kit';

/** Every topic and its payload. */
export interface EventTopics {
  /** The account is gone from the user subgraph; every other subgraph forgets or anonymises the user. */
  'user.deleted': { userId: string };
  /**
   * A member checked in at a gym (published by the gym subgraph after the check-in commits; `at`
   * ISO-8601). Chat lets members who have checked in somewhere join that gym's community room.
   */
  'gym.checked_in': { gymId: string; userId: string; at: string };
  /**
   * An account exists (sign-up, seeded demo accounts, existing accounts once when the migration
   * ran). Subgraphs that store user ids (chat members) keep a replica of the known ids (service-kit references.ts).
   */
  'user.created': { userId: string };
  /** A gym exists (seeded, or existing when the migration ran); the user subgraph checks `homeGymId` against it. */
  'gym.created': { gymId: string };
  /** A machine exists (`addMachine`, seeded, or existing when the migration ran); workout sets reference it. */
  'machine.created': { machineId: string; gymId: string };
}
export type Topic = keyof EventTopics;

export type DomainEvent<T extends Topic = Topic> = KitDomainEvent<EventTopics, T>;
export type EventBus = KitEventBus<EventTopics>;
export type EventHandler<T extends Topic> = KitEventHandler<EventTopics, T>;

/**
 * Stands in for a deleted account where a record keeps its author (chat messages stay, their
 * sender becomes this id); the user subgraph resolves it to a placeholder "Deleted user".
 */
export const deletedUserId = '00000000-0000-4000-8000-000000000000';

/** Records `payload` for `topic` in the caller's transaction (the outbox); published after it commits. */
export const enqueueEvent = <T extends Topic>(tx: AnyDatabase, topic: T, payload: EventTopics[T]): Promise<void> =>
  enqueueOutboxEvent(tx, topic, payload);
