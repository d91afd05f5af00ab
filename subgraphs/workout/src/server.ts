import { startSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '@fitgraph/service-kit';
import { createContext, type WorkoutContext } from './context';
import * as schema from './db/schema';
import { seedWorkout } from './db/seed';
import { resolvers } from './resolvers';

export const workoutSubgraph: SubgraphDefinition<typeof schema, WorkoutContext> = {
  name: 'workout',
  dbSchema: schema,
  resolvers,
  createContext,
  seed: seedWorkout,
};

/** Starts the workout subgraph on `options.port` (0 = a free port); used by `index.ts` and tests. */
export const createSubgraph = (options: SubgraphServerOptions<typeof schema>) => startSubgraphServer(workoutSubgraph, options);

export { schema };
