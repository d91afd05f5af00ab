import { inArray } from 'drizzle-orm';
import { byKey, onlyUuids, type Database } from '@fitgraph/service-kit';
import DataLoader from 'dataloader';
import * as schema from './db/schema';

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  return {
    exerciseById: new DataLoader(async (ids: readonly string[]) =>
      byKey(ids, await db.select().from(schema.exercises).where(inArray(schema.exercises.id, onlyUuids(ids))), (e) => e.id),
    ),
  };
}
export type WorkoutLoaders = ReturnType<typeof createLoaders>;
