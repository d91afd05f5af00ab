import { startSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '@fitgraph/platform';
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
};

/** Starts the user subgraph on `options.port` (0 = a free port); used by `index.ts` and tests. */
export const createSubgraph = (options: SubgraphServerOptions<typeof schema, AccountResources>) => startSubgraphServer(userSubgraph, options);

export { schema };
