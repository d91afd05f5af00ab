import type { Database } from '@fitgraph/service-kit';
import * as schema from './schema';
import { gymSeeds, machineSeeds } from './seed-data';

/** Demo gyms and machines; fixed ids make a second run a no-op. */
export async function seedGym(db: Database<typeof schema>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(schema.gyms).values(gymSeeds).onConflictDoNothing();
    await tx.insert(schema.machines).values(machineSeeds).onConflictDoNothing();
  });
}
