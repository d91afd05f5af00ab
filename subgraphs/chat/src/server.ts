import { publishCommitted, startSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '@fitgraph/platform';
import { createContext, type ChatContext } from './context';
import { chatEnv } from './env';
import { forgetUser, recordCheckIn, recordUser } from './conversations';
import * as schema from './db/schema';
import { seedChat } from './db/seed';
import { createChatResources, type ChatResources } from './resources';
import { resolvers } from './resolvers';

export const chatSubgraph: SubgraphDefinition<typeof schema, ChatContext, ChatResources, typeof chatEnv> = {
  name: 'chat',
  dbSchema: schema,
  resolvers,
  settings: chatEnv,
  createResources: createChatResources,
  createContext,
  seed: seedChat,
  eventHandlers: {
    // Who may join a gym's community room: chat cannot read the gym database, so it keeps its own list.
    'gym.checked_in': (tx, payload) => recordCheckIn(tx, payload),
    // Who may be made a member (service-kit references.ts); `user.deleted` below removes them again.
    'user.created': (tx, { userId }) => recordUser(tx, userId),
    // Messages stay under the deleted-user placeholder; memberships go and open streams end after commit.
    'user.deleted': async (tx, { userId }, event, { pubsub, logger, afterCommit }) => {
      const { result, events } = await forgetUser(tx, userId);
      logger.info({ userId, eventId: event.id, ...result }, 'deleted user forgotten');
      afterCommit(() => publishCommitted(pubsub, logger, events));
    },
  },
};

/** Starts the chat subgraph on `options.port` (0 = a free port); used by `index.ts` and tests. */
export const createSubgraph = (options: SubgraphServerOptions<typeof schema, ChatResources>) => startSubgraphServer(chatSubgraph, options);

export { schema };
