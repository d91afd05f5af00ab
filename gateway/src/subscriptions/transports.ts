import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Role, Viewer } from '@fitgraph/platform';
import { CloseCode, type ConnectionGuard } from '@fitgraph/service-kit';
import type {
  ExecutionArgs,
  ExecutionResult,
  FormattedExecutionResult,
  GraphQLError,
  GraphQLFormattedError,
  GraphQLSchema,
} from 'graphql';
import type { AdmittedOperation, OperationAdmission, OperationParams } from '../admission';
import type { ConnectionCaps } from '../limits/connection-caps';
import { setRateLimitHeaders } from '../rate-limit';
import type { FrameTarget } from './delivery';
import type { SubscriptionEngine } from './engine';
import { createSseHandler } from './sse-http';
import { identityOf, type ClientAddresses, type ClientSession, type Identity } from './identity';
import { serveGraphqlWs, type GraphqlWsServer } from './websocket-server';

/** A query or mutation arriving over graphql-ws or SSE; the gateway runs it like an HTTP one. */
export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface TransportOptions {
  /** The API schema operations are validated against (the current one: the supergraph may be reloaded). */
  apiSchema(): GraphQLSchema;
  engine: SubscriptionEngine;
  /** Verifies each connection's token and ends it when its session is revoked or its token expires. */
  connectionGuard: ConnectionGuard<Role>;
  /** Runs a query or mutation through Apollo Server (same pipeline as HTTP); formatted result. */
  executeOperation(session: ClientSession, request: OperationRequest): Promise<FormattedExecutionResult>;
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  /** What every operation passes first (admission/index.ts), the same as over HTTP. */
  admission: OperationAdmission;
  /** The client's address of a request or WebSocket upgrade, the same as over HTTP. */
  clientAddresses: ClientAddresses;
  /** Open connections per client IP and per user, shared by both transports. */
  connectionCaps: ConnectionCaps;
}

type OperationContext = {
  session: ClientSession;
  query: string;
  /** graphql-ws: where delivery writes this subscription's `next` messages. */
  frames?: FrameTarget;
};


/** What both transports do with an admitted operation: the same execution args, execute and subscribe. */
function operationRunner({ apiSchema, engine, executeOperation }: TransportOptions) {
  const request = (args: ExecutionArgs) => ({
    operationName: args.operationName ?? undefined,
    variables: args.variableValues as Record<string, unknown> | undefined,
  });
  return {
    executionArgs: (admitted: AdmittedOperation, contextValue: OperationContext) => ({
      schema: apiSchema(),
      // The guard hands back one parsed document per remembered query text, so 10,000 subscribers
      // of one operation share one document (graphql-ws keeps it while each subscription lives).
      document: admitted.document,
      operationName: admitted.operationName,
      variableValues: admitted.variables,
      contextValue,
    }),
    execute: async (args: ExecutionArgs) => {
      const { session, query } = args.contextValue as OperationContext;
      return (await executeOperation(session, { query, ...request(args) })) as ExecutionResult;
    },
    subscribe: (args: ExecutionArgs) => {
      const { session, frames } = args.contextValue as OperationContext;
      return engine.subscribe(session, { document: args.document, ...request(args) }, frames) as AsyncGenerator<ExecutionResult> | ExecutionResult;
    },
  };
}

const textParam = (params: Record<string, unknown> | undefined, key: string): string | null =>
  typeof params?.[key] === 'string' ? (params[key] as string) : null;

const newSession = (transport: ClientSession['transport'], identity: Identity, clientIp: string): ClientSession => ({
  transport,
  identity,
  clientIp,
  subscriptions: 0,
});

export type WebSocketTransport = GraphqlWsServer;

/**
 * graphql-ws (`graphql-transport-ws`) on the gateway's HTTP server. The token in the
 * `connection_init` payload is verified once per connection (4401 when bad); ws-level pings
 * every `keepAliveMs` terminate clients that stop answering, which ends their subscriptions
 * and, with the last one, the upstream stream.
 */
