import { contextWithLoaders, type SubgraphContext } from '@fitgraph/service-kit';
import type * as schema from './db/schema';
import { createLoaders, type NutritionLoaders } from './loaders';

export type NutritionContext = SubgraphContext<typeof schema, NutritionLoaders>;
export const createContext = contextWithLoaders(createLoaders);
