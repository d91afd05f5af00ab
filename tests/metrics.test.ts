/**
 * /metrics on every service, read the way Prometheus would: operations by name and outcome with
 * latency, subgraph fetches and their failures, sockets and subscriptions, database timings and
 * pool size, dependency state, the gateway's breaker and rate-limit series, process defaults.
 */
import type { RunningGateway } from '@fitgraph/gateway';
import { subgraphNames } from '@fitgraph/platform';
import { breakerStateValue } from '@fitgraph/service-kit';
import { backends, eventually, graphql, graphqlData, startTestStack, subscribe, testViewer, type TestStack } from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, one sample per line (comments skipped). */
function parseMetrics(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

/** Sum of the samples of `name` whose labels include `labels`. */
const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);

const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';

describe('/metrics', () => {
  let stack: TestStack;
  // A subgraph serves /metrics on its internal listener only.
  const metricsUrl = (url: string) => new URL('/metrics', url).toString();
  const scrape = async (url: string) => {
    const response = await fetch(metricsUrl(url));
    expect(response.status).toBe(200);
    return parseMetrics(await response.text());
  };
  const gatewayMetrics = () => scrape(stack.gateway.internalUrl);
  const subgraphMetrics = (name: (typeof subgraphNames)[number]) => scrape(stack.subgraphs[name].internalUrl);

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is served by the gateway and every subgraph, in the Prometheus text format, with process metrics', async () => {
    for (const url of [stack.gateway.internalUrl, ...subgraphNames.map((name) => stack.subgraphs[name].internalUrl)]) {
      const response = await fetch(metricsUrl(url));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('# TYPE fitgraph_graphql_operations_total counter');
      expect(text).toContain('# TYPE fitgraph_graphql_operation_duration_seconds histogram');
      expect(text).toContain('# TYPE fitgraph_process_cpu_user_seconds_total counter');
      expect(text).toContain('# TYPE fitgraph_nodejs_eventloop_lag_seconds gauge');
      // Every series FitGraph defines is prefixed.
      for (const sample of parseMetrics(text)) expect(sample.name).toMatch(/^fitgraph_/);
    }
  });

  it('counts operations by name and outcome, with latency, on the gateway and on the subgraph that served them', async () => {
    await graphqlData(stack.gateway.url, 'query GymNames { gyms { name } }');
    await graphqlData(stack.gateway.url, 'query GymNames { gyms { name } }');
    const invalid = await graphql(stack.gateway.url, 'query NoSuchField { gyms { nope } }');
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const gateway = await gatewayMetrics();
    const ok = { service: 'gateway', operation: 'GymNames', type: 'query', outcome: 'success' };
    expect(valueOf(gateway, 'fitgraph_graphql_operations_total', ok)).toBe(2);
    expect(valueOf(gateway, 'fitgraph_graphql_operation_duration_seconds_count', ok)).toBe(2);
    expect(valueOf(gateway, 'fitgraph_graphql_operation_duration_seconds_sum', ok)).toBeGreaterThan(0);
    expect(valueOf(gateway, 'fitgraph_graphql_operation_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(2);
    // Validation fails before the operation is resolved: counted, as `unknown`, with its code.
    expect(valueOf(gateway, 'fitgraph_graphql_operations_total', { operation: 'unknown', outcome: 'error' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(gateway, 'fitgraph_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(gateway, 'fitgraph_subgraph_fetch_duration_seconds_count', { subgraph: 'gym', outcome: 'ok' })).toBeGreaterThanOrEqual(2);

    const gym = await subgraphMetrics('gym');
    // The gateway names its subgraph operations after the client's: GymNames__gym__0.
    expect(valueOf(gym, 'fitgraph_graphql_operations_total', { service: 'gym-subgraph', operation: 'GymNames__gym__0', outcome: 'success' })).toBe(2);
    expect(valueOf(gym, 'fitgraph_db_query_duration_seconds_count', { operation: 'select', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    // The subgraph's own background statements (outbox relay, event consumers) may be running at
    // any one scrape; a counter that leaked would never come back to 0.
    await eventually(async () => valueOf(await subgraphMetrics('gym'), 'fitgraph_db_queries_in_flight') === 0, {
      what: 'no SQL statement in flight on the gym subgraph',
    });
    expect(valueOf(gym, 'fitgraph_db_pool_max_connections')).toBe(backends.database === 'postgres' ? 10 : 1);
  });

  it('counts failed subgraph fetches by subgraph and kind', async () => {
    const before = valueOf(await gatewayMetrics(), 'fitgraph_subgraph_fetch_errors_total', { subgraph: 'gym', kind: 'network' });
    await stack.subgraphs.gym.stop();
    try {
      const answer = await graphql(stack.gateway.url, 'query GymNames { gyms { name } }');
      expect(answer.errors?.length).toBeGreaterThan(0);
      const after = await gatewayMetrics();
      expect(valueOf(after, 'fitgraph_subgraph_fetch_errors_total', { subgraph: 'gym', kind: 'network' })).toBe(before + 1);
      expect(valueOf(after, 'fitgraph_subgraph_fetch_duration_seconds_count', { subgraph: 'gym', outcome: 'error' })).toBeGreaterThanOrEqual(1);
      expect(valueOf(after, 'fitgraph_graphql_operations_total', { operation: 'GymNames', outcome: 'error' })).toBeGreaterThanOrEqual(1);
    } finally {
      await stack.restartSubgraph('gym');
    }
  });

  it('reports open sockets and subscriptions on the gateway and on the subgraph streaming them', async () => {
    const { token } = await testViewer('MEMBER');
    const subscription = subscribe(stack.gateway.url, 'subscription($gymId: ID!) { machineStatusChanged(gymId: $gymId) { status } }', {
      token,
      variables: { gymId: ironHarbor },
    });
    try {
      const gateway = await eventually(async () => {
        const samples = await gatewayMetrics();
        return valueOf(samples, 'fitgraph_active_subscriptions') === 1 ? samples : null;
      }, { what: 'one subscription on the gateway' });
      expect(valueOf(gateway, 'fitgraph_websocket_connections')).toBe(1);
      expect(valueOf(gateway, 'fitgraph_upstream_subscription_streams')).toBe(1);
      const gym = await eventually(async () => {
        const samples = await subgraphMetrics('gym');
        return valueOf(samples, 'fitgraph_active_subscriptions') === 1 ? samples : null;
      }, { what: 'one subscription on the gym subgraph' });
      expect(valueOf(gym, 'fitgraph_websocket_connections')).toBe(1);
    } finally {
      await subscription.close();
    }
    await eventually(async () => valueOf(await gatewayMetrics(), 'fitgraph_websocket_connections') === 0, { what: 'socket closed' });
    await eventually(async () => valueOf(await subgraphMetrics('gym'), 'fitgraph_active_subscriptions') === 0, { what: 'upstream stream ended' });
  });

  it('reports dependencies after a readiness check', async () => {
    expect((await fetch(new URL('/readyz', stack.gateway.url))).status).toBe(200);
    const gateway = await gatewayMetrics();
    for (const name of subgraphNames) expect(valueOf(gateway, 'fitgraph_dependency_up', { dependency: `subgraph:${name}` })).toBe(1);
    expect((await fetch(new URL('/readyz', stack.subgraphs.chat.internalUrl))).status).toBe(200);
    expect(valueOf(await subgraphMetrics('chat'), 'fitgraph_dependency_up', { dependency: 'database' })).toBe(1);
  });

  it("exposes breaker state and rate-limit rejections for the gateway's resilience code to set", async () => {
    const { metrics } = stack.gateway as RunningGateway;
    metrics.breakerState.set({ subgraph: 'workout' }, breakerStateValue.open);
    metrics.rateLimitRejections.inc({ tier: 'anonymous' });
    const gateway = await gatewayMetrics();
    expect(valueOf(gateway, 'fitgraph_subgraph_breaker_state', { subgraph: 'workout' })).toBe(2);
    expect(valueOf(gateway, 'fitgraph_rate_limit_rejections_total', { tier: 'anonymous' })).toBe(1);
  });
});
