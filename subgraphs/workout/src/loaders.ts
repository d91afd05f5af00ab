import { and, asc, desc, eq, getTableColumns, inArray, lte, sql } from 'drizzle-orm';
import { byKey, groupByKey, onlyUuids, type Database } from '@fitgraph/service-kit';
import DataLoader from 'dataloader';
import * as schema from './db/schema';
import type { PersonalRecordModel } from './models';

const { exercises, workouts, workoutSets } = schema;

/** Where a page of `User.workouts` starts: after this (startedAt, id) in newest-first order. */
export interface WorkoutCursor {
  startedAt: Date;
  id: string;
}

/** One `User.workouts` page request: up to `limit` workouts of `userId` after `after`. */
export interface WorkoutPageKey {
  userId: string;
  limit: number;
  after: WorkoutCursor | null;
}

const cursorKey = (after: WorkoutCursor | null) => (after ? `${after.startedAt.toISOString()}|${after.id}` : '');

/**
 * Pages of many users' workouts. Keys that share `limit` and `after` (the usual case: one page
 * size for every user of a list) are one SQL statement: a row_number() per user, cut at `limit`.
 */
async function loadWorkoutPages(db: Database<typeof schema>, keys: readonly WorkoutPageKey[]): Promise<schema.WorkoutRow[][]> {
  const groups = new Map<string, WorkoutPageKey[]>();
  for (const key of keys) {
    const group = `${key.limit}|${cursorKey(key.after)}`;
    groups.set(group, [...(groups.get(group) ?? []), key]);
  }
  const pages = new Map<string, schema.WorkoutRow[]>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const { limit, after } = group[0]!;
      const userIds = onlyUuids([...new Set(group.map((key) => key.userId))]);
      if (userIds.length === 0) return;
      const ranked = db
        .select({
          ...getTableColumns(workouts),
          rank: sql<number>`row_number() over (partition by ${workouts.userId} order by ${workouts.startedAt} desc, ${workouts.id} desc)`.as('rank'),
        })
        .from(workouts)
        .where(
          and(
            inArray(workouts.userId, userIds),
            after
              ? sql`(${workouts.startedAt}, ${workouts.id}) < (${after.startedAt.toISOString()}::timestamptz, ${after.id}::uuid)`
              : undefined,
          ),
        )
        .as('ranked');
      const rows = await db
        .select({ id: ranked.id, userId: ranked.userId, startedAt: ranked.startedAt, finishedAt: ranked.finishedAt })
        .from(ranked)
        .where(lte(ranked.rank, limit))
        .orderBy(asc(ranked.userId), desc(ranked.startedAt), desc(ranked.id));
      const byUser = groupByKey(userIds, rows, (row) => row.userId);
      userIds.forEach((userId, i) => pages.set(`${userId}|${limit}|${cursorKey(after)}`, byUser[i]!));
    }),
  );
  return keys.map((key) => pages.get(`${key.userId}|${key.limit}|${cursorKey(key.after)}`) ?? []);
}

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  return {
    exerciseById: new DataLoader(async (ids: readonly string[]) =>
      byKey(ids, await db.select().from(exercises).where(inArray(exercises.id, onlyUuids(ids))), (e) => e.id),
    ),
    workoutById: new DataLoader(async (ids: readonly string[]) =>
      byKey(ids, await db.select().from(workouts).where(inArray(workouts.id, onlyUuids(ids))), (w) => w.id),
    ),
    /** Sets of many workouts, each in the order they were logged. */
    setsByWorkoutId: new DataLoader(async (workoutIds: readonly string[]) =>
      groupByKey(
        workoutIds,
        await db
          .select()
          .from(workoutSets)
          .where(inArray(workoutSets.workoutId, onlyUuids(workoutIds)))
          .orderBy(asc(workoutSets.loggedAt), asc(workoutSets.id)),
        (set) => set.workoutId,
      ),
    ),
    workoutPage: new DataLoader((keys: readonly WorkoutPageKey[]) => loadWorkoutPages(db, keys), {
      cacheKeyFn: (key) => `${key.userId}|${key.limit}|${cursorKey(key.after)}`,
    }),
    /** Best set per exercise of many users (heaviest; ties: more reps, then the earlier set). */
    personalRecordsByUserId: new DataLoader(async (userIds: readonly string[]) =>
      groupByKey<PersonalRecordModel>(
        userIds,
        await db
          .selectDistinctOn([workouts.userId, workoutSets.exerciseId], {
            userId: workouts.userId,
            exerciseId: workoutSets.exerciseId,
            workoutId: workoutSets.workoutId,
            weightKg: workoutSets.weightKg,
            reps: workoutSets.reps,
            achievedAt: workoutSets.loggedAt,
          })
          .from(workoutSets)
          .innerJoin(workouts, eq(workouts.id, workoutSets.workoutId))
          .where(inArray(workouts.userId, onlyUuids(userIds)))
          .orderBy(
            asc(workouts.userId),
            asc(workoutSets.exerciseId),
            desc(workoutSets.weightKg),
            desc(workoutSets.reps),
            asc(workoutSets.loggedAt),
          ),
        (record) => record.userId,
      ),
    ),
  };
}
export type WorkoutLoaders = ReturnType<typeof createLoaders>;
