/**
 * The event executor: for one upstream event and one group of identical client operations,
 * runs the planned `Sequence[primary, rest]` with Apollo's own `executeQueryPlan`, the primary
 * fetch answered by the event, so entity fetching, result shaping and error paths are Apollo's.
 */
import { randomUUID } from 'node:crypto';
import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { Logger } from '@fitgraph/service-kit';
import { GraphQLError, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Identity } from './identity';
import type { PreparedSubscription, SubscriptionPlanner } from './planner';

type RequestContext = Parameters<typeof executeQueryPlan>[2];

export interface EventExecutorOptions {
  /** Read at each execution: a reloaded supergraph brings new ones. */
  planner: SubscriptionPlanner;
  dataSources: ServiceMap;
  /** The request context value the data sources expect (forwarded headers). */
  contextFor(identity: Identity, requestId: string): unknown;
  /** The gateway's error formatter (masks unexpected errors), applied once per execution. */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  logger: Logger;
}

/**
 * Errors from the Apollo packages may come from another copy of `graphql` (CommonJS vs ESM
 * under test runners), so `instanceof` is not reliable: recognise them by shape.
 */
export const asGraphQLError = (error: unknown): GraphQLError =>
  error && typeof error === 'object' && typeof (error as GraphQLError).toJSON === 'function' && 'extensions' in error
    ? (error as GraphQLError)
    : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : undefined });

export class EventExecutor {
  /** Per-event plan executions since start. */
  executions = 0;

  /** `options` is read at each execution (the engine swaps planner and data sources on reload). */
  constructor(private readonly options: EventExecutorOptions) {}

  /** Runs `Sequence[primary, rest]` for one event as `identity`; never rejects. */
  async execute(
    prepared: PreparedSubscription,
    variables: Record<string, unknown>,
    identity: Identity,
    event: FormattedExecutionResult,
  ): Promise<FormattedExecutionResult> {
    // Errors without data (e.g. FORBIDDEN from the subgraph's subscribe) have nothing to resolve.
    if (!event.data) return { errors: (event.errors ?? []).map((error) => this.options.formatError(error, error)) };
    this.executions += 1;
    const { primary } = prepared;
    const { dataSources, planner } = this.options;
    const real = dataSources[primary.serviceName];
    let answered = false;
    const eventSource: GraphQLDataSource = {
      process: (request) => {
        if (!answered && request.request.query === primary.operation) {
          answered = true;
          // Each execution merges entity data into its copy: groups never share (or leak) results.
          return Promise.resolve(structuredClone(event) as never);
        }
        if (!real) throw new Error(`No data source for subgraph ${primary.serviceName}`);
        return real.process(request);
      },
    };
    const requestContext = {
      request: { variables, operationName: prepared.operationName },
      document: prepared.document,
      operationName: prepared.operationName ?? null,
      context: this.options.contextFor(identity, randomUUID()),
      logger: this.options.logger,
      // The executor's error path writes into metrics.
      metrics: {},
      cache: undefined,
      overallCachePolicy: undefined,
    } as unknown as RequestContext;
    try {
      const result = await executeQueryPlan(
        prepared.eventPlan,
        { ...dataSources, [primary.serviceName]: eventSource },
        requestContext,
        prepared.operationContext,
        planner.supergraphSchema,
        planner.federationApiSchema,
      );
      return {
        data: result.data ?? null,
        ...(result.errors?.length ? { errors: result.errors.map((error) => this.format(error)) } : {}),
      };
    } catch (error) {
      return { data: null, errors: [this.format(asGraphQLError(error))] };
    }
  }

  format(error: GraphQLError): GraphQLFormattedError {
    return this.options.formatError(error.toJSON(), error);
  }
}
