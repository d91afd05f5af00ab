import { asc } from 'drizzle-orm';
import { z } from 'zod';
import { committed } from '@fitgraph/platform';
import { nameContains, parseInput, present, requireSelfOr, requireUser, scalarResolvers } from '@fitgraph/service-kit';
import type { NutritionContext } from '../context';
import { foods, type FoodRow, type MealEntryRow, type NutritionGoalsRow } from '../db/schema';
import type { Resolvers } from '../generated/resolvers-types';
import * as meals from '../meals';
import type { DailyNutritionModel } from '../models';

interface Nutrients {
  kcal: number;
  proteinG: number;
  carbsG: number;
  fatG: number;
}

const nutrientsOf = (grams: number, food: FoodRow): Nutrients => ({
  kcal: (grams * food.kcalPer100g) / 100,
  proteinG: (grams * food.proteinPer100g) / 100,
  carbsG: (grams * food.carbsPer100g) / 100,
  fatG: (grams * food.fatPer100g) / 100,
});

const foodOf = async (entry: MealEntryRow, { loaders }: NutritionContext) =>
  present(await loaders.foodById.load(entry.foodId), `food of meal entry ${entry.id}`);

const entryNutrients = async (entry: MealEntryRow, ctx: NutritionContext) => nutrientsOf(entry.grams, await foodOf(entry, ctx));

async function sumEntries(entries: MealEntryRow[], ctx: NutritionContext): Promise<Nutrients> {
  const totals: Nutrients = { kcal: 0, proteinG: 0, carbsG: 0, fatG: 0 };
  for (const n of await Promise.all(entries.map((entry) => entryNutrients(entry, ctx)))) {
    totals.kcal += n.kcal;
    totals.proteinG += n.proteinG;
    totals.carbsG += n.carbsG;
    totals.fatG += n.fatG;
  }
  return totals;
}

/** A day's totals, summed once however many of its fields (kcal, remaining, ...) a query selects. */
const totalsOfDay = new WeakMap<DailyNutritionModel, Promise<Nutrients>>();
function dayTotals(day: DailyNutritionModel, ctx: NutritionContext): Promise<Nutrients> {
  let totals = totalsOfDay.get(day);
  if (!totals) {
    totals = sumEntries(day.entries, ctx);
    totalsOfDay.set(day, totals);
  }
  return totals;
}

/**
 * Zones already accepted: building an Intl.DateTimeFormat to test one cost ~9 % of this subgraph's
 * busy time on the member dashboard. Only accepted zones are kept (a finite set; the zones come from
 * the user subgraph's stored settings), capped all the same.
 */
const knownTimeZones = new Set<string>();
const maxKnownTimeZones = 1000;
const isTimeZone = (zone: string): boolean => {
  if (knownTimeZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return false;
  }
  if (knownTimeZones.size < maxKnownTimeZones) knownTimeZones.add(zone);
  return true;
};

const combine = (goals: NutritionGoalsRow, totals: Nutrients, f: (goal: number, total: number) => number): Nutrients => ({
  kcal: f(goals.kcal, totals.kcal),
  proteinG: f(goals.proteinG, totals.proteinG),
  carbsG: f(goals.carbsG, totals.carbsG),
  fatG: f(goals.fatG, totals.fatG),
});

// ---------------------------------------------------------------- input models

/** How far ahead `eatenAt` may lie: a day covers any time zone and clock skew, not invented future meals. */
const maxFutureMs = 24 * 60 * 60 * 1000;

const logMealArgs = z.object({
  input: z.object({
    foodId: z.string(),
    grams: z.number().gt(0).max(5000),
    eatenAt: z
      .date()
      .refine((at) => at.getTime() <= Date.now() + maxFutureMs, { message: 'must not be more than a day in the future' })
      .nullish(),
  }),
});

const goalsArgs = z.object({
  input: z.object({
    kcal: z.number().gt(0).max(20000),
    proteinG: z.number().gt(0).max(2000),
    carbsG: z.number().gt(0).max(2000),
    fatG: z.number().gt(0).max(2000),
  }),
});

// ---------------------------------------------------------------- resolvers

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Date: scalarResolvers.Date,
  Query: {
    // .execute(): a Drizzle query is a thenable that runs again each time it is awaited.
    foods: (_parent, { search }, { db }) =>
      db.select().from(foods).where(nameContains(foods.name, search)).orderBy(asc(foods.name)).execute(),
  },
  Mutation: {
    logMeal: async (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { input } = parseInput(logMealArgs, args);
      return committed(ctx, await meals.logMeal(ctx.db, viewer, input, ctx.quotas.meals));
    },
    deleteMealEntry: async (_parent, { id }, ctx) => committed(ctx, await meals.deleteMealEntry(ctx.db, requireUser(ctx), id)),
    setNutritionGoals: async (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { input } = parseInput(goalsArgs, args);
      return committed(ctx, await meals.setNutritionGoals(ctx.db, viewer, input));
    },
  },
  User: {
    // The nutrition subgraph stores no users: a reference is its key (+ timeZone under @requires).
    __resolveReference: (reference) => reference,
    dailyNutrition: async (user, { date }, ctx) => {
      requireSelfOr(ctx, user.id);
      // The gateway fetches timeZone from the user subgraph (@requires); the default is UTC.
      let timeZone = user.timeZone ?? 'UTC';
      if (!isTimeZone(timeZone)) {
        ctx.logger.warn({ userId: user.id, timeZone }, 'unknown time zone; counting days in UTC');
        timeZone = 'UTC';
      }
      const entries = await ctx.loaders.entriesByDay.load({ userId: user.id, date, timeZone });
      return { userId: user.id, date, timeZone, entries };
    },
    nutritionGoals: (user, _args, ctx) => {
      requireSelfOr(ctx, user.id);
      return ctx.loaders.goalsByUserId.load(user.id);
    },
  },
  DailyNutrition: {
    kcal: async (day, _args, ctx) => (await dayTotals(day, ctx)).kcal,
    proteinG: async (day, _args, ctx) => (await dayTotals(day, ctx)).proteinG,
    carbsG: async (day, _args, ctx) => (await dayTotals(day, ctx)).carbsG,
    fatG: async (day, _args, ctx) => (await dayTotals(day, ctx)).fatG,
    goals: (day, _args, { loaders }) => loaders.goalsByUserId.load(day.userId),
    remaining: async (day, _args, ctx) => {
      const goals = await ctx.loaders.goalsByUserId.load(day.userId);
      return goals ? combine(goals, await dayTotals(day, ctx), (goal, total) => goal - total) : null;
    },
    percentOfGoals: async (day, _args, ctx) => {
      const goals = await ctx.loaders.goalsByUserId.load(day.userId);
      return goals ? combine(goals, await dayTotals(day, ctx), (goal, total) => (total / goal) * 100) : null;
    },
  },
  MealEntry: {
    food: (entry, _args, ctx) => foodOf(entry, ctx),
    kcal: async (entry, _args, ctx) => (await entryNutrients(entry, ctx)).kcal,
    proteinG: async (entry, _args, ctx) => (await entryNutrients(entry, ctx)).proteinG,
    carbsG: async (entry, _args, ctx) => (await entryNutrients(entry, ctx)).carbsG,
    fatG: async (entry, _args, ctx) => (await entryNutrients(entry, ctx)).fatG,
  },
  Food: {
    __resolveReference: ({ id }, { loaders }) => loaders.foodById.load(id),
  },
};
