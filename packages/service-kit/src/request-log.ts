import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from './logger';

/**
 * One structured log line per GraphQL operation: name, type, duration, request id and the
 * error codes it answered with. Successes log at `debug` (volume), failures at `info`.
 */
export function requestLogPlugin<TContext extends object>(
  logger: Logger,
  requestIdOf: (context: TContext) => string | undefined,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, operation, errors }) {
          const codes = (errors ?? []).map((error) => error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
          const entry = {
            requestId: requestIdOf(contextValue),
            operation: operationName ?? null,
            type: operation?.operation ?? null,
            durationMs: Math.round((performance.now() - started) * 10) / 10,
            ...(codes.length > 0 ? { errorCodes: codes } : {}),
          };
          if (codes.length > 0) logger.info(entry, 'graphql operation failed');
          else logger.debug(entry, 'graphql operation');
        },
      };
    },
  };
}
