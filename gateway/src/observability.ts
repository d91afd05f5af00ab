/**
 * Gateway -> subgraph fetches, observed through RemoteGraphQLDataSource's own hooks: latency and
 * failures per subgraph (`fitgraph_subgraph_fetch_*`) and the W3C `traceparent` of the active
 * span (@apollo/gateway's `gateway.fetch`), so the subgraph's spans join the request's trace.
 */
import { injectTraceContext, type GatewayMetrics } from '@fitgraph/service-kit';

export interface SubgraphFetchHooks {
  /** Call first in the data source's `willSendRequest`. */
  willSendRequest(options: { request: { http?: { headers: { set(name: string, value: string): void } } } }): void;
  didReceiveResponse<T extends { errors?: readonly unknown[] }>(requestContext: { response: T; request: { http?: object } }): T;
  didEncounterError(error: Error, fetchRequest: unknown, fetchResponse?: unknown, context?: unknown, request?: { http?: object }): void;
}

/** Hooks for the data source of `subgraph`; pass them in its config (RemoteGraphQLDataSource assigns them). */
export function observeSubgraphFetches(subgraph: string, metrics: GatewayMetrics): SubgraphFetchHooks {
  // Keyed by the request's `http` object: the one object every hook of one fetch shares.
  const startedAt = new WeakMap<object, number>();
  const finish = (http: object | undefined, outcome: 'ok' | 'graphql_error' | 'error') => {
    const started = http && startedAt.get(http);
    if (started === undefined) return;
    startedAt.delete(http!);
    metrics.subgraphFetchDuration.observe({ subgraph, outcome }, (performance.now() - started) / 1000);
  };
  return {
    willSendRequest({ request }) {
      const http = request.http;
      if (!http) return;
      injectTraceContext(http.headers);
      startedAt.set(http, performance.now());
    },
    didReceiveResponse({ response, request }) {
      const failed = (response.errors?.length ?? 0) > 0;
      if (failed) metrics.subgraphFetchErrors.inc({ subgraph, kind: 'graphql' });
      finish(request.http, failed ? 'graphql_error' : 'ok');
      return response;
    },
    didEncounterError(error, _fetchRequest, _fetchResponse, _context, request) {
      // errorFromResponse gives non-2xx answers `extensions.response.status`; anything else never got one.
      const status = (error as { extensions?: { response?: { status?: number } } }).extensions?.response?.status;
      metrics.subgraphFetchErrors.inc({ subgraph, kind: status === undefined ? 'network' : 'http' });
      finish(request?.http, 'error');
      throw error;
    },
  };
}
