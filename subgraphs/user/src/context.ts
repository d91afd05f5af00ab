import { contextWithLoaders, type RequestInfo, type SubgraphContext, type SubgraphHandles } from '@fitgraph/platform';
import type * as schema from './db/schema';
import { createLoaders, type UserLoaders } from './loaders';
import type { AccountResources } from './resources';

export type UserContext = SubgraphContext<typeof schema, UserLoaders> & {
  /** Token signing, sessions, throttling, the event outbox: made once per server. */
  accounts: AccountResources;
  /**
   * Set by signUp/signIn/refreshSession to the user they just authenticated, so the payload's
   * `user { email }` is readable by its owner although the request itself came without a token.
   */
  authenticatedUserId: string | null;
};

const baseContext = contextWithLoaders(createLoaders);

export const createContext = (
  deps: SubgraphHandles<typeof schema> & { resources: AccountResources },
  request: RequestInfo,
): UserContext => ({ ...baseContext(deps, request), accounts: deps.resources, authenticatedUserId: null });
