import type { SeedOptions } from '@fitgraph/platform';
import type { Database } from '@fitgraph/service-kit';
import * as schema from './schema';
import { demoWorkoutSeeds, exerciseSeeds } from './seed-data';

const minute = 60_000;
const day = 24 * 60 * minute;

/**
 * The exercise catalogue, and (dev only) the demo members' workouts. Fixed ids make a second
 * run a no-op; workout times are relative to the first seed, so a fresh start shows recent weeks.
 */
export async function seedWorkout(db: Database<typeof schema>, { demoData }: SeedOptions): Promise<void> {
  await db.insert(schema.exercises).values(exerciseSeeds).onConflictDoNothing();
  if (!demoData) return;
  const now = Date.now();
  const today = now - (now % day);
  const workouts: (typeof schema.workouts.$inferInsert)[] = [];
  const sets: (typeof schema.workoutSets.$inferInsert)[] = [];
  for (const seed of demoWorkoutSeeds) {
    const startedAt = seed.startedMinutesAgo !== undefined ? now - seed.startedMinutesAgo * minute : today - seed.daysAgo * day + seed.startHourUtc * 3_600_000;
    // A set every ~7 minutes (warm-up first), the workout ends a few minutes after the last one.
    seed.sets.forEach((set, i) => sets.push({ ...set, workoutId: seed.id, loggedAt: new Date(startedAt + (8 + i * 7) * minute) }));
    const finishedAt = seed.finished ? new Date(startedAt + (8 + seed.sets.length * 7) * minute) : null;
    workouts.push({ id: seed.id, userId: seed.userId, startedAt: new Date(startedAt), finishedAt });
  }
  await db.transaction(async (tx) => {
    await tx.insert(schema.workouts).values(workouts).onConflictDoNothing();
    await tx.insert(schema.workoutSets).values(sets).onConflictDoNothing();
  });
}
