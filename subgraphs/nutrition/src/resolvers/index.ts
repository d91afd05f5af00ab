import { asc, ilike } from 'drizzle-orm';
import { containsPattern } from '@fitgraph/service-kit';
import { foods } from '../db/schema';
import type { Resolvers } from '../generated/resolvers-types';

export const resolvers: Resolvers = {
  Query: {
    foods: (_parent, { search }, { db }) =>
      db
        .select()
        .from(foods)
        .where(search ? ilike(foods.name, containsPattern(search.trim())) : undefined)
        .orderBy(asc(foods.name)),
  },
  Food: {
    __resolveReference: ({ id }, { loaders }) => loaders.foodById.load(id),
  },
};
