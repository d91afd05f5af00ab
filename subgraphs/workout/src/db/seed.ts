import type { Database } from '@fitgraph/service-kit';
import * as schema from './schema';
import { exerciseSeeds } from './seed-data';

/** The exercise catalogue; fixed ids make a second run a no-op. */
export async function seedWorkout(db: Database<typeof schema>): Promise<void> {
  await db.insert(schema.exercises).values(exerciseSeeds).onConflictDoNothing();
}
