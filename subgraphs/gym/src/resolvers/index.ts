import { asc } from 'drizzle-orm';
import { SequencedStream } from '@fitgraph/platform';
import { notFound, parseInput, present, scalarResolvers, uuidInput } from '@fitgraph/service-kit';
import { z } from 'zod';
import { gyms } from '../db/schema';
import type { GymContext } from '../context';
import { machineStatusChannel, type MachineStatusEventPayload } from '../events';
import type { Resolvers } from '../generated/resolvers-types';
import { clearLoaders } from '../loaders';
import { resumePosition, statusPage, statusPosition } from '../status-stream';
import { mutationResolvers } from './mutations';

const subscribeArgs = z.object({ gymId: uuidInput(), after: z.string().nullish() });

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
      subscribe: async (_parent, args, { db, pubsub, logger }) => {
        const { gymId, after } = parseInput(subscribeArgs, args);
        let subscriptionId: number | null = null;
        const stream = new SequencedStream<MachineStatusEventPayload, MachineStatusEventPayload>({
          seqOf: (event) => event.seq,
          fetchPage: (from, upto, limit) => statusPage(db, gymId, from, upto, limit),
          toValue: (event) => event,
          onClose: () => {
            if (subscriptionId !== null) pubsub.unsubscribe(subscriptionId);
          },
          logger,
          failureMessage: 'The machine status stream failed; subscribe again with `after` set to the last id received',
        });
        // Subscribe before reading the position, so nothing committed after the read can be missed.
        subscriptionId = await pubsub.subscribe(
          machineStatusChannel(gymId),
          (event: MachineStatusEventPayload) => {
            if (typeof event.seq === 'number') stream.offer(event);
          },
          {},
        );
        try {
          const lastSeq = await statusPosition(db, gymId);
          if (lastSeq === null) throw notFound('Gym', gymId);
          stream.start({ afterSeq: after == null ? lastSeq : resumePosition(after, lastSeq), lastSeq });
          return stream;
        } catch (error) {
          await stream.return();
          throw error;
        }
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
    id: (event) => String(event.seq),
    machine: async (event, _args, { loaders }) => present(await loaders.machineById.load(event.machineId), `machine ${event.machineId}`),
  },
};
