import { asc, eq, inArray, sql } from 'drizzle-orm';
import { byKey, isUuid, onlyUuids, perDatabase, type Database } from '@fitgraph/service-kit';
import DataLoader from 'dataloader';
import * as schema from './db/schema';

const { foods, mealEntries, nutritionGoals } = schema;

/** One local day of one user: `date` (YYYY-MM-DD) cut in the IANA zone `timeZone`. */
export interface DayKey {
  userId: string;
  date: string;
  timeZone: string;
}

const dayKey = (key: DayKey) => `${key.userId}|${key.date}|${key.timeZone}`;

/**
 * Meal entries of many (user, local day) pairs in one SQL statement: the pairs are joined in as
 * an unnest()ed table, and PostgreSQL turns each local day into its UTC range (DST included),
 * so the (user_id, eaten_at) index serves every pair. Foods come joined and prime `foodById`.
 * Built and prepared once per database; the pairs are three array parameters (dates travel as
 * text: the driver passes date arrays through unserialised).
 */
const statements = perDatabase((db: Database<typeof schema>) => {
  const days = sql`(select * from unnest(${sql.placeholder('userIds')}::uuid[], ${sql.placeholder('dates')}::text[]::date[], ${sql.placeholder('timeZones')}::text[]) as d(user_id, day, tz)) as days`;
  return {
    entriesOfDays: db
      .select({ entry: mealEntries, food: foods, key: sql<string>`days.user_id || '|' || to_char(days.day, 'YYYY-MM-DD') || '|' || days.tz` })
      .from(mealEntries)
      .innerJoin(
        days,
        sql`days.user_id = ${mealEntries.userId}
          and ${mealEntries.eatenAt} >= (days.day::timestamp at time zone days.tz)
          and ${mealEntries.eatenAt} < ((days.day + 1)::timestamp at time zone days.tz)`,
      )
      .innerJoin(foods, eq(foods.id, mealEntries.foodId))
      .orderBy(asc(mealEntries.eatenAt), asc(mealEntries.id))
      .prepare('entries_of_days'),
  };
});

async function loadDays(
  db: Database<typeof schema>,
  foodById: DataLoader<string, schema.FoodRow | null>,
  keys: readonly DayKey[],
): Promise<schema.MealEntryRow[][]> {
  const valid = keys.filter((key) => isUuid(key.userId));
  if (valid.length === 0) return keys.map(() => []);
  const rows = await statements(db).entriesOfDays.execute({
    userIds: valid.map((k) => k.userId),
    dates: valid.map((k) => k.date),
    timeZones: valid.map((k) => k.timeZone),
  });
  const byDay = new Map<string, schema.MealEntryRow[]>();
  for (const { entry, food, key } of rows) {
    foodById.prime(food.id, food);
    byDay.set(key, [...(byDay.get(key) ?? []), entry]);
  }
  return keys.map((key) => byDay.get(dayKey(key)) ?? []);
}

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  const foodById = new DataLoader(async (ids: readonly string[]) =>
    byKey(ids, await db.select().from(foods).where(inArray(foods.id, onlyUuids(ids))), (f) => f.id),
  );
  return {
    foodById,
    goalsByUserId: new DataLoader(async (userIds: readonly string[]) =>
      byKey(userIds, await db.select().from(nutritionGoals).where(inArray(nutritionGoals.userId, onlyUuids(userIds))), (g) => g.userId),
    ),
    entriesByDay: new DataLoader((keys: readonly DayKey[]) => loadDays(db, foodById, keys), { cacheKeyFn: dayKey }),
  };
}
export type NutritionLoaders = ReturnType<typeof createLoaders>;

