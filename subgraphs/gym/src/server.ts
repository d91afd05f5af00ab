import { publishCommitted, startSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '@fitgraph/platform';
import { createContext, type GymContext } from './context';
import * as schema from './db/schema';
import { seedGym } from './db/seed';
import { forgetUser } from './floor';
import { resolvers } from './resolvers';
import { createGymResources, type GymResources } from './resources';

export const gymSubgraph: SubgraphDefinition<typeof schema, GymContext, GymResources> = {
  name: 'gym',
  dbSchema: schema,
  resolvers,
  createResources: createGymResources,
  createContext,
  seed: seedGym,
  eventHandlers: {
    // Check-ins go, held machines are released (subscribers told after commit), history loses the id.
    'user.deleted': async (tx, { userId }, event, { pubsub, logger, afterCommit }) => {
      const { result, events } = await forgetUser(tx, userId);
      logger.info({ userId, eventId: event.id, ...result }, 'deleted user forgotten');
      afterCommit(() => publishCommitted(pubsub, logger, events));
    },
  },
};

/** Starts the gym subgraph on `options.port` (0 = a free port); used by `index.ts` and tests. */
export const createSubgraph = (options: SubgraphServerOptions<typeof schema, GymResources>) => startSubgraphServer(gymSubgraph, options);

export { schema };
