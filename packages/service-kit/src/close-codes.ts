import { CloseCode as ProtocolCloseCode } from 'graphql-ws';

/**
 * WebSocket close codes, one enum for both ends of every socket (client -> edge, edge ->
 * service). The 44xx/45xx ones are the graphql-transport-ws protocol's own (re-exported so the
 * numbers live in one place); 1001 is RFC 6455's "going away".
 */
export const CloseCode = {
  /** Graceful shutdown: reconnect to another replica. */
  GoingAway: 1001,
  /** `connection_init` carried an invalid or expired access token, or the session ended while open (edge -> client). */
  Unauthorized: ProtocolCloseCode.Unauthorized,
  /** The connection's identity was refused or revoked (service -> edge). */
  Forbidden: ProtocolCloseCode.Forbidden,
  BadRequest: ProtocolCloseCode.BadRequest,
  InternalServerError: ProtocolCloseCode.InternalServerError,
  /** No `connection_init` within the protocol's wait time. */
  ConnectionInitialisationTimeout: ProtocolCloseCode.ConnectionInitialisationTimeout,
  /**
   * The client already holds its maximum of open connections (per IP or per user). Not fatal
   * for graphql-ws clients: they retry with backoff.
   */
  TooManyConnections: 4029,
  SubprotocolNotAcceptable: ProtocolCloseCode.SubprotocolNotAcceptable,
  SubscriberAlreadyExists: ProtocolCloseCode.SubscriberAlreadyExists,
  TooManyInitialisationRequests: ProtocolCloseCode.TooManyInitialisationRequests,
  /** graphql-ws client: the socket stopped answering (a pong timeout terminated it). */
  Terminated: 4499,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which reconnecting with the same credentials cannot succeed. */
export const fatalCloseCodes: ReadonlySet<number> = new Set([
  CloseCode.Unauthorized,
  CloseCode.Forbidden,
  CloseCode.BadRequest,
  CloseCode.InternalServerError,
  CloseCode.SubprotocolNotAcceptable,
  CloseCode.SubscriberAlreadyExists,
  CloseCode.TooManyInitialisationRequests,
]);
