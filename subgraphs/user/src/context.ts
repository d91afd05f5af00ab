import { contextWithLoaders, type SubgraphContext } from '@fitgraph/service-kit';
import type * as schema from './db/schema';
import { createLoaders, type UserLoaders } from './loaders';

export type UserContext = SubgraphContext<typeof schema, UserLoaders>;
export const createContext = contextWithLoaders(createLoaders);
