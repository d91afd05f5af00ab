import { z } from 'zod';

/** Settings of the workout subgraph beyond the common ones (platform `commonEnv`), parsed by its composition root. */
export const workoutEnv = {
  /** Workouts one member may start per UTC day before RATE_LIMITED. Default: 50. */
  WORKOUT_DAILY_LIMIT: z.coerce.number().int().positive().default(50),
  /** Sets one member may log per UTC day, all workouts together, before RATE_LIMITED. Default: 1000. */
  WORKOUT_SET_DAILY_LIMIT: z.coerce.number().int().positive().default(1000),
};

export type WorkoutSettings = z.infer<z.ZodObject<typeof workoutEnv>>;
