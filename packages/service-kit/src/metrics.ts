/**
 * Prometheus metrics (prom-client): one registry per service, every name prefixed with the
 * application's prefix (the platform's `metricsPrefix`; `app_` below),
 * every series labelled `service` (e.g. `gateway`, `gym-subgraph`). Served on `GET /metrics`
 * next to `/graphql`, `/healthz` and `/readyz`; the process's default metrics (CPU, memory,
 * event-loop lag, GC) are collected once per process and appended to every service's page.
 *
 * Series (see README "Observability"):
 * - every service: `app_graphql_operations_total{operation,type,outcome}`,
 *   `app_graphql_operation_duration_seconds{operation,type,outcome}`,
 *   `app_graphql_errors_total{operation,code}`, `app_websocket_connections`,
 *   `app_active_subscriptions`, `app_dependency_up{dependency}`
 * - subgraphs: `app_db_query_duration_seconds{operation,outcome}`,
 *   `app_db_queries_in_flight`, `app_db_pool_max_connections`
 * - gateway: `app_subgraph_fetch_duration_seconds{subgraph,outcome}`,
 *   `app_subgraph_fetch_errors_total{subgraph,kind}`, `app_subgraph_breaker_state{subgraph}`,
 *   `app_rate_limit_rejections_total{tier}`, `app_sse_streams`,
 *   `app_upstream_subscription_streams`
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';


/** Seconds; from a cached lookup (~1 ms) to a slow cross-subgraph query (10 s). */
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Operation names are chosen by clients: beyond this many distinct ones they count as `other`. */
const maxOperationNames = 500;

export interface ServiceMetrics {
  service: string;
  registry: Registry;
  operations: Counter<'operation' | 'type' | 'outcome'>;
  operationDuration: Histogram<'operation' | 'type' | 'outcome'>;
  graphqlErrors: Counter<'operation' | 'code'>;
  /** Open graphql-ws sockets (set by a collector, see {@link observeGauge}). */
  websocketConnections: Gauge;
  /** Open subscriptions (client subscriptions on the gateway, graphql-ws streams on a subgraph). */
  activeSubscriptions: Gauge;
  /** 1 when the last readiness check reached the dependency (`postgres`, `redis`, `subgraph:<name>`), else 0. */
  dependencyUp: Gauge<'dependency'>;
  /** The Prometheus text page: this service's series plus the process's default ones. */
  render(): Promise<string>;
  contentType: string;
}

export interface DatabaseMetrics {
  queryDuration: Histogram<'operation' | 'outcome'>;
  queriesInFlight: Gauge;
  poolMaxConnections: Gauge;
}

export interface SubgraphMetrics extends ServiceMetrics {
  database: DatabaseMetrics;
}

/** Circuit-breaker states as the `app_subgraph_breaker_state` gauge reports them. */
export const breakerStateValue = { closed: 0, halfOpen: 1, open: 2 } as const;
export type BreakerState = keyof typeof breakerStateValue;

export interface GatewayMetrics extends ServiceMetrics {
  /** Gateway -> subgraph HTTP fetches; outcome `ok`, `graphql_error` (answered with errors) or `error`. */
  subgraphFetchDuration: Histogram<'subgraph' | 'outcome'>;
  /** Failed subgraph fetches by kind: `network` (no answer), `http` (non-2xx), `graphql` (errors in the body). */
  subgraphFetchErrors: Counter<'subgraph' | 'kind'>;
  /**
   * Circuit breaker per subgraph: 0 closed, 1 half-open, 2 open ({@link breakerStateValue}).
   * Set from the breaker's state-change callback: `breakerState.set({ subgraph }, breakerStateValue[state])`.
   */
  breakerState: Gauge<'subgraph'>;
  /** Requests refused by the gateway's rate limits: `rateLimitRejections.inc({ tier })` (e.g. anonymous, MEMBER). */
  rateLimitRejections: Counter<'tier'>;
  /** Open SSE streams (graphql-sse). */
  sseStreams: Gauge;
  /** Distinct upstream subscription streams to subgraphs. */
  upstreamStreams: Gauge;
}

let processRegistry: Registry | null = null;
/** Default process metrics, collected once per process however many services it runs. */
function defaultProcessRegistry(prefix: string): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix });
  }
  return processRegistry;
}

/** The registry and the series every service has. */
export function createServiceMetrics(service: string, prefix: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  const registers = [registry];
  const operationLabels = ['operation', 'type', 'outcome'] as const;
  return {
    service,
    registry,
    operations: new Counter({
      name: `${prefix}graphql_operations_total`,
      help: 'GraphQL operations handled, by operation name, type and outcome (success or error)',
      labelNames: operationLabels,
      registers,
    }),
    operationDuration: new Histogram({
      name: `${prefix}graphql_operation_duration_seconds`,
      help: 'GraphQL operation latency from request to response',
      labelNames: operationLabels,
      buckets: latencyBuckets,
      registers,
    }),
    graphqlErrors: new Counter({
      name: `${prefix}graphql_errors_total`,
      help: 'GraphQL errors in responses, by operation name and extensions.code',
      labelNames: ['operation', 'code'] as const,
      registers,
    }),
    websocketConnections: new Gauge({ name: `${prefix}websocket_connections`, help: 'Open graphql-ws connections', registers }),
    activeSubscriptions: new Gauge({ name: `${prefix}active_subscriptions`, help: 'Open GraphQL subscriptions', registers }),
    dependencyUp: new Gauge({
      name: `${prefix}dependency_up`,
      help: 'Whether the last readiness check reached the dependency (1) or not (0)',
      labelNames: ['dependency'] as const,
      registers,
    }),
    contentType: registry.contentType,
    async render() {
      return `${await registry.metrics()}\n${await defaultProcessRegistry(prefix).metrics()}`;
    },
  };
}

