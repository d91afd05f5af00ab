import { scalarResolvers } from '@fitgraph/service-kit';
import type { Resolvers } from '../generated/resolvers-types';

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Query: {
    user: (_parent, { id }, { loaders }) => loaders.userById.load(id),
  },
  User: {
    __resolveReference: ({ id }, { loaders }) => loaders.userById.load(id),
    homeGym: (user) => (user.homeGymId ? { id: user.homeGymId } : null),
  },
};
