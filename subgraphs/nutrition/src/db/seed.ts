import type { SeedOptions } from '@fitgraph/platform';
import type { Database } from '@fitgraph/service-kit';
import * as schema from './schema';
import { demoGoalsSeeds, demoMealSeeds, foodSeeds } from './seed-data';

/** YYYY-MM-DD of `instant` in `timeZone` (en-CA formats dates that way). */
const localDate = (instant: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);

/**
 * The food catalogue, and (dev only) the demo members' goals and last 7 days of meals. Fixed ids
 * make a second run a no-op (goals a member changed stay changed); the days are the 7 before
 * the member's local date at the first seed, so a fresh start shows the past week.
 */
export async function seedNutrition(db: Database<typeof schema>, { demoData }: SeedOptions): Promise<void> {
  await db.insert(schema.foods).values(foodSeeds).onConflictDoNothing();
  if (!demoData) return;
  const now = new Date();
  const meals = demoMealSeeds.map(({ id, userId, timeZone, daysAgo, atUtcHours, foodId, grams }) => {
    const day = Date.parse(`${localDate(now, timeZone)}T00:00:00Z`) - daysAgo * 24 * 3_600_000;
    const eatenAt = new Date(day + atUtcHours * 3_600_000);
    return { id, userId, foodId, grams, eatenAt, createdAt: eatenAt };
  });
  await db.transaction(async (tx) => {
    await tx.insert(schema.nutritionGoals).values(demoGoalsSeeds).onConflictDoNothing();
    await tx.insert(schema.mealEntries).values(meals).onConflictDoNothing();
  });
}
