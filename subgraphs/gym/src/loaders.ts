import { and, asc, count, inArray, isNull } from 'drizzle-orm';
import type { Database } from '@fitgraph/service-kit';
import { anyOf, byKey, groupByKey, onlyUuids, perDatabase } from '@fitgraph/service-kit';
import DataLoader from 'dataloader';
import * as schema from './db/schema';

/** The hot loaders' statements, built and prepared once per database. */
const statements = perDatabase((db: Database<typeof schema>) => ({
  gymsByIds: db.select().from(schema.gyms).where(anyOf(schema.gyms.id, 'ids', 'uuid')).prepare('gyms_by_ids'),
  machinesByIds: db.select().from(schema.machines).where(anyOf(schema.machines.id, 'ids', 'uuid')).prepare('machines_by_ids'),
  machinesOfGyms: db
    .select()
    .from(schema.machines)
    .where(anyOf(schema.machines.gymId, 'gymIds', 'uuid'))
    .orderBy(asc(schema.machines.name))
    .prepare('machines_of_gyms'),
}));

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  const { gymsByIds, machinesByIds, machinesOfGyms } = statements(db);
  return {
    gymById: new DataLoader(async (ids: readonly string[]) => byKey(ids, await gymsByIds.execute({ ids: onlyUuids(ids) }), (gym) => gym.id)),
    machineById: new DataLoader(async (ids: readonly string[]) => byKey(ids, await machinesByIds.execute({ ids: onlyUuids(ids) }), (m) => m.id)),
    machinesByGymId: new DataLoader(async (gymIds: readonly string[]) =>
      groupByKey(gymIds, await machinesOfGyms.execute({ gymIds: onlyUuids(gymIds) }), (machine) => machine.gymId),
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
