import { asc, ilike } from 'drizzle-orm';
import { containsPattern } from '@fitgraph/service-kit';
import { exercises } from '../db/schema';
import type { Resolvers } from '../generated/resolvers-types';

export const resolvers: Resolvers = {
  Query: {
    exercises: (_parent, { search }, { db }) =>
      db
        .select()
        .from(exercises)
        .where(search ? ilike(exercises.name, containsPattern(search.trim())) : undefined)
        .orderBy(asc(exercises.name)),
  },
  Exercise: {
    __resolveReference: ({ id }, { loaders }) => loaders.exerciseById.load(id),
  },
};
