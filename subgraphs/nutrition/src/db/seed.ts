import type { Database } from '@fitgraph/service-kit';
import * as schema from './schema';
import { foodSeeds } from './seed-data';

/** The food catalogue; fixed ids make a second run a no-op. */
export async function seedNutrition(db: Database<typeof schema>): Promise<void> {
  await db.insert(schema.foods).values(foodSeeds).onConflictDoNothing();
}
