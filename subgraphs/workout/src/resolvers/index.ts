import { asc } from 'drizzle-orm';
import { z } from 'zod';
import { committed } from '@fitgraph/platform';
import {
  badUserInput,
  forbidden,
  isSelfOr,
  nameContains,
  parseInput,
  present,
  requireSelfOr,
  requireUser,
  scalarResolvers,
  uuidInput,
} from '@fitgraph/service-kit';
import type { WorkoutContext } from '../context';
import * as schema from '../db/schema';
import type { Resolvers } from '../generated/resolvers-types';
import type { WorkoutCursor } from '../loaders';
import * as workouts from '../workouts';

const { exercises } = schema;

/** Who may see a user's training: the user themself, TRAINER and ADMIN. */
const viewerRoles = ['TRAINER', 'ADMIN'] as const;
const canSee = (ctx: WorkoutContext, userId: string) => isSelfOr(ctx, userId, ...viewerRoles);

// ---------------------------------------------------------------- input models

const workoutsArgs = z.object({
  first: z.number().int().min(1).max(100).nullish().transform((first) => first ?? 20),
  after: z.string().nullish(),
});

const logSetArgs = z.object({
  workoutId: z.string(),
  input: z.object({
    exerciseId: z.string(),
    machineId: uuidInput().nullish(),
    reps: z.number().int().min(1).max(1000),
    weightKg: z.number().min(0).max(1000),
  }),
});

/** Opaque to clients: base64url of [startedAt ISO, id]. */
const encodeCursor = (workout: WorkoutCursor): string =>
  Buffer.from(JSON.stringify([workout.startedAt.toISOString(), workout.id])).toString('base64url');

const cursorPayload = z.tuple([z.iso.datetime(), uuidInput()]);

function decodeCursor(cursor: string): WorkoutCursor {
  try {
    const [startedAt, id] = cursorPayload.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { startedAt: new Date(startedAt), id };
  } catch {
    throw badUserInput('after: not a cursor returned by workouts', 'after');
  }
}

// ---------------------------------------------------------------- resolvers

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Query: {
    // .execute(): a Drizzle query is a thenable that runs again each time it is awaited.
    exercises: (_parent, { search }, { db }) =>
      db.select().from(exercises).where(nameContains(exercises.name, search)).orderBy(asc(exercises.name)).execute(),
    workout: async (_parent, { id }, ctx) => {
      const workout = await ctx.loaders.workoutById.load(id);
      if (workout) requireSelfOr(ctx, workout.userId, ...viewerRoles);
      return workout;
    },
  },
  Mutation: {
    startWorkout: async (_parent, _args, ctx) => {
      const viewer = requireUser(ctx);
      const workout = await committed(ctx, await workouts.startWorkout(ctx.db, viewer, ctx.quotas.workouts));
      ctx.logger.info({ workoutId: workout.id, userId: viewer.id }, 'workout started');
      return workout;
    },
    logSet: async (_parent, args, ctx) => {
      const viewer = requireUser(ctx);
      const { workoutId, input } = parseInput(logSetArgs, args);
      return committed(ctx, await workouts.logSet(ctx.db, viewer, workoutId, input, ctx.quotas.sets));
    },
    finishWorkout: async (_parent, { workoutId }, ctx) => {
      const viewer = requireUser(ctx);
      const finished = await committed(ctx, await workouts.finishWorkout(ctx.db, viewer, workoutId));
      ctx.logger.info({ workoutId, userId: viewer.id }, 'workout finished');
      return finished;
    },
  },
  User: {
    // The workout subgraph stores no users: a reference is just its key.
    __resolveReference: ({ id }) => ({ id }),
    workouts: async (user, args, ctx) => {
      requireSelfOr(ctx, user.id, ...viewerRoles);
      const { first, after } = parseInput(workoutsArgs, args);
      // One extra row tells whether another page follows.
      const rows = await ctx.loaders.workoutPage.load({ userId: user.id, limit: first + 1, after: after ? decodeCursor(after) : null });
      const nodes = rows.slice(0, first);
      for (const workout of nodes) ctx.loaders.workoutById.prime(workout.id, workout);
      const last = nodes.at(-1);
      return { nodes, endCursor: last ? encodeCursor(last) : null, hasNextPage: rows.length > first };
    },
    personalRecords: async (user, _args, ctx) => {
      requireSelfOr(ctx, user.id, ...viewerRoles);
      const records = await ctx.loaders.personalRecordsByUserId.load(user.id);
      const names = await ctx.loaders.exerciseById.loadMany(records.map((r) => r.exerciseId));
      const nameOf = (i: number) => {
        const exercise = names[i];
        return exercise && !(exercise instanceof Error) ? exercise.name : '';
      };
      return records
        .map((record, i) => ({ record, name: nameOf(i) }))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(({ record }) => record);
    },
  },
  Workout: {
    __resolveReference: async ({ id }, ctx) => {
      const workout = await ctx.loaders.workoutById.load(id);
      if (workout && !canSee(ctx, workout.userId)) throw forbidden();
      return workout;
    },
    user: (workout) => ({ id: workout.userId }),
    sets: (workout, _args, { loaders }) => loaders.setsByWorkoutId.load(workout.id),
    totalVolumeKg: async (workout, _args, { loaders }) =>
      (await loaders.setsByWorkoutId.load(workout.id)).reduce((sum, set) => sum + set.reps * set.weightKg, 0),
  },
  WorkoutSet: {
    exercise: async (set, _args, { loaders }) => present(await loaders.exerciseById.load(set.exerciseId), `exercise of set ${set.id}`),
    machine: (set) => (set.machineId ? { __typename: 'Machine', id: set.machineId } : null),
  },
  PersonalRecord: {
    exercise: async (record, _args, { loaders }) =>
      present(await loaders.exerciseById.load(record.exerciseId), `exercise of record ${record.workoutId}`),
    workout: async (record, _args, { loaders }) => present(await loaders.workoutById.load(record.workoutId), `workout ${record.workoutId}`),
  },
  Exercise: {
    __resolveReference: ({ id }, { loaders }) => loaders.exerciseById.load(id),
  },
};
