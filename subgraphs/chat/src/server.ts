import { startSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '@fitgraph/service-kit';
import { createContext, type ChatContext } from './context';
import * as schema from './db/schema';
import { seedChat } from './db/seed';
import { resolvers } from './resolvers';

export const chatSubgraph: SubgraphDefinition<typeof schema, ChatContext> = {
  name: 'chat',
  dbSchema: schema,
  resolvers,
  createContext,
  seed: seedChat,
};

/** Starts the chat subgraph on `options.port` (0 = a free port); used by `index.ts` and tests. */
export const createSubgraph = (options: SubgraphServerOptions<typeof schema>) => startSubgraphServer(chatSubgraph, options);

export { schema };
