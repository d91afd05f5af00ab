import { contextWithLoaders, type SubgraphContext } from '@fitgraph/service-kit';
import type * as schema from './db/schema';
import { createLoaders, type ChatLoaders } from './loaders';

export type ChatContext = SubgraphContext<typeof schema, ChatLoaders>;
export const createContext = contextWithLoaders(createLoaders);
