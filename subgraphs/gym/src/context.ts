import { contextWithLoaders, type RequestInfo, type SubgraphContext, type SubgraphHandles } from '@fitgraph/platform';
import type * as schema from './db/schema';
import { createLoaders, type GymLoaders } from './loaders';
import type { GymResources } from './resources';

export type GymContext = SubgraphContext<typeof schema, GymLoaders> & GymResources;

const withLoaders = contextWithLoaders(createLoaders);
export const createContext = (
  deps: SubgraphHandles<typeof schema> & { resources: GymResources },
  request: RequestInfo,
): GymContext => ({ ...withLoaders(deps, request), outbox: deps.resources.outbox });
