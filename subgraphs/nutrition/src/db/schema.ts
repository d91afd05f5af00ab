import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { dailyQuotaTable, timestamptz } from '@fitgraph/service-kit';

/** Nutrients per 100 g, as published in food composition tables. */
export const foods = pgTable('foods', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  kcalPer100g: doublePrecision('kcal_per_100g').notNull(),
  proteinPer100g: doublePrecision('protein_per_100g').notNull(),
  carbsPer100g: doublePrecision('carbs_per_100g').notNull(),
  fatPer100g: doublePrecision('fat_per_100g').notNull(),
});

// Millisecond precision (3): timestamps round-trip exactly through JS Dates, whatever the year (service-kit timestamps.ts).
const instant = (name: string) => timestamptz(name, { precision: 3 });

export const mealEntries = pgTable(
  'meal_entries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** A user of the user subgraph; another database, so no foreign key. */
    userId: uuid('user_id').notNull(),
    foodId: uuid('food_id')
      .notNull()
      .references(() => foods.id),
    grams: doublePrecision('grams').notNull(),
    eatenAt: instant('eaten_at').notNull().default(sql`now()`),
    createdAt: instant('created_at').notNull().default(sql`now()`),
  },
  (table) => [
    // Serves `User.dailyNutrition`: one user's entries in a time range.
    index('meal_entries_user_eaten_idx').on(table.userId, table.eatenAt),
    check('meal_entries_grams_range', sql`${table.grams} > 0 and ${table.grams} <= 5000`),
  ],
);

/** One row per user who has set goals. */
export const nutritionGoals = pgTable(
  'nutrition_goals',
  {
    userId: uuid('user_id').primaryKey(),
    kcal: doublePrecision('kcal').notNull(),
    proteinG: doublePrecision('protein_g').notNull(),
    carbsG: doublePrecision('carbs_g').notNull(),
    fatG: doublePrecision('fat_g').notNull(),
    updatedAt: instant('updated_at').notNull().default(sql`now()`),
  },
  (table) => [
    check('nutrition_goals_positive', sql`${table.kcal} > 0 and ${table.proteinG} > 0 and ${table.carbsG} > 0 and ${table.fatG} > 0`),
  ],
);

/** How many meals each member logged today (service-kit daily-quota.ts). */
export const dailyQuotas = dailyQuotaTable('daily_quotas');

export type FoodRow = typeof foods.$inferSelect;
export type MealEntryRow = typeof mealEntries.$inferSelect;
export type NutritionGoalsRow = typeof nutritionGoals.$inferSelect;

/** Durable events this subgraph has handled (service-kit events.ts handleEventOnce), made by its migrations like every other table. */
export { processedEvents } from '@fitgraph/service-kit';
