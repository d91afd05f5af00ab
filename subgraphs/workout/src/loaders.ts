import { and, asc, desc, eq, getTableColumns, inArray, lte, sql } from 'drizzle-orm';
import { anyOf, byKey, groupByKey, onlyUuids, perDatabase, type Database } from '@fitgraph/service-kit';
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
 * Pages of many users' workouts in one statement: a row_number() per user, cut at `limit`. Two
 * prepared forms, the first page and the pages after a cursor.
 */
function pageStatement(db: Database<typeof schema>, afterCursor: boolean) {
  const ranked = db
    .select({
      ...getTableColumns(workouts),
      rank: sql<number>`row_number() over (partition by ${workouts.userId} order by ${workouts.startedAt} desc, ${workouts.id} desc)`.as('rank'),
    })
    .from(workouts)
    .where(
      and(
        anyOf(workouts.userId, 'userIds', 'uuid'),
        afterCursor
          ? sql`(${workouts.startedAt}, ${workouts.id}) < (${sql.placeholder('afterStartedAt')}::timestamptz, ${sql.placeholder('afterId')}::uuid)`
          : undefined,
      ),
    )
    .as('ranked');
  return db
    .select({ id: ranked.id, userId: ranked.userId, startedAt: ranked.startedAt, finishedAt: ranked.finishedAt })
    .from(ranked)
    .where(lte(ranked.rank, sql.placeholder('limit')))
    .orderBy(asc(ranked.userId), desc(ranked.startedAt), desc(ranked.id))
    .prepare(afterCursor ? 'workout_pages_after' : 'workout_pages');
}

/** The hot loaders' statements, built and prepared once per database. */
const statements = perDatabase((db: Database<typeof schema>) => ({
  exercisesByIds: db.select().from(exercises).where(anyOf(exercises.id, 'ids', 'uuid')).prepare('exercises_by_ids'),
  workoutsByIds: db.select().from(workouts).where(anyOf(workouts.id, 'ids', 'uuid')).prepare('workouts_by_ids'),
  // Each set with its exercise: a page's sets and their exercise names in one statement, not two.
  setsOfWorkouts: db
    .select({ set: workoutSets, exercise: exercises })
    .from(workoutSets)
    .innerJoin(exercises, eq(exercises.id, workoutSets.exerciseId))
    .where(anyOf(workoutSets.workoutId, 'workoutIds', 'uuid'))
    .orderBy(asc(workoutSets.loggedAt), asc(workoutSets.id))
    .prepare('sets_of_workouts'),
  firstPages: pageStatement(db, false),
  pagesAfter: pageStatement(db, true),
}));

/**
 * Pages of many users' workouts. Keys that share `limit` and `after` (the usual case: one page
 * size for every user of a list) are one SQL statement.
 */
async function loadWorkoutPages(db: Database<typeof schema>, keys: readonly WorkoutPageKey[]): Promise<schema.WorkoutRow[][]> {
  const { firstPages, pagesAfter } = statements(db);
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
      const rows = after
        ? await pagesAfter.execute({ userIds, limit, afterStartedAt: after.startedAt.toISOString(), afterId: after.id })
        : await firstPages.execute({ userIds, limit });
      const byUser = groupByKey(userIds, rows, (row) => row.userId);
      userIds.forEach((userId, i) => pages.set(`${userId}|${limit}|${cursorKey(after)}`, byUser[i]!));
    }),
  );
  return keys.map((key) => pages.get(`${key.userId}|${key.limit}|${cursorKey(key.after)}`) ?? []);
}

/** Per-request loaders: each batch is one SQL statement however many keys it holds. */
export function createLoaders(db: Database<typeof schema>) {
  const { exercisesByIds, workoutsByIds, setsOfWorkouts } = statements(db);
  const exerciseById = new DataLoader(async (ids: readonly string[]) => byKey(ids, await exercisesByIds.execute({ ids: onlyUuids(ids) }), (e) => e.id));
  return {
    exerciseById,
    workoutById: new DataLoader(async (ids: readonly string[]) => byKey(ids, await workoutsByIds.execute({ ids: onlyUuids(ids) }), (w) => w.id)),
    /** Sets of many workouts, each in the order they were logged; their exercises are primed into `exerciseById`. */
    setsByWorkoutId: new DataLoader(async (workoutIds: readonly string[]) => {
      const rows = await setsOfWorkouts.execute({ workoutIds: onlyUuids(workoutIds) });
      for (const { exercise } of rows) exerciseById.prime(exercise.id, exercise);
      return groupByKey(
        workoutIds,
        rows.map((row) => row.set),
        (set) => set.workoutId,
      );
    }),
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
