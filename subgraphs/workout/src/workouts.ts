/**
 * Workout operations behind the workout subgraph's mutations, in gym's `floor.ts` model: each
 * takes the database (or a transaction), the viewer and parsed input, runs in one transaction
 * and returns an `Outcome` (no live events here); resolvers parse, guard and hand it to `committed`.
 */
import { eq } from 'drizzle-orm';
import type { Outcome, Viewer } from '@fitgraph/platform';
import { conflict, consumeDailyQuota, forbidden, forgetDailyQuotas, isUuid, knownIdsCheck, notFound, type Database, type DailyQuota } from '@fitgraph/service-kit';
import * as schema from './db/schema';
import type { WorkoutRow, WorkoutSetRow } from './db/schema';

const { dailyQuotas, exercises, workouts, workoutSets } = schema;
type WorkoutDatabase = Database<typeof schema>;

/** A set's machine must be one the gym subgraph announced (service-kit references.ts). */
const setMachine = knownIdsCheck(schema.knownMachines, 'input.machineId', 'machine');

export interface LogSetInput {
  exerciseId: string;
  machineId?: string | null;
  reps: number;
  weightKg: number;
}

/** The workout, row-locked until the transaction ends; NOT_FOUND / FORBIDDEN unless the viewer owns it. */
async function lockOwnWorkout(tx: WorkoutDatabase, workoutId: string, viewerId: string): Promise<WorkoutRow> {
  const [workout] = isUuid(workoutId) ? await tx.select().from(workouts).where(eq(workouts.id, workoutId)).for('update') : [];
  if (!workout) throw notFound('Workout', workoutId);
  if (workout.userId !== viewerId) throw forbidden('Only the owner can change a workout');
  return workout;
}

/** `quota`: the viewer's daily bound on started workouts (RATE_LIMITED beyond it). */
export async function startWorkout(db: WorkoutDatabase, viewer: Viewer, quota: DailyQuota): Promise<Outcome<WorkoutRow>> {
  return db.transaction(async (tx) => {
    await consumeDailyQuota(tx, dailyQuotas, viewer.id, quota);
    const [workout] = await tx.insert(workouts).values({ userId: viewer.id }).returning();
    return { result: workout!, events: [] };
  });
}

/** `quota`: the viewer's daily bound on logged sets, all workouts together (RATE_LIMITED beyond it). */
export async function logSet(
  db: WorkoutDatabase,
  viewer: Viewer,
  workoutId: string,
  input: LogSetInput,
  quota: DailyQuota,
): Promise<Outcome<WorkoutSetRow>> {
  const machineIds = input.machineId ? [input.machineId.toLowerCase()] : [];
  await setMachine.beforeTransaction(db, machineIds);
  return db.transaction(async (tx) => {
    // The row lock orders this against a concurrent finishWorkout: no set lands after finishing.
    const workout = await lockOwnWorkout(tx, workoutId, viewer.id);
    if (workout.finishedAt) throw conflict(`Workout ${workoutId} is finished; no more sets can be logged`);
    const [exercise] = isUuid(input.exerciseId) ? await tx.select({ id: exercises.id }).from(exercises).where(eq(exercises.id, input.exerciseId)) : [];
    if (!exercise) throw notFound('Exercise', input.exerciseId);
    await setMachine.inTransaction(tx, machineIds);
    await consumeDailyQuota(tx, dailyQuotas, viewer.id, quota);
    const [set] = await tx
      .insert(workoutSets)
      .values({ workoutId, exerciseId: exercise.id, machineId: machineIds[0] ?? null, reps: input.reps, weightKg: input.weightKg })
      .returning();
    return { result: set!, events: [] };
  });
}

export async function finishWorkout(db: WorkoutDatabase, viewer: Viewer, workoutId: string): Promise<Outcome<WorkoutRow>> {
  return db.transaction(async (tx) => {
    const workout = await lockOwnWorkout(tx, workoutId, viewer.id);
    if (workout.finishedAt) throw conflict(`Workout ${workoutId} is already finished`);
    const [finished] = await tx.update(workouts).set({ finishedAt: new Date() }).where(eq(workouts.id, workoutId)).returning();
    return { result: finished!, events: [] };
  });
}

/** `user.deleted`, in the event handler's transaction: the user's workouts go, and their sets with them (ON DELETE CASCADE), and their daily counts. */
export async function forgetUser(tx: WorkoutDatabase, userId: string): Promise<void> {
  await tx.delete(workouts).where(eq(workouts.userId, userId));
  await forgetDailyQuotas(tx, dailyQuotas, userId);
}
