import type { MealEntryRow } from './db/schema';

/** What resolvers return for types that are not plain rows (see the mappers in codegen.ts). */

/** A user as the nutrition subgraph knows one: the key, plus `timeZone` when the gateway provides it (@requires). */
export interface UserRef {
  id: string;
  timeZone?: string | null;
}

/** One local day of one user; totals are computed by the field resolvers from `entries`. */
export interface DailyNutritionModel {
  userId: string;
  date: string;
  timeZone: string;
  entries: MealEntryRow[];
}