export function serveWebSocket(
  options: TransportOptions & {
    httpServer: Server;
    path: string;
    keepAliveMs: number;
    /** Largest message a client may send (ws closes the socket with 1009 beyond it). */
    maxPayloadBytes: number;
    /** Sockets that send no `connection_init` within this many ms are closed with 4408. */
    connectionInitTimeoutMs: number;
  },
): WebSocketTransport {
  const { admission, connectionGuard, connectionCaps } = options;
  const runner = operationRunner(options);
  return serveGraphqlWs({
    httpServer: options.httpServer,
    path: options.path,
    maxPayloadBytes: options.maxPayloadBytes,
    keepAliveMs: options.keepAliveMs,
    connectionInitTimeoutMs: options.connectionInitTimeoutMs,
    clientAddressOf: options.clientAddresses.of,
    acquireIp: (clientIp) => connectionCaps.byIp.acquire(clientIp),
    protocol: {
      onConnect: async (ctx) => {
        const client = ctx.extra;
        const params = ctx.connectionParams;
        const authorization = textParam(params, 'authorization') ?? textParam(params, 'Authorization');
        try {
          const viewer = await connectionGuard.authenticate(authorization);
          client.session = newSession('ws', identityOf(authorization, viewer), client.clientIp);
          if (viewer) {
            const release = connectionCaps.byUser.acquire(viewer.id);
            if (!release) {
              client.close(CloseCode.TooManyConnections, 'Too many connections for this user');
              return false;
            }
            // The socket may have closed while the token was being verified.
            if (client.socket.readyState !== client.socket.OPEN) return (release(), false);
            // A socket whose session is revoked, or whose token expires, is closed (4401).
            const unwatch = connectionGuard.watch(
              viewer,
              (reason) => client.close(CloseCode.Unauthorized, reason === 'expired' ? 'Access token expired' : 'Session revoked'),
              { expiry: true },
            );
            client.onClose = () => {
              release();
              unwatch();
            };
          }
          return true;
        } catch {
          client.close(CloseCode.Unauthorized, 'Invalid access token');
          return false;
        }
      },
      onSubscribe: async (ctx, id, message) => {
        const session = ctx.extra.session!;
        const admitted = await admission.admit(message as OperationParams, { viewer: session.identity.viewer, clientIp: session.clientIp });
        if (!admitted.admitted) return admitted.errors;
        // Delivery writes this subscription's `next` messages to the socket itself (delivery.ts).
        return runner.executionArgs(admitted, { session, query: admitted.query, frames: { connection: ctx.extra, id } });
      },
      execute: runner.execute,
      subscribe: runner.subscribe,
      // Results are formatted already (plain JSON): send them as they are (queries; subscriptions' `next` messages are
      // written by delivery).
      onNext: (_ctx, _id, _payload, _args, result) => result,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => options.formatError(error.toJSON(), error)),
    },
  });
}

export interface SseTransport {
  /** Whether a request on the GraphQL path is for graphql-sse (an event stream, or the single-connection mode it refuses). */
  accepts(req: IncomingMessage): boolean;
  /**
   * Serves one request. `readBody` reads the request body within the size limit (rejecting
   * beyond it); it runs only after the single-connection and per-IP checks passed.
   */
  handle(req: IncomingMessage, res: ServerResponse, readBody: () => Promise<string | null>): Promise<void>;
  /** Open event streams. */
  connections(): number;
  /** Ends every open event stream (clients reconnect elsewhere). */
  dispose(): void;
}

/** graphql-sse's single-connection mode: a stream token in a header or the URL. */
const tokenHeader = 'x-graphql-event-stream-token';
const singleConnectionRequest = (req: IncomingMessage): boolean =>
  req.method === 'PUT' ||
  req.method === 'DELETE' ||
  typeof req.headers[tokenHeader] === 'string' ||
  new URL(req.url ?? '/', 'http://localhost/').searchParams.has('token');

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
};

/**
 * graphql-sse on the same path, in distinct-connections mode: one POST (or GET) with `Accept:
 * text/event-stream` per operation. Before any stream opens, the request is checked here, in
 * order: the per-IP connection cap, the body size, the `Authorization` header (401 when bad), the
 * per-user cap (429), then the operation's admission (the same as over HTTP and graphql-ws,
 * trusted ids included). graphql-sse only streams what was admitted. A client beyond its rate
 * budget is answered 429 with `Retry-After`, as over HTTP; an operation the admission refuses
 * otherwise is answered as graphql-sse answers its own validation errors in this mode: a stream
 * of one `next` with the coded errors, then `complete`, which EventSource and graphql-sse
 * clients can read (a 4xx body is lost to them). Single-connection mode (PUT reserves a stream that
 * buffers events until a GET listens) is refused: its reservations never expire and buffer
 * without bound inside graphql-sse.
 */
