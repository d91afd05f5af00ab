import { asc, inArray } from 'drizzle-orm';
import type { Database } from '@fitgraph/service-kit';
import { byKey, groupByKey, onlyUuids } from '@fitgraph/service-kit';
import DataLoader from 'dataloader';
import * as schema from './db/schema';

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  return {
    gymById: new DataLoader(async (ids: readonly string[]) =>
      byKey(ids, await db.select().from(schema.gyms).where(inArray(schema.gyms.id, onlyUuids(ids))), (gym) => gym.id),
    ),
    machineById: new DataLoader(async (ids: readonly string[]) =>
      byKey(ids, await db.select().from(schema.machines).where(inArray(schema.machines.id, onlyUuids(ids))), (m) => m.id),
    ),
    machinesByGymId: new DataLoader(async (gymIds: readonly string[]) =>
      groupByKey(
        gymIds,
        await db
          .select()
          .from(schema.machines)
          .where(inArray(schema.machines.gymId, onlyUuids(gymIds)))
          .orderBy(asc(schema.machines.name)),
        (machine) => machine.gymId,
      ),
    ),
  };
}
export type GymLoaders = ReturnType<typeof createLoaders>;
