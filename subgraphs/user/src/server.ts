import { startSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '@fitgraph/platform';
import { rememberKnownIds } from '@fitgraph/service-kit';
import { createContext, type UserContext } from './context';
import { userEnv } from './env';
import * as schema from './db/schema';
import { seedUser } from './db/seed';
import { createAccountResources, type AccountResources } from './resources';
import { resolvers } from './resolvers';

export const userSubgraph: SubgraphDefinition<typeof schema, UserContext, AccountResources, typeof userEnv> = {
  name: 'user',
  dbSchema: schema,
  resolvers,
  settings: userEnv,
  createResources: createAccountResources,
  createContext,
  seed: seedUser,
  eventHandlers: {
    // The gyms `homeGymId` may name (service-kit references.ts); gyms are never deleted.
    'gym.created': (tx, { gymId }) => rememberKnownIds(tx, schema.knownGyms, [gymId]),
  },
};

/** Starts the user subgraph on `options.port` (0 = a free port); used by `index.ts` and tests. */
export const createSubgraph = (options: SubgraphServerOptions<typeof schema, AccountResources>) => startSubgraphServer(userSubgraph, options);

export { schema };
