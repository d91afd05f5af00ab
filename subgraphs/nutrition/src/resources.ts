import type { ResourceDependencies } from '@fitgraph/platform';
import type { DailyQuota } from '@fitgraph/service-kit';
import type * as schema from './db/schema';
import type { NutritionSettings } from './env';

/** Long-lived parts of the nutrition subgraph, shared by every request of one server. */
export interface NutritionResources {
  /** Per-member daily bound on what a member can make the database store. */
  quotas: { meals: DailyQuota };
}

export async function createNutritionResources({ settings }: ResourceDependencies<typeof schema, NutritionSettings>) {
  const resources: NutritionResources = { quotas: { meals: { kind: 'meals', limit: settings.MEAL_DAILY_LIMIT } } };
  return { resources, close: async () => {} };
}
