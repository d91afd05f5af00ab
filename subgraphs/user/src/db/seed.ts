import type { Database } from '@fitgraph/service-kit';
import * as schema from './schema';
import { demoUserSeeds } from './seed-data';

/** Demo members; fixed ids make a second run a no-op. */
export async function seedUser(db: Database<typeof schema>): Promise<void> {
  await db.insert(schema.users).values(demoUserSeeds).onConflictDoNothing();
}
