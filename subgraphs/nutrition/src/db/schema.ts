import { doublePrecision, pgTable, text, uuid } from 'drizzle-orm/pg-core';

/** Nutrients per 100 g, as published in food composition tables. */
export const foods = pgTable('foods', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  kcalPer100g: doublePrecision('kcal_per_100g').notNull(),
  proteinPer100g: doublePrecision('protein_per_100g').notNull(),
  carbsPer100g: doublePrecision('carbs_per_100g').notNull(),
  fatPer100g: doublePrecision('fat_per_100g').notNull(),
});

export type FoodRow = typeof foods.$inferSelect;
