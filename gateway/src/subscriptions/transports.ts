import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Role, Viewer } from '@fitgraph/platform';
import { CloseCode, type ConnectionGuard } from '@fitgraph/service-kit';
import {
  getOperationAST,
  GraphQLError,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { ConnectionCaps } from '../limits/connection-caps';
import type { OperationGuard } from '@fitgraph/service-kit';
import type { FrameTarget } from './delivery';
import type { SubscriptionEngine } from './engine';
import { createSseHandler } from './sse-http';
import { identityOf, peerAddress, type ClientSession, type Identity } from './identity';
import type { TrustedDocuments } from '../trusted-documents';
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
  /** Which documents may run (the same rule as HTTP); a known id's document replaces `query`. */
  trustedDocuments: TrustedDocuments;
  /** Operation limits (size, tokens, depth, aliases, root fields, cost), the same as for HTTP. */
  guard: OperationGuard;
  /** Open connections per client IP and per user, shared by both transports. */
  connectionCaps: ConnectionCaps;
}

type OperationContext = {
  session: ClientSession;
  query: string;
  /** graphql-ws: where delivery writes this subscription's `next` messages. */
  frames?: FrameTarget;
};

/**
 * Identical operation texts share one parsed document (the newest `sharedDocumentsMax` texts): graphql-ws
 * keeps each subscription's document (its operation node) while the subscription lives, ~9 KiB with the
 * tokens, so 10,000 subscribers of one operation would hold 10,000 equal copies. The limits and
 * validation still run on each request's own text.
 */
const sharedDocuments = new Map<string, DocumentNode>();
const sharedDocumentsMax = 500;
function sharedDocument(query: string, document: DocumentNode): DocumentNode {
  const shared = sharedDocuments.get(query);
  if (shared) return shared;
  sharedDocuments.set(query, document);
  if (sharedDocuments.size > sharedDocumentsMax) sharedDocuments.delete(sharedDocuments.keys().next().value!);
  return document;
}

type Prepared = { document: DocumentNode; operationName: string | undefined; variables: Record<string, unknown> | undefined };

const withCode = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } });

