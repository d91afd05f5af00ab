import { contextWithLoaders, type RequestInfo, type SubgraphContext, type SubgraphHandles } from '@fitgraph/platform';
import type * as schema from './db/schema';
import { createLoaders, type WorkoutLoaders } from './loaders';
import type { WorkoutResources } from './resources';

export type WorkoutContext = SubgraphContext<typeof schema, WorkoutLoaders> & WorkoutResources;

const baseContext = contextWithLoaders(createLoaders);

export const createContext = (
  deps: SubgraphHandles<typeof schema> & { resources: WorkoutResources },
  request: RequestInfo,
): WorkoutContext => ({ ...baseContext(deps, request), ...deps.resources });
