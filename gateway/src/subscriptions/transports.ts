import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { RevocationList, TokenVerifier, Viewer } from '@fitgraph/service-kit';
import {
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { Request as SseRequest } from 'graphql-sse';
import { createHandler } from 'graphql-sse/lib/use/http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { CloseCode } from './close-codes';
import type { SubscriptionEngine } from './engine';
import { identityOf, type ClientSession, type Identity } from './identity';

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
  verifier: TokenVerifier;
  /** Revoked sessions: connections of a session revoked while open are ended. */
  revocations: RevocationList;
  /** Runs a query or mutation through Apollo Server (same pipeline as HTTP); formatted result. */
  executeOperation(session: ClientSession, request: OperationRequest): Promise<FormattedExecutionResult>;
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
}

type OperationContext = {
  session: ClientSession;
  query: string;
};

type Prepared = { document: DocumentNode; operationName: string | undefined; variables: Record<string, unknown> | undefined };

const withCode = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } });

/** Parses and validates once for both transports; errors carry Apollo's codes. */
function prepareOperation(schema: GraphQLSchema, request: Partial<OperationRequest>): Prepared | GraphQLError[] {
  if (typeof request.query !== 'string' || request.query.trim() === '') {
    return [new GraphQLError('Missing query', { extensions: { code: 'BAD_REQUEST' } })];
  }
  let document: DocumentNode;
  try {
    document = parse(request.query);
  } catch (error) {
    return [withCode(error instanceof GraphQLError ? error : new GraphQLError(String(error)), 'GRAPHQL_PARSE_FAILED')];
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
  const operationName = request.operationName ?? undefined;
  if (!getOperationAST(document, operationName)) {
    return [new GraphQLError('Unable to identify the operation to run', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
  }
  return { document, operationName, variables: request.variables ?? undefined };
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
    subscribe: (args: ExecutionArgs) =>
      engine.subscribe((args.contextValue as OperationContext).session, { document: args.document, ...request(args) }) as
        | AsyncGenerator<ExecutionResult>
        | ExecutionResult,
  };
}

const textParam = (params: Record<string, unknown> | undefined, key: string): string | null =>
  typeof params?.[key] === 'string' ? (params[key] as string) : null;

/** Longest delay setTimeout takes; a later expiry is simply not scheduled (tokens live minutes). */
const maxTimerMs = 2 ** 31 - 1;

/** Calls `onExpiry` when the viewer's access token expires; returns a cancel. */
function whenExpired(viewer: Viewer | null, onExpiry: () => void): () => void {
  if (!viewer?.expiresAt) return () => {};
  const delay = viewer.expiresAt * 1000 - Date.now();
  if (delay > maxTimerMs) return () => {};
  const timer = setTimeout(onExpiry, Math.max(0, delay));
  timer.unref();
  return () => clearTimeout(timer);
}

const newSession = (
  transport: ClientSession['transport'],
  identity: Identity,
  requestId: string | null,
  clientIp: string | null = null,
): ClientSession => ({
  id: randomUUID(),
  transport,
  identity,
  clientIp,
  subscriptions: 0,
  requestId: requestId && /^[\w.:-]{1,128}$/.test(requestId) ? requestId : randomUUID(),
});

export interface WebSocketTransport {
  /** Open client sockets. */
  connections(): number;
  /** Closes every client socket with 1001 (Going away) and stops accepting new ones. */
  dispose(): Promise<void>;
}

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
    /** Asked before each operation a client starts (rate limits): an error refuses it. */
    admit?(session: ClientSession): Promise<GraphQLError | null>;
  },
): WebSocketTransport {
  const { apiSchema, verifier } = options;
  const runner = operationRunner(options);
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path });
  // Authenticated sockets: a socket whose session is revoked, or whose token expires, is closed (4401).
  const authenticated = new Map<{ close(code: number, reason: string): void }, Viewer>();
  // The list records a revocation before telling its listeners, so asking it is enough.
  const stopListening = options.revocations.onRevoked(() => {
    for (const [socket, viewer] of authenticated) {
      if (options.revocations.isRevoked(viewer)) socket.close(CloseCode.Unauthorized, 'Session revoked');
    }
  });
  const server = useServer<Record<string, unknown> | undefined, { session?: ClientSession }>(
    {
      onConnect: async (ctx) => {
        const params = ctx.connectionParams;
        const authorization = textParam(params, 'authorization') ?? textParam(params, 'Authorization');
        try {
          const viewer = await verifier.viewerFromAuthorization(authorization);
          const header = ctx.extra.request.headers['x-request-id'];
          ctx.extra.session = newSession(
            'ws',
            identityOf(authorization, viewer),
            textParam(params, 'requestId') ?? (typeof header === 'string' ? header : null),
            ctx.extra.request.socket.remoteAddress ?? null,
          );
          if (viewer) {
            const socket = ctx.extra.socket;
            authenticated.set(socket, viewer);
            const cancel = whenExpired(viewer, () => socket.close(CloseCode.Unauthorized, 'Access token expired'));
            socket.once('close', () => {
              cancel();
              authenticated.delete(socket);
            });
          }
          return true;
        } catch {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Invalid access token');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const refused = await options.admit?.(ctx.extra.session!);
        if (refused) return [refused];
        const prepared = prepareOperation(apiSchema(), payload);
        if (Array.isArray(prepared)) return prepared;
        return runner.executionArgs(prepared, { session: ctx.extra.session!, query: payload.query });
      },
      execute: runner.execute,
      subscribe: runner.subscribe,
      // Results are formatted already (plain JSON): send them as they are.
      onNext: (_ctx, _id, _payload, _args, result) => result,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => options.formatError(error.toJSON(), error)),
    },
    wss,
    options.keepAliveMs,
  );
  return {
    connections: () => wss.clients.size,
    dispose: async () => {
      stopListening();
      await server.dispose();
    },
  };
}

