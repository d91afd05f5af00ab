import { and, eq, inArray, isNull } from 'drizzle-orm';
import { enqueueEvent, type SeedOptions } from '@fitgraph/platform';
import type { Database } from '@fitgraph/service-kit';
import { devDemoPassword, type UserSettings } from '../env';
import { hashPassword, scryptParams } from '../passwords';
import * as schema from './schema';
import { demoUserSeeds } from './seed-data';

/**
 * Demo members; fixed ids make a second run a no-op. Their password is DEMO_PASSWORD (the
 * DEV-ONLY default outside production; none in production unless DEMO_PASSWORD is set).
 */
export async function seedUser(db: Database<typeof schema>, { demoData, demoPassword, settings }: SeedOptions<UserSettings>): Promise<void> {
  await db.transaction(async (tx) => {
    const inserted = await tx.insert(schema.users).values(demoUserSeeds).onConflictDoNothing().returning({ id: schema.users.id });
    // Announced like any new account, so the other subgraphs accept the demo members' ids.
    for (const { id } of inserted) await enqueueEvent(tx, 'user.created', { userId: id });
  });
  const password = demoData ? (demoPassword ?? devDemoPassword) : null;
  if (!password) return;
  const ids = demoUserSeeds.map((user) => user.id);
  const withoutPassword = await db
    .select({ id: schema.users.id })
    .from(schema.users)
    .where(and(inArray(schema.users.id, ids), isNull(schema.users.passwordHash)));
  const params = scryptParams(settings);
  for (const { id } of withoutPassword) {
    // One salt per account, as for every other password.
    const passwordHash = await hashPassword(password, params);
    await db.update(schema.users).set({ passwordHash }).where(and(eq(schema.users.id, id), isNull(schema.users.passwordHash)));
  }
}
