import type { GraphQLFormattedError } from 'graphql';
import { operationLimitCode } from './operation-limits';

type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/** graphql-js appends "Did you mean …?" to validation and coercion messages; Apollo strips it the same way. */
const suggestion = / ?Did you mean(.+?)\?$/;

/**
 * The gateway's formatter: the shared one (known codes pass, the rest is masked), plus the
 * gateway's own OPERATION_LIMIT_EXCEEDED passing as it is, and — in production, where
 * introspection is off — no "Did you mean …?" suggestions that would leak the schema.
 * One formatter for HTTP, graphql-ws, SSE and per-event subscription results.
 */
export function gatewayErrorFormatter(base: ErrorFormatter, options: { hideSchemaDetails: boolean }): ErrorFormatter {
  return (formatted, error) => {
    const result =
      formatted.extensions?.code === operationLimitCode
        ? { message: formatted.message, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions: withoutStacktrace(formatted.extensions) }
        : base(formatted, error);
    return options.hideSchemaDetails ? { ...result, message: result.message.replace(suggestion, '') } : result;
  };
}

function withoutStacktrace(extensions: GraphQLFormattedError['extensions']): Record<string, unknown> {
  const { stacktrace: _stacktrace, ...rest } = extensions ?? {};
  return rest;
}
