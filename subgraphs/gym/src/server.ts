import { startSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '@fitgraph/service-kit';
import { createContext, type GymContext } from './context';
import * as schema from './db/schema';
import { seedGym } from './db/seed';
import { resolvers } from './resolvers';

export const gymSubgraph: SubgraphDefinition<typeof schema, GymContext> = {
  name: 'gym',
  dbSchema: schema,
  resolvers,
  createContext,
  seed: seedGym,
};

/** Starts the gym subgraph on `options.port` (0 = a free port); used by `index.ts` and tests. */
export const createSubgraph = (options: SubgraphServerOptions<typeof schema>) => startSubgraphServer(gymSubgraph, options);

export { schema };
