import { contextWithLoaders, type RequestInfo, type SubgraphContext, type SubgraphHandles } from '@fitgraph/platform';
import type * as schema from './db/schema';
import { createLoaders, type NutritionLoaders } from './loaders';
import type { NutritionResources } from './resources';

export type NutritionContext = SubgraphContext<typeof schema, NutritionLoaders> & NutritionResources;

const baseContext = contextWithLoaders(createLoaders);

export const createContext = (
  deps: SubgraphHandles<typeof schema> & { resources: NutritionResources },
  request: RequestInfo,
): NutritionContext => ({ ...baseContext(deps, request), ...deps.resources });
