import { startSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '@fitgraph/platform';
import { createContext, type NutritionContext } from './context';
import * as schema from './db/schema';
import { seedNutrition } from './db/seed';
import { nutritionEnv } from './env';
import { forgetUser } from './meals';
import { createNutritionResources, type NutritionResources } from './resources';
import { resolvers } from './resolvers';

export const nutritionSubgraph: SubgraphDefinition<typeof schema, NutritionContext, NutritionResources, typeof nutritionEnv> = {
  name: 'nutrition',
  dbSchema: schema,
  resolvers,
  settings: nutritionEnv,
  createResources: createNutritionResources,
  createContext,
  seed: seedNutrition,
  eventHandlers: {
    // Everything nutrition knows of a user: their meal log and their goals.
    'user.deleted': (tx, { userId }) => forgetUser(tx, userId),
  },
};

/** Starts the nutrition subgraph on `options.port` (0 = a free port); used by `index.ts` and tests. */
export const createSubgraph = (options: SubgraphServerOptions<typeof schema, NutritionResources>) => startSubgraphServer(nutritionSubgraph, options);

export { schema };
