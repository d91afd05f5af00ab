import { and, asc, count, inArray, isNull } from 'drizzle-orm';
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
    /** Open check-ins per gym (0 when none). */
    occupancyByGymId: new DataLoader(async (gymIds: readonly string[]) => {
      const rows = await db
        .select({ gymId: schema.checkIns.gymId, open: count() })
        .from(schema.checkIns)
        .where(and(inArray(schema.checkIns.gymId, onlyUuids(gymIds)), isNull(schema.checkIns.checkedOutAt)))
        .groupBy(schema.checkIns.gymId);
      return byKey(gymIds, rows, (row) => row.gymId).map((row) => row?.open ?? 0);
    }),
  };
}
export type GymLoaders = ReturnType<typeof createLoaders>;

/**
 * Forgets everything cached. A graphql-ws subscription keeps one context (and so one loader set)
 * for its whole life; each event must see the rows as they are when it is delivered.
 */
export function clearLoaders(loaders: GymLoaders): void {
  for (const loader of Object.values(loaders)) loader.clearAll();
}
