import { inArray } from 'drizzle-orm';
import { byKey, onlyUuids, type Database } from '@fitgraph/service-kit';
import DataLoader from 'dataloader';
import * as schema from './db/schema';

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  return {
    userById: new DataLoader(async (ids: readonly string[]) =>
      byKey(ids, await db.select().from(schema.users).where(inArray(schema.users.id, onlyUuids(ids))), (u) => u.id),
    ),
  };
}
export type UserLoaders = ReturnType<typeof createLoaders>;
