import { enqueueEvent } from '@fitgraph/platform';
import { type Database } from '@fitgraph/service-kit';
import * as schema from './schema';
import { gymSeeds, machineSeeds } from './seed-data';

/**
 * Demo gyms and machines; fixed ids make a second run a no-op. Newly inserted ones are announced
 * (`gym.created`, `machine.created`) like any other, so other subgraphs accept references to them.
 */
export async function seedGym(db: Database<typeof schema>): Promise<void> {
  await db.transaction(async (tx) => {
    const gyms = await tx.insert(schema.gyms).values(gymSeeds).onConflictDoNothing().returning({ id: schema.gyms.id });
    const machines = await tx
      .insert(schema.machines)
      .values(machineSeeds)
      .onConflictDoNothing()
      .returning({ id: schema.machines.id, gymId: schema.machines.gymId });
    for (const { id } of gyms) await enqueueEvent(tx, 'gym.created', { gymId: id });
    for (const { id, gymId } of machines) await enqueueEvent(tx, 'machine.created', { machineId: id, gymId });
  });
}
