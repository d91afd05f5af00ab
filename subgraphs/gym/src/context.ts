import { contextWithLoaders, type SubgraphContext } from '@fitgraph/service-kit';
import type * as schema from './db/schema';
import { createLoaders, type GymLoaders } from './loaders';

export type GymContext = SubgraphContext<typeof schema, GymLoaders>;
export const createContext = contextWithLoaders(createLoaders);
