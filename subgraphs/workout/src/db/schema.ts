import { pgTable, text, uuid } from 'drizzle-orm/pg-core';

export const exercises = pgTable('exercises', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  muscleGroups: text('muscle_groups').array().notNull(),
});

export type ExerciseRow = typeof exercises.$inferSelect;
