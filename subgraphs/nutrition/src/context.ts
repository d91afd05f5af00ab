import { contextWithLoaders, type SubgraphContext } from '@fitgraph/platform';
import type * as schema from './db/schema';
import { createLoaders, type NutritionLoaders } from './loaders';

export type NutritionContext = SubgraphContext<typeof schema, NutritionLoaders>;
export const createContext = contextWithLoaders(createLoaders);
