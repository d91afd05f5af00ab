import type { Server } from 'node:http';
import { clientAddress, CloseCode, inputIntegrityError, type ConnectionGuard, type EdgeOptions } from '@fitgraph/service-kit';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
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

export interface SubgraphSockets {
  /** Subscriptions open now. */
  activeSubscriptions(): number;
  /** Open graphql-ws connections. */
  connections(): number;
  dispose(): Promise<void>;
}

/**
 * graphql-ws on the subgraph's HTTP server. The token (forwarded by the gateway in
 * `connection_init`) is checked once per connection, a bad one refuses it (4403) before any
 * operation; a connection whose session is revoked while open is closed (4403, Forbidden).
 */
export function serveSubgraphSockets(options: {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  guard: ConnectionGuard<Role>;
  contextFor(request: Omit<RequestInfo, 'logger'>): Promise<Record<string, unknown>>;
  /** Which peers may name the client in `x-forwarded-for` (service-kit edge.ts). */
  trust: (address: string, hop: number) => boolean;
  /** The HTTP endpoint's validation rules (the depth limit), applied here too. */
  validationRules: ValidationRule[];
  edge: EdgeOptions;
}): SubgraphSockets {
  const { guard, schema, validationRules, edge } = options;
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: maxWebSocketPayload });
  let activeSubscriptions = 0;
  const cleanup = useServer<Record<string, unknown> | undefined, { viewer?: Viewer | null }>(
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
      context: (ctx) =>
        options.contextFor({
          requestId: textParam(ctx.connectionParams, 'requestId') ?? crypto.randomUUID(),
          authorization: textParam(ctx.connectionParams, 'authorization'),
          deviceKey: null,
          clientIp: clientAddress(ctx.extra.request, options.trust),
          viewer: ctx.extra.viewer ?? null,
        }),
      // The same depth limit and input checks as HTTP (Apollo Server's pipeline does not run here).
      onSubscribe: (_ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(schema, document, [...specifiedRules, ...validationRules]);
        if (errors.length > 0) return errors;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Unable to identify the operation to run', { extensions: { code: 'BAD_REQUEST' } })];
        const refused = inputIntegrityError(schema, document, operation, payload.variables, edge);
        if (refused) return [refused];
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      // Counts streams that really opened, until they end by any route (complete, error, close).
      onOperation: (_ctx, _id, _payload, _args, result) => {
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
