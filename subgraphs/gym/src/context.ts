import { contextWithLoaders, type RequestInfo, type SubgraphContext, type SubgraphDependencies } from '@fitgraph/service-kit';
import type * as schema from './db/schema';
import { createLoaders, type GymLoaders } from './loaders';
import type { GymResources } from './resources';

export type GymContext = SubgraphContext<typeof schema, GymLoaders> & GymResources;

const withLoaders = contextWithLoaders(createLoaders);
export const createContext = (
  deps: Required<SubgraphDependencies<typeof schema>> & { resources: GymResources },
  request: RequestInfo,
): GymContext => ({ ...withLoaders(deps, request), outbox: deps.resources.outbox });