export interface SseTransport {
  /** Whether a request on the GraphQL path is for graphql-sse (event stream or stream reservation). */
  accepts(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Open event streams. */
  connections(): number;
  /** Ends every open event stream (clients reconnect elsewhere). */
  dispose(): void;
}

const tokenHeader = 'x-graphql-event-stream-token';

/**
 * graphql-sse on the same path: distinct-connections mode (one POST with `Accept:
 * text/event-stream` per operation) and single-connection mode (PUT reserves a stream, GET
 * with the token listens, POSTs with the token add operations). The `Authorization` header is
 * verified on every request; a bad token answers 401 before any stream opens.
 */
export function serveSse(options: TransportOptions): SseTransport {
  const { apiSchema, verifier } = options;
  const runner = operationRunner(options);
  // Open event streams and the request that opened them (its identity is in `identities`).
  const open = new Map<ServerResponse, IncomingMessage>();
  const responses = new WeakMap<IncomingMessage, ServerResponse>();
  // Single-connection mode: one session per stream token, for the per-connection limit.
  const sessions = new Map<string, ClientSession>();
  const identities = new WeakMap<IncomingMessage, Identity>();

  const streamToken = (req: SseRequest<IncomingMessage, unknown>): string | null =>
    req.headers.get(tokenHeader) || new URL(req.url, 'http://localhost/').searchParams.get('token') || null;

  const sessionFor = (req: SseRequest<IncomingMessage, unknown>): ClientSession => {
    const identity = identities.get(req.raw)!;
    const requestId = req.headers.get('x-request-id') ?? null;
    const token = streamToken(req);
    if (!token) return newSession('sse', identity, requestId);
    let session = sessions.get(token);
    if (!session) {
      session = newSession('sse', identity, requestId);
      sessions.set(token, session);
    }
    return session;
  };

  /**
   * Ends a stream whose identity is no longer valid. A distinct-connection stream (one operation,
   * no stream token) gets a last `next` with the UNAUTHENTICATED error and `complete`; a
   * single-connection stream just ends (its client's reconnect then gets 401).
   */
  const endUnauthenticated = (res: ServerResponse, req: IncomingMessage, reason: string) => {
    if (res.writableEnded) return;
    const distinct = typeof req.headers[tokenHeader] !== 'string' && !new URL(req.url ?? '/', 'http://localhost/').searchParams.has('token');
    if (distinct && res.headersSent && res.statusCode === 200) {
      const error = { message: `Invalid access token: ${reason}`, extensions: { code: 'UNAUTHENTICATED' } };
      res.write(`event: next\ndata: ${JSON.stringify({ errors: [error] })}\n\nevent: complete\ndata:\n\n`);
    }
    res.end();
  };
  const stopListening = options.revocations.onRevoked(() => {
    for (const [res, req] of open) {
      const viewer = identities.get(req)?.viewer;
      if (viewer && options.revocations.isRevoked(viewer)) endUnauthenticated(res, req, 'session revoked');
    }
  });

  const handler = createHandler<OperationContext | undefined>({
    schema: () => apiSchema(),
    // prepareOperation validated already.
    validate: () => [],
    authenticate: async (req) => {
      const authorization = req.headers.get('authorization') ?? null;
      try {
        const viewer = await verifier.viewerFromAuthorization(authorization);
        identities.set(req.raw, identityOf(authorization, viewer));
        const res = responses.get(req.raw);
        if (res && viewer) {
          const cancel = whenExpired(viewer, () => endUnauthenticated(res, req.raw, 'expired'));
          res.once('close', cancel);
        }
      } catch (error) {
        return [
          JSON.stringify({
            errors: [{ message: error instanceof Error ? error.message : 'Invalid access token', extensions: { code: 'UNAUTHENTICATED' } }],
          }),
          { status: 401, statusText: 'Unauthorized', headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' } },
        ];
      }
      return streamToken(req) ?? randomUUID();
    },
    onSubscribe: (req, params) => {
      const prepared = prepareOperation(apiSchema(), params);
      if (Array.isArray(prepared)) {
        return { errors: prepared.map((error) => options.formatError(error.toJSON(), error)) } as unknown as ExecutionResult;
      }
      return runner.executionArgs(prepared, { session: sessionFor(req), query: params.query });
    },
    execute: runner.execute,
    subscribe: runner.subscribe,
    onComplete: (ctx, req) => {
      const token = streamToken(req);
      if (token && ctx?.session.subscriptions === 0 && sessions.get(token) === ctx.session) sessions.delete(token);
    },
  });

  return {
    accepts: (req) =>
      req.headers.accept === 'text/event-stream' ||
      req.method === 'PUT' ||
      req.method === 'DELETE' ||
      typeof req.headers[tokenHeader] === 'string',
    handle: async (req, res) => {
      open.set(res, req);
      responses.set(req, res);
      res.once('close', () => open.delete(res));
      await handler(req, res);
    },
    connections: () => open.size,
    dispose: () => {
      stopListening();
      for (const res of open.keys()) res.end();
      open.clear();
    },
  };
}
