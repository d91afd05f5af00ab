import { asc } from 'drizzle-orm';
import { notFound, parseInput, present, scalarResolvers, uuidInput } from '@fitgraph/service-kit';
import { z } from 'zod';
import { gyms } from '../db/schema';
import type { GymContext } from '../context';
import { machineStatusChannel, type MachineStatusEventPayload } from '../events';
import type { Resolvers } from '../generated/resolvers-types';
import { clearLoaders } from '../loaders';
import { mutationResolvers } from './mutations';

const subscribeArgs = z.object({ gymId: uuidInput() });

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Query: {
    gyms: (_parent, _args, { db }) => db.select().from(gyms).orderBy(asc(gyms.name)).execute(),
    gym: (_parent, { id }, { loaders }) => loaders.gymById.load(id),
    machine: (_parent, { id }, { loaders }) => loaders.machineById.load(id),
  },
  Mutation: mutationResolvers,
  Subscription: {
    machineStatusChanged: {
      subscribe: async (_parent, args, { loaders, pubsub }) => {
        const { gymId } = parseInput(subscribeArgs, args);
        if (!(await loaders.gymById.load(gymId))) throw notFound('Gym', gymId);
        return pubsub.asyncIterableIterator(machineStatusChannel(gymId));
      },
      // One context serves the whole subscription: drop what earlier events cached.
      resolve: (event: MachineStatusEventPayload, _args: unknown, { loaders }: GymContext) => {
        clearLoaders(loaders);
        return event;
      },
    },
  },
  Gym: {
    __resolveReference: ({ id }, { loaders }) => loaders.gymById.load(id),
    machines: (gym, _args, { loaders }) => loaders.machinesByGymId.load(gym.id),
    occupancy: (gym, _args, { loaders }) => loaders.occupancyByGymId.load(gym.id),
  },
  Machine: {
    __resolveReference: ({ id }, { loaders }) => loaders.machineById.load(id),
    gym: async (machine, _args, { loaders }) => present(await loaders.gymById.load(machine.gymId), `gym of machine ${machine.id}`),
    // Who is on which machine is for signed-in members of the network, not for anonymous callers.
    currentUser: (machine, _args, { viewer }) =>
      viewer && machine.status === 'IN_USE' && machine.currentUserId ? { __typename: 'User', id: machine.currentUserId } : null,
  },
  MachineStatusEvent: {
    machine: async (event, _args, { loaders }) => present(await loaders.machineById.load(event.machineId), `machine ${event.machineId}`),
  },
};
