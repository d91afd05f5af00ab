import type { IncomingMessage, Server } from 'node:http';
import { CloseCode, inputIntegrityError, type ConnectionGuard, type GatewayAttestation, type InputLimits, type OperationGuard } from '@fitgraph/service-kit';
import { getOperationAST, GraphQLError, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Role, Viewer } from '../auth';
import type { RequestInfo } from './definition';

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** Wraps a stream so `onClose` runs exactly once when it ends, errors or is returned early. */
function whileOpen<T>(iterable: AsyncIterable<T>, onClose: () => void): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      onClose();
    }
  };
  const wrapper: AsyncGenerator<T> = {
    [Symbol.asyncIterator]: () => wrapper,
    async next() {
      try {
        const result = await iterator.next();
        if (result.done) close();
        return result;
      } catch (error) {
        close();
        throw error;
      }
    },
    async return(value) {
      close();
      return (await iterator.return?.(value)) ?? { done: true, value };
    },
    async throw(error) {
      close();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
  };
  return wrapper;
}

/** Largest graphql-ws message a subgraph accepts (the `ws` default is 100 MiB). */
const maxWebSocketPayload = 1024 * 1024;

const textParam = (params: Record<string, unknown> | undefined, key: string): string | null =>
  typeof params?.[key] === 'string' ? (params[key] as string) : null;

/** How many subscriptions a subgraph's graphql-ws endpoint holds. */
export interface SubscriptionCaps {
  /** Operations one socket may have open at once (SUBGRAPH_SUBSCRIPTIONS_PER_SOCKET). Default: 500. */
  perSocket: number;
  /** Subscriptions over all sockets of the process (SUBGRAPH_SUBSCRIPTIONS_MAX). Default: 20000. */
  total: number;
}

export const defaultSubscriptionCaps: SubscriptionCaps = { perSocket: 500, total: 20_000 };

const tooManySubscriptions = (message: string, limit: number) => [new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', limit } })];

export interface SubgraphSockets {
  /** Subscriptions open now. */
  activeSubscriptions(): number;
  /** Open graphql-ws connections. */
  connections(): number;
  dispose(): Promise<void>;
}

/**
 * graphql-ws on the subgraph's HTTP server. The upgrade must carry the gateway's attestation
 * (refused with 403 otherwise); the token (forwarded by the gateway in `connection_init`) is
 * checked once per connection, a bad one refuses it (4403) before any operation; a connection
 * whose session is revoked while open is closed (4403, Forbidden). Each operation passes the
 * operation limits, validation and the input checks, and the subscription caps, before it runs.
 */
export function serveSubgraphSockets(options: {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  guard: ConnectionGuard<Role>;
  contextFor(request: Omit<RequestInfo, 'logger'>): Promise<Record<string, unknown>>;
  /** The gateway's attestation of an upgrade request, or null (service-kit gateway-attestation.ts). */
  attest(request: IncomingMessage): GatewayAttestation | null;
  /** The operation limits, as on HTTP. */
  operationGuard: OperationGuard;
  edge: InputLimits;
  caps: SubscriptionCaps;
}): SubgraphSockets {
  const { guard, schema, edge, caps, operationGuard } = options;
  const attestations = new WeakMap<IncomingMessage, GatewayAttestation>();
  const wsServer = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: maxWebSocketPayload,
    // Refused before the upgrade: no socket, no graphql-ws state for a caller that is not the gateway.
    verifyClient: (info, done) => {
      const attestation = options.attest(info.req);
      if (!attestation) return done(false, 403, 'Forbidden: not called through the gateway');
      attestations.set(info.req, attestation);
      done(true);
    },
  });
  let activeSubscriptions = 0;
  // Subscriptions accepted by onSubscribe whose stream has not opened yet (per socket, and in all).
  let pendingSubscriptions = 0;
  const cleanup = useServer<Record<string, unknown> | undefined, { viewer?: Viewer | null; pending?: Set<string> }>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        try {
          ctx.extra.viewer = await guard.authenticate(textParam(ctx.connectionParams, 'authorization'));
        } catch {
          return false;
        }
        if (ctx.extra.viewer) {
          const socket = ctx.extra.socket;
          // Only revocation closes here: expiry is the gateway's to enforce on its clients.
          const unwatch = guard.watch(ctx.extra.viewer, () => socket.close(CloseCode.Forbidden, 'Session revoked'));
          socket.once('close', unwatch);
        }
        return true;
      },
      onClose: (ctx) => {
        pendingSubscriptions -= ctx.extra.pending?.size ?? 0;
        ctx.extra.pending?.clear();
      },
      context: (ctx) =>
        options.contextFor({
          requestId: textParam(ctx.connectionParams, 'requestId') ?? crypto.randomUUID(),
          authorization: textParam(ctx.connectionParams, 'authorization'),
          deviceKey: null,
          clientIp: attestations.get(ctx.extra.request)?.clientIp ?? null,
          viewer: ctx.extra.viewer ?? null,
        }),
      // The same limits, validation and input checks as HTTP (Apollo Server's pipeline does not run here).
      onSubscribe: (ctx, id, payload) => {
        // graphql-ws registers the operation before this hook: the count includes it.
        const openOnSocket = Object.keys(ctx.subscriptions).length;
        if (openOnSocket > caps.perSocket) {
          return tooManySubscriptions(`Too many operations on this connection: at most ${caps.perSocket} at once`, caps.perSocket);
        }
        const checked = operationGuard.check({ query: payload.query, operationName: payload.operationName, variables: payload.variables });
        if ('errors' in checked) return checked.errors;
        const { document } = checked;
        const errors = validate(schema, document, specifiedRules);
        if (errors.length > 0) return errors;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Unable to identify the operation to run', { extensions: { code: 'BAD_REQUEST' } })];
        const refused = inputIntegrityError(schema, document, operation, payload.variables, edge);
        if (refused) return [refused];
        if (operation.operation === 'subscription') {
          if (activeSubscriptions + pendingSubscriptions >= caps.total) {
            return tooManySubscriptions(`Too many subscriptions on this service: at most ${caps.total}`, caps.total);
          }
          (ctx.extra.pending ??= new Set()).add(id);
          pendingSubscriptions += 1;
        }
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      // Counts streams that really opened, until they end by any route (complete, error, close).
      onOperation: (ctx, id, _payload, _args, result) => {
        if (ctx.extra.pending?.delete(id)) pendingSubscriptions -= 1;
        if (!isAsyncIterable(result)) return undefined;
        activeSubscriptions += 1;
        return whileOpen(result, () => {
          activeSubscriptions -= 1;
        });
      },
    },
    wsServer,
  );
  return { activeSubscriptions: () => activeSubscriptions, connections: () => wsServer.clients.size, dispose: async () => void (await cleanup.dispose()) };
}
