/**
 * Meal log and goal operations behind the nutrition subgraph's mutations, in gym's `floor.ts`
 * model: each takes the database (or a transaction), the viewer and parsed input, runs in one
 * transaction and returns an `Outcome` (no live events here); resolvers parse, guard and hand it to `committed`.
 */
import { eq } from 'drizzle-orm';
import type { Outcome, Viewer } from '@fitgraph/platform';
import { consumeDailyQuota, forbidden, forgetDailyQuotas, isUuid, notFound, type DailyQuota, type Database } from '@fitgraph/service-kit';
import * as schema from './db/schema';
import { dailyQuotas, foods, mealEntries, nutritionGoals, type MealEntryRow, type NutritionGoalsRow } from './db/schema';

type NutritionDatabase = Database<typeof schema>;

export interface MealInput {
  foodId: string;
  grams: number;
  /** Default: now. */
  eatenAt?: Date | null;
}

export interface GoalsInput {
  kcal: number;
  proteinG: number;
  carbsG: number;
  fatG: number;
}

/** `quota`: the viewer's daily bound on logged meals, counted by the day of logging (RATE_LIMITED beyond it). */
export async function logMeal(db: NutritionDatabase, viewer: Viewer, input: MealInput, quota: DailyQuota): Promise<Outcome<MealEntryRow>> {
  return db.transaction(async (tx) => {
    const [food] = isUuid(input.foodId) ? await tx.select({ id: foods.id }).from(foods).where(eq(foods.id, input.foodId)) : [];
    if (!food) throw notFound('Food', input.foodId);
    await consumeDailyQuota(tx, dailyQuotas, viewer.id, quota);
    const [entry] = await tx
      .insert(mealEntries)
      .values({ userId: viewer.id, foodId: food.id, grams: input.grams, eatenAt: input.eatenAt ?? new Date() })
      .returning();
    return { result: entry!, events: [] };
  });
}

export async function deleteMealEntry(db: NutritionDatabase, viewer: Viewer, entryId: string): Promise<Outcome<boolean>> {
  return db.transaction(async (tx) => {
    const [entry] = isUuid(entryId) ? await tx.select().from(mealEntries).where(eq(mealEntries.id, entryId)).for('update') : [];
    if (!entry) throw notFound('Meal entry', entryId);
    if (entry.userId !== viewer.id) throw forbidden('Only the owner can delete a meal entry');
    await tx.delete(mealEntries).where(eq(mealEntries.id, entryId));
    return { result: true, events: [] };
  });
}

export async function setNutritionGoals(db: NutritionDatabase, viewer: Viewer, input: GoalsInput): Promise<Outcome<NutritionGoalsRow>> {
  const values = { ...input, updatedAt: new Date() };
  const [goals] = await db
    .insert(nutritionGoals)
    .values({ userId: viewer.id, ...values })
    .onConflictDoUpdate({ target: nutritionGoals.userId, set: values })
    .returning();
  return { result: goals!, events: [] };
}

/** `user.deleted`, in the event handler's transaction: everything nutrition knows of the user, their meal log, goals and daily count. */
export async function forgetUser(tx: NutritionDatabase, userId: string): Promise<void> {
  await tx.delete(mealEntries).where(eq(mealEntries.userId, userId));
  await tx.delete(nutritionGoals).where(eq(nutritionGoals.userId, userId));
  await forgetDailyQuotas(tx, dailyQuotas, userId);
}
