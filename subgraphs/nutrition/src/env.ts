import { z } from 'zod';

/** Settings of the nutrition subgraph beyond the common ones (platform `commonEnv`), parsed by its composition root. */
export const nutritionEnv = {
  /** Meals one member may log per UTC day (of logging, whatever their `eatenAt`) before RATE_LIMITED. Default: 100. */
  MEAL_DAILY_LIMIT: z.coerce.number().int().positive().default(100),
};

export type NutritionSettings = z.infer<z.ZodObject<typeof nutritionEnv>>;