export function createSubgraphMetrics(subgraph: string, prefix: string): SubgraphMetrics {
  const metrics = createServiceMetrics(`${subgraph}-subgraph`, prefix);
  const registers = [metrics.registry];
  return {
    ...metrics,
    database: {
      queryDuration: new Histogram({
        name: `${prefix}db_query_duration_seconds`,
        help: 'SQL statement latency, by statement kind (select, insert, update, delete, other) and outcome',
        labelNames: ['operation', 'outcome'] as const,
        buckets: latencyBuckets,
        registers,
      }),
      queriesInFlight: new Gauge({
        name: `${prefix}db_queries_in_flight`,
        help: 'SQL statements sent and not yet answered (busy pool connections, plus queued ones beyond the pool size)',
        registers,
      }),
      poolMaxConnections: new Gauge({ name: `${prefix}db_pool_max_connections`, help: 'Size of the database connection pool', registers }),
    },
  };
}

export function createGatewayMetrics(prefix: string): GatewayMetrics {
  const metrics = createServiceMetrics('gateway', prefix);
  const registers = [metrics.registry];
  return {
    ...metrics,
    subgraphFetchDuration: new Histogram({
      name: `${prefix}subgraph_fetch_duration_seconds`,
      help: 'Gateway to subgraph fetch latency, by subgraph and outcome (ok, graphql_error, error)',
      labelNames: ['subgraph', 'outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    subgraphFetchErrors: new Counter({
      name: `${prefix}subgraph_fetch_errors_total`,
      help: 'Failed gateway to subgraph fetches, by subgraph and kind (network, http, graphql)',
      labelNames: ['subgraph', 'kind'] as const,
      registers,
    }),
    breakerState: new Gauge({
      name: `${prefix}subgraph_breaker_state`,
      help: 'Circuit breaker state per subgraph: 0 closed, 1 half-open, 2 open',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    rateLimitRejections: new Counter({
      name: `${prefix}rate_limit_rejections_total`,
      help: 'Requests refused by rate limits, by tier',
      labelNames: ['tier'] as const,
      registers,
    }),
    sseStreams: new Gauge({ name: `${prefix}sse_streams`, help: 'Open graphql-sse event streams', registers }),
    upstreamStreams: new Gauge({
      name: `${prefix}upstream_subscription_streams`,
      help: 'Distinct subscription streams the gateway holds open to subgraphs',
      registers,
    }),
  };
}

/** Makes `gauge` read `read()` whenever /metrics is scraped (for counts a component already keeps). */
export function observeGauge(gauge: Gauge, read: () => number): void {
  // prom-client calls `collect` (bound to the gauge) before rendering it.
  (gauge as unknown as { collect: () => void }).collect = () => gauge.set(read());
}

/** `GET /metrics`. */
export const metricsHandler =
  (metrics: ServiceMetrics): RequestHandler =>
  (_req, res, next) => {
    metrics
      .render()
      .then((body) => res.type(metrics.contentType).send(body))
      .catch(next);
  };

const operationNamePattern = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/**
 * Counts and times every GraphQL operation Apollo Server handles (HTTP, and on the gateway the
 * queries and mutations sent over graphql-ws/SSE). Unparseable requests count as `unknown`,
 * unnamed operations as `anonymous`.
 */
export function operationMetricsPlugin(metrics: ServiceMetrics): ApolloServerPlugin {
  const seenNames = new Set<string>();
  const nameLabel = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    if (!operationNamePattern.test(name)) return 'other';
    if (seenNames.has(name)) return name;
    if (seenNames.size >= maxOperationNames) return 'other';
    seenNames.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      const started = performance.now();
      let operation = 'unknown';
      let type = 'unknown';
      return {
        async didResolveOperation({ operationName, operation: definition }) {
          operation = nameLabel(operationName);
          type = definition?.operation ?? 'unknown';
        },
        async willSendResponse({ response, errors }) {
          const seconds = (performance.now() - started) / 1000;
          const bodyErrors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const all = bodyErrors ?? errors ?? [];
          const outcome = all.length > 0 ? 'error' : 'success';
          metrics.operations.inc({ operation, type, outcome });
          metrics.operationDuration.observe({ operation, type, outcome }, seconds);
          for (const error of all) {
            const code = String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
            metrics.graphqlErrors.inc({ operation, code });
          }
        },
      };
    },
  };
}

/** The statement kind for `app_db_query_duration_seconds{operation}`: the first SQL keyword. */
export function sqlOperationOf(statement: string): string {
  const keyword = /^\s*(?:with\b[\s\S]*?\)\s*)?(select|insert|update|delete)\b/i.exec(statement)?.[1];
  return keyword ? keyword.toLowerCase() : 'other';
}
