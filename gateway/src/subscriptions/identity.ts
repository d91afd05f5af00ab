import type { IncomingMessage } from 'node:http';
import type { Viewer } from '@fitgraph/platform';

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
  /** The peer address of the connection, for per-IP caps and the rate limits of anonymous clients. */
  clientIp: string;
}

/** The TCP peer's address, for per-IP caps (proxies in front make this the proxy's). */
export const peerAddress = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown';
