import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

/** The `extensions.code` values FitGraph clients can rely on. */
export const ErrorCode = {
  BadUserInput: 'BAD_USER_INPUT',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  RateLimited: 'RATE_LIMITED',
  Conflict: 'CONFLICT',
  Internal: 'INTERNAL_SERVER_ERROR',
  /** The gateway could not reach a subgraph (down, or its circuit breaker is open); `extensions.serviceName`. */
  SubgraphUnavailable: 'SUBGRAPH_UNAVAILABLE',
  /** A subgraph did not answer within the gateway's timeout for it; `extensions.serviceName`. */
  SubgraphTimeout: 'SUBGRAPH_TIMEOUT',
  /** The gateway loaded a new supergraph: open subscriptions end with this; subscribe again. */
  SchemaReloaded: 'SCHEMA_RELOADED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const badUserInput = (message: string, field?: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BadUserInput, ...(field ? { field } : {}) } });
export const notFound = (what: string, id?: string) =>
  new GraphQLError(id ? `${what} ${id} not found` : `${what} not found`, {
    extensions: { code: ErrorCode.NotFound },
  });
export const unauthenticated = (message = 'Sign in required') =>
  new GraphQLError(message, { extensions: { code: ErrorCode.Unauthenticated } });
export const forbidden = (message = 'Not allowed') =>
  new GraphQLError(message, { extensions: { code: ErrorCode.Forbidden } });
export const conflict = (message: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.Conflict } });
/** Too many attempts; `extensions.retryAfter`: whole seconds until an attempt may succeed again. */
export const rateLimited = (retryAfterSeconds: number, message = 'Too many attempts; try again later') =>
  new GraphQLError(message, {
    extensions: { code: ErrorCode.RateLimited, retryAfter: Math.max(1, Math.ceil(retryAfterSeconds)) },
  });

const knownCodes = new Set<string>([
  ...Object.values(ErrorCode),
  // Apollo Server's own request-level codes.
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/**
 * Apollo Server `formatError`: errors we raised on purpose pass through; anything else is
 * logged with its stack and reaches the client only as a generic INTERNAL_SERVER_ERROR.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && knownCodes.has(code) && code !== ErrorCode.Internal) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: error, path: formatted.path }, 'unexpected error in resolver');
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.Internal },
    };
  };
}
