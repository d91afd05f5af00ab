import { ErrorCode } from '@fitgraph/service-kit';
import { GraphQLError } from 'graphql';

/**
 * Errors the gateway's subgraph fetch path raises instead of the fetch's own (which the error
 * formatter would mask as INTERNAL_SERVER_ERROR). The executor puts them next to whatever the
 * other subgraphs answered, so a client sees partial data plus which subgraph is missing.
 */
export const subgraphUnavailable = (serviceName: string, reason: string) =>
  new GraphQLError(`The ${serviceName} subgraph is unavailable (${reason})`, {
    extensions: { code: ErrorCode.SubgraphUnavailable, serviceName },
  });

export const subgraphTimeout = (serviceName: string, timeoutMs: number) =>
  new GraphQLError(`The ${serviceName} subgraph did not answer within ${timeoutMs} ms`, {
    extensions: { code: ErrorCode.SubgraphTimeout, serviceName },
  });

/** Whether `error` is one of the above (by shape: Apollo may hand back another realm's GraphQLError). */
export const isSubgraphError = (error: unknown): error is GraphQLError => {
  const code = (error as GraphQLError | null)?.extensions?.code;
  return code === ErrorCode.SubgraphUnavailable || code === ErrorCode.SubgraphTimeout;
};

/** The innermost reason a fetch failed (`ECONNREFUSED`, `other side closed`, ...), for messages and logs. */
export function failureReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error && current.cause; depth += 1) current = current.cause;
  if (current && typeof current === 'object' && 'code' in current && typeof current.code === 'string') return current.code;
  return current instanceof Error ? current.message : String(current);
}
