import { startSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '@fitgraph/platform';
import { rememberKnownIds } from '@fitgraph/service-kit';
import { createContext, type WorkoutContext } from './context';
import * as schema from './db/schema';
import { seedWorkout } from './db/seed';
import { workoutEnv } from './env';
import { createWorkoutResources, type WorkoutResources } from './resources';
import { resolvers } from './resolvers';
import { forgetUser } from './workouts';

export const workoutSubgraph: SubgraphDefinition<typeof schema, WorkoutContext, WorkoutResources, typeof workoutEnv> = {
  name: 'workout',
  dbSchema: schema,
  resolvers,
  settings: workoutEnv,
  createResources: createWorkoutResources,
  createContext,
  seed: seedWorkout,
  eventHandlers: {
    // The user's workouts go, and their sets with them.
    'user.deleted': (tx, { userId }) => forgetUser(tx, userId),
    // The machines a set may name (service-kit references.ts); machines are never deleted.
    'machine.created': (tx, { machineId }) => rememberKnownIds(tx, schema.knownMachines, [machineId]),
  },
};

/** Starts the workout subgraph on `options.port` (0 = a free port); used by `index.ts` and tests. */
export const createSubgraph = (options: SubgraphServerOptions<typeof schema, WorkoutResources>) => startSubgraphServer(workoutSubgraph, options);

export { schema };
