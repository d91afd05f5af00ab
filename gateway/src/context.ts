import type { Viewer } from '@fitgraph/platform';
import type { SubgraphRequestContext } from './fetch/data-source';
import type { Identity } from './subscriptions/identity';

/** What the gateway knows of each client request; forwarded to every subgraph fetch. */
export interface GatewayContext extends SubgraphRequestContext {
  /** Verified here once per request, so a bad token fails fast with UNAUTHENTICATED. */
  viewer: Viewer | null;
}

/** The context of an operation that arrived over graphql-ws or SSE (no device key on those transports). */
export const contextOfIdentity = (identity: Identity, requestId: string): GatewayContext => ({
  requestId,
  authorization: identity.authorization,
  deviceKey: null,
  viewer: identity.viewer,
});
