import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { safeMessage } from './log-safety';

/** The `extensions.code` values clients can rely on. */
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
  // The gateway's trusted documents (gateway/src/trusted-documents.ts).
  'OPERATION_NOT_TRUSTED',
  // The gateway's operation limits (gateway/src/limits).
  'OPERATION_LIMIT_EXCEEDED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

export interface ErrorFormatterOptions {
  /**
   * Production masks every error without a known code as "Internal server error" and drops
   * "Did you mean …?" hints; development keeps a subgraph's message, code and `serviceName` so a
   * developer sees what failed. Default: false.
   */
  production?: boolean;
}

/** graphql-js appends schema hints to validation messages (`Did you mean "email"?`). */
const suggestionPattern = / ?Did you mean .+\?$/;

/**
 * Apollo Server `formatError` (gateway and subgraphs): errors we raised on purpose pass through;
 * anything else is logged (made safe: log-safety.ts) and, in production, reaches the client only
 * as a generic INTERNAL_SERVER_ERROR. Never a stack trace.
 */
export function createErrorFormatter(logger: Logger, options: ErrorFormatterOptions = {}) {
  const production = options.production ?? false;
  return (given: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const formatted = refusedBySubgraph(given) ?? given;
    const { stacktrace: _stacktrace, exception: _exception, response: _response, ...extensions } = formatted.extensions ?? {};
    let code = extensions.code;
    // A scalar that refused an inline literal (`date: "2026-02-30"`) said BAD_USER_INPUT; graphql-js
    // reports it as a validation failure, but the operation is fine and the value is not.
    if (code === 'GRAPHQL_VALIDATION_FAILED' && badUserInputCause(error)) code = ErrorCode.BadUserInput;
    const known = typeof code === 'string' && knownCodes.has(code) && code !== ErrorCode.Internal;
    // Development shows an unexpected error's message, but never what it echoes of the input (SQL parameters...).
    const message = production ? formatted.message.replace(suggestionPattern, '') : known ? formatted.message : safeMessage(formatted.message);
    // Errors from subgraphs were logged where they happened; log the gateway's own.
    if (!known && extensions.serviceName === undefined) logger.error({ err: error, path: formatted.path }, 'unexpected error in resolver');
    if (known || !production) {
      return { ...formatted, message, extensions: { ...extensions, code: code ?? ErrorCode.Internal } };
    }
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.Internal },
    };
  };
}

/**
 * A subgraph that refused a request with an HTTP error status (400: invalid variables, depth
 * limit...) reaches the gateway as "400: Bad Request" carrying the subgraph's response; the
 * subgraph's own first error (message and code) is what the client needs.
 */
function refusedBySubgraph(formatted: GraphQLFormattedError): GraphQLFormattedError | null {
  const response = formatted.extensions?.response as { body?: { errors?: unknown } } | undefined;
  const first = Array.isArray(response?.body?.errors) ? (response.body.errors[0] as GraphQLFormattedError | undefined) : undefined;
  if (typeof first?.message !== 'string') return null;
  return { message: first.message, path: formatted.path, extensions: { ...first.extensions } };
}

function badUserInputCause(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth += 1) {
    const original = (current as { originalError?: unknown }).originalError;
    if ((original as { extensions?: { code?: unknown } } | undefined)?.extensions?.code === ErrorCode.BadUserInput) return true;
    current = original;
  }
  return false;
}