export function serveSse(options: TransportOptions): SseTransport {
  const { admission, connectionGuard, connectionCaps, clientAddresses } = options;
  const runner = operationRunner(options);
  // Open event streams.
  const open = new Set<ServerResponse>();
  type Decided = { admitted: AdmittedOperation; session: ClientSession } | { errors: readonly GraphQLError[] };

  /** Ends a stream whose identity is no longer valid: a last `next` with UNAUTHENTICATED, then `complete`. */
  const endUnauthenticated = (res: ServerResponse, reason: string) => {
    if (res.writableEnded) return;
    if (res.headersSent && res.statusCode === 200) {
      const error = { message: `Invalid access token: ${reason}`, extensions: { code: 'UNAUTHENTICATED' } };
      res.write(`event: next\ndata: ${JSON.stringify({ errors: [error] })}\n\nevent: complete\ndata:\n\n`);
    }
    res.end();
  };
  const formatted = (errors: readonly GraphQLError[]) => errors.map((error) => options.formatError(error.toJSON(), error));

  const handler = createSseHandler<OperationContext, Decided>({
    schema: () => options.apiSchema(),
    // The admission validated already.
    validate: () => [],
    // The connection was authenticated before the handler runs; distinct connections need no token.
    authenticate: () => randomUUID(),
    onSubscribe: (req) => {
      const { decided } = req.context;
      // `data: null` makes graphql-sse stream the errors (codes intact) instead of answering 400 without them.
      if ('errors' in decided) return { data: null, errors: formatted(decided.errors) } as unknown as ExecutionResult;
      return runner.executionArgs(decided.admitted, { session: decided.session, query: decided.admitted.query });
    },
    execute: runner.execute,
    subscribe: runner.subscribe,
  });

  return {
    accepts: (req) => req.headers.accept === 'text/event-stream' || singleConnectionRequest(req),
    handle: async (req, res, readBody) => {
      if (singleConnectionRequest(req)) {
        const message = 'graphql-sse single-connection mode is not supported: send each operation as its own POST with Accept: text/event-stream';
        sendJson(res, 405, { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }, { allow: 'GET, POST' });
        return;
      }
      const clientIp = clientAddresses.of(req);
      const releaseIp = connectionCaps.byIp.acquire(clientIp);
      if (!releaseIp) {
        sendJson(res, 429, { errors: [connectionCaps.refusal('ip')] }, { connection: 'close' });
        return;
      }
      res.once('close', releaseIp);
      const body = await readBody();
      const params = sseParams(req, body);
      if ('status' in params) {
        sendJson(res, params.status, { errors: [{ message: params.message, extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }

      const authorization = req.headers.authorization ?? null;
      let viewer: Viewer | null;
      try {
        viewer = await connectionGuard.authenticate(authorization);
      } catch (error) {
        const message = error instanceof Error ? error.message : 'Invalid access token';
        sendJson(res, 401, { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }, { 'www-authenticate': 'Bearer' });
        return;
      }
      if (viewer) {
        const releaseUser = connectionCaps.byUser.acquire(viewer.id);
        if (!releaseUser) {
          sendJson(res, 429, { errors: [connectionCaps.refusal('user')] });
          return;
        }
        res.once('close', releaseUser);
      }

      const session = newSession('sse', identityOf(authorization, viewer), clientIp);
      const admitted = await admission.admit(params, { viewer, clientIp });
      if (admitted.rateLimit) setRateLimitHeaders(res, admitted.rateLimit);
      if (!admitted.admitted && admitted.status === 429) {
        // Beyond the client's budget: 429 and Retry-After before any stream opens, as over HTTP.
        const retryAfter = String(admitted.errors[0]?.extensions.retryAfter ?? 1);
        sendJson(res, 429, { errors: formatted(admitted.errors) }, { 'retry-after': retryAfter });
        return;
      }
      if (viewer && admitted.admitted) {
        const unwatch = connectionGuard.watch(viewer, (reason) => endUnauthenticated(res, reason === 'expired' ? 'expired' : 'session revoked'), {
          expiry: true,
        });
        res.once('close', unwatch);
      }
      open.add(res);
      res.once('close', () => open.delete(res));
      if (admitted.admitted) {
        const { query, operationName, variables } = admitted;
        await handler(req, res, { query, operationName, variables }, { admitted, session });
      } else {
        await handler(req, res, { query: '' }, { errors: admitted.errors });
      }
    },
    connections: () => open.size,
    dispose: () => {
      for (const res of open) res.end();
      open.clear();
    },
  };
}

/** The operation of an SSE request: GET parameters or a JSON POST body (documentId included, which graphql-sse itself drops). */
function sseParams(req: IncomingMessage, body: string | null): OperationParams | { status: 400 | 415; message: string } {
  if (req.method === 'GET') {
    const search = new URL(req.url ?? '/', 'http://gateway.invalid').searchParams;
    const json = (name: string): unknown => {
      const text = search.get(name);
      if (text === null) return undefined;
      try {
        return JSON.parse(text);
      } catch {
        return text; // refused by the admission as a value of the wrong kind
      }
    };
    return {
      query: search.get('query') ?? undefined,
      documentId: search.get('documentId') ?? undefined,
      operationName: search.get('operationName') ?? undefined,
      variables: json('variables'),
      extensions: json('extensions'),
    };
  }
  if (req.method !== 'POST' || !req.headers['content-type']?.includes('application/json')) {
    return { status: 415, message: 'Send the operation as GET parameters or a JSON POST body (content-type: application/json)' };
  }
  try {
    const data: unknown = JSON.parse(body ?? '');
    if (data && typeof data === 'object' && !Array.isArray(data)) return data as OperationParams;
  } catch {
    // answered below
  }
  return { status: 400, message: 'The request body must be a JSON object' };
}