/** Checks the operation limits, then validates, once for both transports; errors carry Apollo's codes. */
function prepareOperation(schema: GraphQLSchema, guard: OperationGuard, request: Partial<OperationRequest>): Prepared | GraphQLError[] {
  if (typeof request.query !== 'string' || request.query.trim() === '') {
    return [new GraphQLError('Missing query', { extensions: { code: 'BAD_REQUEST' } })];
  }
  const checked = guard.check({ query: request.query, operationName: request.operationName, variables: request.variables });
  if ('errors' in checked) return checked.errors;
  const { document } = checked;
  const errors = validate(schema, document);
  if (errors.length > 0) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
  const operationName = request.operationName ?? undefined;
  if (!getOperationAST(document, operationName)) {
    return [new GraphQLError('Unable to identify the operation to run', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
  }
  return { document: sharedDocument(request.query, document), operationName, variables: request.variables ?? undefined };
}

/** What both transports do with a prepared operation: the same execution args, execute and subscribe. */
function operationRunner({ apiSchema, engine, executeOperation }: TransportOptions) {
  const request = (args: ExecutionArgs) => ({
    operationName: args.operationName ?? undefined,
    variables: args.variableValues as Record<string, unknown> | undefined,
  });
  return {
    executionArgs: (prepared: Prepared, contextValue: OperationContext) => ({
      schema: apiSchema(),
      document: prepared.document,
      operationName: prepared.operationName,
      variableValues: prepared.variables,
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
    /** Asked before each operation a client starts (rate limits): an error refuses it. */
    admit?(session: ClientSession): Promise<GraphQLError | null>;
  },
): WebSocketTransport {
  const { apiSchema, connectionGuard, guard, connectionCaps } = options;
  const runner = operationRunner(options);
  return serveGraphqlWs({
    httpServer: options.httpServer,
    path: options.path,
    maxPayloadBytes: options.maxPayloadBytes,
    keepAliveMs: options.keepAliveMs,
    connectionInitTimeoutMs: options.connectionInitTimeoutMs,
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
        const refused = await options.admit?.(ctx.extra.session!);
        if (refused) return [refused];
        const trusted = options.trustedDocuments.resolve(message);
        if ('error' in trusted) return [trusted.error];
        const payload = { ...message, query: trusted.query ?? '' };
        const prepared = prepareOperation(apiSchema(), guard, payload);
        if (Array.isArray(prepared)) return prepared;
        // Delivery writes this subscription's `next` messages to the socket itself (delivery.ts).
        return runner.executionArgs(prepared, { session: ctx.extra.session!, query: payload.query, frames: { connection: ctx.extra, id } });
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
 * text/event-stream` per operation. The `Authorization` header is verified on every request; a
 * bad token answers 401 before any stream opens. Single-connection mode (PUT reserves a
 * stream that buffers events until a GET listens) is refused: its reservations never expire
 * and buffer without bound inside graphql-sse.
 */
export function serveSse(options: TransportOptions): SseTransport {
  const { apiSchema, connectionGuard, guard, connectionCaps } = options;
  const runner = operationRunner(options);
  // Open event streams and the request that opened them (its identity is in `identities`).
  const open = new Map<ServerResponse, IncomingMessage>();
  const identities = new WeakMap<IncomingMessage, Identity>();

  /** Ends a stream whose identity is no longer valid: a last `next` with UNAUTHENTICATED, then `complete`. */
  const endUnauthenticated = (res: ServerResponse, reason: string) => {
    if (res.writableEnded) return;
    if (res.headersSent && res.statusCode === 200) {
      const error = { message: `Invalid access token: ${reason}`, extensions: { code: 'UNAUTHENTICATED' } };
      res.write(`event: next\ndata: ${JSON.stringify({ errors: [error] })}\n\nevent: complete\ndata:\n\n`);
    }
    res.end();
  };

  const handler = createSseHandler<OperationContext | undefined>({
    schema: () => apiSchema(),
    // prepareOperation validated already.
    validate: () => [],
    authenticate: async (req) => {
      const authorization = req.headers.get('authorization') ?? null;
      const { res } = req.context;
      let viewer: Viewer | null;
      try {
        viewer = await connectionGuard.authenticate(authorization);
      } catch (error) {
        return [
          JSON.stringify({
            errors: [{ message: error instanceof Error ? error.message : 'Invalid access token', extensions: { code: 'UNAUTHENTICATED' } }],
          }),
          { status: 401, statusText: 'Unauthorized', headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' } },
        ];
      }
      identities.set(req.raw, identityOf(authorization, viewer));
      if (viewer) {
        const release = connectionCaps.byUser.acquire(viewer.id);
        if (!release) {
          return [
            JSON.stringify({ errors: [connectionCaps.refusal('user')] }),
            { status: 429, statusText: 'Too Many Requests', headers: { 'content-type': 'application/json; charset=utf-8' } },
          ];
        }
        res.once('close', release);
        const unwatch = connectionGuard.watch(viewer, (reason) => endUnauthenticated(res, reason === 'expired' ? 'expired' : 'session revoked'), {
          expiry: true,
        });
        res.once('close', unwatch);
      }
      return randomUUID();
    },
    onSubscribe: (req, request) => {
      const trusted = options.trustedDocuments.resolve(request);
      const params = 'error' in trusted ? request : { ...request, query: trusted.query ?? '' };
      const prepared = 'error' in trusted ? [trusted.error] : prepareOperation(apiSchema(), guard, params);
      if (Array.isArray(prepared)) {
        // `data: null` makes graphql-sse stream the errors (codes intact) instead of answering 400 without them.
        return { data: null, errors: prepared.map((error) => options.formatError(error.toJSON(), error)) } as unknown as ExecutionResult;
      }
      const session = newSession('sse', identities.get(req.raw)!, peerAddress(req.raw));
      return runner.executionArgs(prepared, { session, query: params.query });
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
      const release = connectionCaps.byIp.acquire(peerAddress(req));
      if (!release) {
        sendJson(res, 429, { errors: [connectionCaps.refusal('ip')] }, { connection: 'close' });
        return;
      }
      res.once('close', release);
      const body = await readBody();
      open.set(res, req);
      res.once('close', () => open.delete(res));
      await handler(req, res, body);
    },
    connections: () => open.size,
    dispose: () => {
      for (const res of open.keys()) res.end();
      open.clear();
    },
  };
}
