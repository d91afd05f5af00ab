import type { ResourceDependencies } from '@fitgraph/platform';
import type { DailyQuota } from '@fitgraph/service-kit';
import type * as schema from './db/schema';
import type { WorkoutSettings } from './env';

/** Long-lived parts of the workout subgraph, shared by every request of one server. */
export interface WorkoutResources {
  /** Per-member daily bounds on what a member can make the database store. */
  quotas: { workouts: DailyQuota; sets: DailyQuota };
}

export async function createWorkoutResources({ settings }: ResourceDependencies<typeof schema, WorkoutSettings>) {
  const resources: WorkoutResources = {
    quotas: {
      workouts: { kind: 'workouts', limit: settings.WORKOUT_DAILY_LIMIT },
      sets: { kind: 'workout sets', limit: settings.WORKOUT_SET_DAILY_LIMIT },
    },
  };
  return { resources, close: async () => {} };
}
