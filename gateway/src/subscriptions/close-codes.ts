import { CloseCode as ProtocolCloseCode } from 'graphql-ws';

/**
 * WebSocket close codes the gateway sends to clients or reads from subgraphs. The 44xx/45xx
 * ones are the graphql-transport-ws protocol's own (re-exported so the numbers live in one
 * place); 1001 is RFC 6455's "going away".
 */
export const CloseCode = {
  /** Graceful shutdown of the gateway: reconnect to another replica. */
  GoingAway: 1001,
  /** `connection_init` carried an invalid or expired access token. */
  Unauthorized: ProtocolCloseCode.Unauthorized,
  /** A subgraph refused the forwarded identity (service-kit closes with 4403 on a bad token). */
  Forbidden: ProtocolCloseCode.Forbidden,
  BadRequest: ProtocolCloseCode.BadRequest,
  InternalServerError: ProtocolCloseCode.InternalServerError,
  /** No `connection_init` within the protocol's wait time. */
  ConnectionInitialisationTimeout: ProtocolCloseCode.ConnectionInitialisationTimeout,
  /**
   * The client already holds its maximum of open connections (per IP or per user; see
   * SUBSCRIPTIONS_CONNECTIONS_PER_*). Not fatal for graphql-ws clients: they retry with backoff.
   */
  TooManyConnections: 4029,
  /** graphql-ws client: the socket stopped answering (our pong timeout terminated it). */
  Terminated: 4499,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which reconnecting with the same credentials cannot succeed. */
export const fatalUpstreamCloseCodes: ReadonlySet<number> = new Set([
  CloseCode.Unauthorized,
  CloseCode.Forbidden,
  CloseCode.BadRequest,
  CloseCode.InternalServerError,
  ProtocolCloseCode.SubprotocolNotAcceptable,
  ProtocolCloseCode.SubscriberAlreadyExists,
  ProtocolCloseCode.TooManyInitialisationRequests,
]);
