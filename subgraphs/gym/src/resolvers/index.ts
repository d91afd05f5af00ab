import { asc } from 'drizzle-orm';
import { present, scalarResolvers } from '@fitgraph/service-kit';
import { gyms } from '../db/schema';
import type { Resolvers } from '../generated/resolvers-types';

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Query: {
    gyms: (_parent, _args, { db }) => db.select().from(gyms).orderBy(asc(gyms.name)),
    gym: (_parent, { id }, { loaders }) => loaders.gymById.load(id),
    machine: (_parent, { id }, { loaders }) => loaders.machineById.load(id),
  },
  Gym: {
    __resolveReference: ({ id }, { loaders }) => loaders.gymById.load(id),
    machines: (gym, _args, { loaders }) => loaders.machinesByGymId.load(gym.id),
  },
  Machine: {
    __resolveReference: ({ id }, { loaders }) => loaders.machineById.load(id),
    gym: async (machine, _args, { loaders }) => present(await loaders.gymById.load(machine.gymId), `gym of machine ${machine.id}`),
  },
};
