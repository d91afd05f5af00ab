import { inArray } from 'drizzle-orm';
import { byKey, onlyUuids, type Database } from '@fitgraph/service-kit';
import DataLoader from 'dataloader';
import * as schema from './db/schema';

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  return {
    foodById: new DataLoader(async (ids: readonly string[]) =>
      byKey(ids, await db.select().from(schema.foods).where(inArray(schema.foods.id, onlyUuids(ids))), (f) => f.id),
    ),
  };
}
export type NutritionLoaders = ReturnType<typeof createLoaders>;
