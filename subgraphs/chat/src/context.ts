import { contextWithLoaders, type RequestInfo, type SubgraphContext, type SubgraphHandles } from '@fitgraph/platform';
import type * as schema from './db/schema';
import { createLoaders, type ChatLoaders } from './loaders';
import type { ChatResources } from './resources';

export type ChatContext = SubgraphContext<typeof schema, ChatLoaders> & ChatResources;

const baseContext = contextWithLoaders(createLoaders);

export const createContext = (
  deps: SubgraphHandles<typeof schema> & { resources: ChatResources },
  request: RequestInfo,
): ChatContext => ({ ...baseContext(deps, request), ...deps.resources });
