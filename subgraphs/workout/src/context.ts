import { contextWithLoaders, type SubgraphContext } from '@fitgraph/platform';
import type * as schema from './db/schema';
import { createLoaders, type WorkoutLoaders } from './loaders';

export type WorkoutContext = SubgraphContext<typeof schema, WorkoutLoaders>;
export const createContext = contextWithLoaders(createLoaders);
