/**
 * The one admission of every operation, whatever transport brings it (HTTP POST and GET,
 * graphql-ws, SSE), in one order: trusted documents, operation limits (service-kit
 * `createOperationGuard`), GraphQL validation, operation resolution, then the client's rate
 * budget. Transports only turn their input into `OperationParams`, an admitted operation into
 * their own execution and a refusal into their own answer; none of them checks anything itself.
 * Every refusal is a GraphQLError with `extensions.code`.
 */
import type { OperationGuard } from '@fitgraph/service-kit';
import { getOperationAST, GraphQLError, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { rateLimitRefusal, type GatewayRateLimiter, type RateLimitDecision, type RateLimitSubject } from '../rate-limit';
import type { TrustedDocuments } from '../trusted-documents';

/** A GraphQL request as any transport carries it (GraphQL over HTTP, graphql-ws, graphql-sse), not yet checked. */
export interface OperationParams {
  query?: unknown;
  /** A trusted document's id (GraphQL-over-HTTP persisted documents). */
  documentId?: unknown;
  operationName?: unknown;
  variables?: unknown;
  /** `persistedQuery.sha256Hash` names a trusted document too (Apollo's persisted queries). */
  extensions?: unknown;
}

export interface AdmittedOperation {
  admitted: true;
  /** The text that runs: the request's own, or the trusted document its id names. */
  query: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  /** The client's budget after this operation (HTTP sends it as `RateLimit-*`); null without rate limits. */
  rateLimit: RateLimitDecision | null;
}

export interface RefusedOperation {
  admitted: false;
  /** The HTTP status a transport with statuses answers with: 429 beyond the rate budget, 400 otherwise. */
  status: 400 | 429;
  errors: GraphQLError[];
  rateLimit: RateLimitDecision | null;
}

export type Admission = AdmittedOperation | RefusedOperation;

export interface AdmissionOptions {
  trustedDocuments: TrustedDocuments;
  guard: OperationGuard;
  /** The API schema operations are validated against (read per operation: the supergraph may be reloaded). */
  apiSchema(): GraphQLSchema;
  /** Per-client budgets; none when null. */
  rateLimiter: GatewayRateLimiter | null;
  /** Told of every refusal, with the seconds it took (metrics: Apollo never sees these operations). */
  onRefused?(refusal: RefusedOperation, seconds: number): void;
}

export interface OperationAdmission {
  /** Checks one operation of `subject`; an admitted one has drawn on the subject's budget. */
  admit(params: OperationParams, subject: RateLimitSubject): Promise<Admission>;
}

const badRequest = (message: string, code = 'BAD_REQUEST') => new GraphQLError(message, { extensions: { code } });

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Apollo's codes for what graphql-js reports without one. */
const withCode = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });

/** Why `getOperationAST` found no operation to run. */
function unresolvable(operationName: string | undefined): GraphQLError {
  const message =
    operationName !== undefined
      ? `Unknown operation named "${operationName}"`
      : 'The document has several operations: send operationName to say which one to run';
  return badRequest(message, 'OPERATION_RESOLUTION_FAILURE');
}

export function createAdmission(options: AdmissionOptions): OperationAdmission {
  const { trustedDocuments, guard, rateLimiter } = options;
  // The guard hands back one document per query text it remembers, so validation is remembered
  // per document (and schema: a reloaded supergraph validates afresh).
  const validated = new WeakMap<DocumentNode, { schema: GraphQLSchema; errors: readonly GraphQLError[] }>();
  const validationErrors = (schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] => {
    const known = validated.get(document);
    if (known?.schema === schema) return known.errors;
    const errors = validate(schema, document).map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
    validated.set(document, { schema, errors });
    return errors;
  };
  const refuse = (errors: GraphQLError[], status: 400 | 429 = 400, rateLimit: RateLimitDecision | null = null): RefusedOperation => ({
    admitted: false,
    status,
    errors,
    rateLimit,
  });

  const admit = async (params: OperationParams, subject: RateLimitSubject): Promise<Admission> => {
    if (params.query != null && typeof params.query !== 'string') return refuse([badRequest('query must be a string')]);
    if (params.operationName != null && typeof params.operationName !== 'string') return refuse([badRequest('operationName must be a string')]);
    if (params.variables != null && !isObject(params.variables)) return refuse([badRequest('variables must be a JSON object')]);
    if (params.extensions != null && !isObject(params.extensions)) return refuse([badRequest('extensions must be a JSON object')]);

    const trusted = trustedDocuments.resolve(params);
    if ('error' in trusted) return refuse([trusted.error]);
    const query = trusted.query;
    if (query === undefined || query.trim() === '') {
      // An id this gateway does not know (outside production, where unknown ids are not refused
      // as untrusted): Apollo's persisted-query clients resend with the text on this code.
      const named = params.documentId != null || (isObject(params.extensions) && params.extensions.persistedQuery != null);
      return refuse([named ? badRequest('PersistedQueryNotFound', 'PERSISTED_QUERY_NOT_FOUND') : badRequest('Missing query: send query, or the documentId of a trusted document')]);
    }
    const operationName = (params.operationName as string | null | undefined) ?? undefined;
    const variables = (params.variables as Record<string, unknown> | null | undefined) ?? undefined;

    const checked = guard.check({ query, operationName, variables });
    if ('errors' in checked) return refuse(checked.errors);
    const { document } = checked;

    const invalid = validationErrors(options.apiSchema(), document);
    if (invalid.length > 0) return refuse([...invalid]);

    const operation = getOperationAST(document, operationName);
    if (!operation) return refuse([unresolvable(operationName)]);

    const rateLimit = rateLimiter ? await rateLimiter.consume(subject) : null;
    if (rateLimit?.limited) return refuse([rateLimitRefusal(rateLimit)], 429, rateLimit);
    return { admitted: true, query, document, operation, operationName, variables, rateLimit };
  };
  return {
    admit: async (params, subject) => {
      const started = performance.now();
      const admission = await admit(params, subject);
      if (!admission.admitted) options.onRefused?.(admission, (performance.now() - started) / 1000);
      return admission;
    },
  };
}
