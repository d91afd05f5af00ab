import type { IncomingMessage } from 'node:http';
import type { Viewer } from '@fitgraph/platform';
import { clientAddress, proxyTrust } from '@fitgraph/service-kit';

/**
 * Who a client subscription runs as. Upstream connections, upstream streams and per-event
 * executions are shared only between subscriptions of the same identity, because subgraphs
 * authorize (and may shape data) per viewer. The key is the verified viewer (user, role,
 * session), not the token text, so a client that refreshes its token keeps sharing.
 */
export interface Identity {
  key: string;
  /** `Bearer <token>` as the client sent it; forwarded upstream. */
  authorization: string | null;
  viewer: Viewer | null;
}

export const identityOf = (authorization: string | null, viewer: Viewer | null): Identity => ({
  key: viewer ? `${viewer.id}/${viewer.role}/${viewer.sessionId}` : 'anonymous',
  authorization: viewer ? authorization : null,
  viewer,
});

/** One client connection (a WebSocket, or an SSE stream), for per-connection limits. */
export interface ClientSession {
  transport: 'ws' | 'sse';
  identity: Identity;
  /** Subscriptions open on this connection now. */
  subscriptions: number;
  /** The client's address (`ClientAddresses.of`), for per-IP caps and the rate limits of anonymous clients. */
  clientIp: string;
}

/**
 * Where a request comes from, the one rule for every transport (HTTP, the WebSocket upgrade, SSE)
 * and every per-IP count (connection caps, subscriptions per IP, the anonymous rate budget): the
 * TCP peer, or the nearest `x-forwarded-for` entry not written by a trusted proxy. Express's
 * `trust proxy` is set from the same `trust`, so `req.ip` agrees.
 */
export interface ClientAddresses {
  trust: (address: string, hop: number) => boolean;
  of(req: IncomingMessage): string;
}

export function clientAddresses(trustedProxies: string[]): ClientAddresses {
  const trust = proxyTrust(trustedProxies);
  return { trust, of: (req) => clientAddress(req, trust) ?? 'unknown' };
}
