import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { dailyQuotaTable, knownIdsTable, timestamptz } from '@fitgraph/service-kit';

export const exercises = pgTable('exercises', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  muscleGroups: text('muscle_groups').array().notNull(),
});

// Millisecond precision (3): timestamps round-trip exactly through JS Dates and cursors, whatever the year (service-kit timestamps.ts).
const instant = (name: string) => timestamptz(name, { precision: 3 });

export const workouts = pgTable(
  'workouts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** A user of the user subgraph; another database, so no foreign key. */
    userId: uuid('user_id').notNull(),
    startedAt: instant('started_at').notNull().default(sql`now()`),
    finishedAt: instant('finished_at'),
  },
  // Serves `User.workouts`: newest first, keyset-paginated on (started_at, id).
  (table) => [index('workouts_user_started_idx').on(table.userId, table.startedAt.desc(), table.id.desc())],
);

export const workoutSets = pgTable(
  'workout_sets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workoutId: uuid('workout_id')
      .notNull()
      .references(() => workouts.id, { onDelete: 'cascade' }),
    exerciseId: uuid('exercise_id')
      .notNull()
      .references(() => exercises.id),
    /** A machine of the gym subgraph; another database, so no foreign key: checked against `known_machines`. */
    machineId: uuid('machine_id'),
    reps: integer('reps').notNull(),
    weightKg: doublePrecision('weight_kg').notNull(),
    loggedAt: instant('logged_at').notNull().default(sql`now()`),
  },
  (table) => [
    index('workout_sets_workout_idx').on(table.workoutId, table.loggedAt),
    index('workout_sets_exercise_idx').on(table.exerciseId),
    // The resolvers validate too; these keep every writer honest.
    check('workout_sets_reps_range', sql`${table.reps} between 1 and 1000`),
    check('workout_sets_weight_range', sql`${table.weightKg} >= 0 and ${table.weightKg} <= 1000`),
  ],
);

/** Machines the gym subgraph announced (`machine.created`): what a set's `machineId` may name (service-kit references.ts). */
export const knownMachines = knownIdsTable('known_machines');

/** How many workouts and sets each member started / logged today (service-kit daily-quota.ts). */
export const dailyQuotas = dailyQuotaTable('daily_quotas');

export type ExerciseRow = typeof exercises.$inferSelect;
export type WorkoutRow = typeof workouts.$inferSelect;
export type WorkoutSetRow = typeof workoutSets.$inferSelect;

/** Durable events this subgraph has handled (service-kit events.ts handleEventOnce), made by its migrations like every other table. */
export { processedEvents } from '@fitgraph/service-kit';
