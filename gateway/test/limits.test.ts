/**
 * The gateway's own defenses with its default limits, on the real supergraph (no subgraph
 * needs to run: everything here is refused before planning): deep documents and
 * "Did you mean …?" suggestions, which production must not give on any transport.
 */
import { loadAuthConfig, operationLimitsEnv, operationLimitsOf, subgraphServiceEnv } from '@fitgraph/platform';
import { loadEnv } from '@fitgraph/service-kit';
import { graphql, graphqlWsClient, sseClient, startTestGateway } from '@fitgraph/testkit';
import type { FormattedExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSupergraph } from '../src/composition';
import { defaultOperationLimits } from '@fitgraph/service-kit';
import type { RunningGateway } from '../src/server';

const auth = loadAuthConfig({});
// Arbitrary operations allowed: these tests send ad-hoc documents, which production would otherwise refuse as untrusted.
const start = (production: boolean) =>
  startTestGateway({ supergraphSdl: readSupergraph(), auth, production, trustedDocuments: { allowArbitraryOperations: true } });

const viaWs = async (url: string, query: string): Promise<FormattedExecutionResult> => {
  const client = graphqlWsClient(url);
  try {
    return await client.execute({ query }).catch((error: unknown) => ({ errors: error as FormattedExecutionResult['errors'] }));
  } finally {
    await client.close();
  }
};
const viaSse = async (url: string, query: string): Promise<FormattedExecutionResult> => {
  const client = sseClient(url);
  try {
    return (await client.subscribe({ query }).waitFor(1))[0]!;
  } finally {
    client.close();
  }
};
const viaHttp = async (url: string, query: string): Promise<FormattedExecutionResult> => {
  const { status: _status, headers: _headers, ...body } = await graphql(url, query);
  return body;
};

describe('gateway defaults against deep and probing documents', () => {
  let production: RunningGateway;
  let development: RunningGateway;
  beforeAll(async () => {
    [production, development] = await Promise.all([start(true), start(false)]);
  });
  afterAll(async () => {
    await Promise.all([production?.stop(), development?.stop()]);
  });

  /** `me { workouts { nodes { user { workouts … } } } }`, `levels` fields deep. */
  const nested = (levels: number) => {
    const cycle = Math.ceil(levels / 3);
    return `{ me { ${'workouts { nodes { user { '.repeat(cycle)}id${' } } }'.repeat(cycle)} } }`;
  };

  it.each([
    [1000, 'tokens'],
    [500, 'depth'],
    [11, 'depth'],
  ])('answers a query %i levels deep with a coded 400 in well under a second (%s)', async (levels, limit) => {
    const started = performance.now();
    const response = await graphql(production.url, nested(levels));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit, max: limit === 'depth' ? 10 : 2000 });
    expect((await fetch(new URL('/healthz', production.url))).status).toBe(200);
  });

  it('refuses nothing a subgraph would then refuse: the gateway and the subgraphs read the same OPERATION_* settings', async () => {
    expect(operationLimitsOf(loadEnv(operationLimitsEnv, {}))).toEqual(defaultOperationLimits);
    for (const name of Object.keys(operationLimitsEnv)) expect(name in subgraphServiceEnv('gym'), name).toBe(true);
  });

  it('accepts the standard introspection query under the default limits (Sandbox) outside production', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const response = await graphql(development.url, getIntrospectionQuery());
    expect(response.errors).toBeUndefined();
  });

  it.each([
    ['HTTP', viaHttp],
    ['graphql-ws', viaWs],
    ['SSE', viaSse],
  ])('gives no "Did you mean" suggestions in production over %s (development still does)', async (_name, run) => {
    const query = '{ gyms { nam } }';
    const [prod, dev] = await Promise.all([run(production.url, query), run(development.url, query)]);
    expect(dev.errors?.[0]?.message).toMatch(/Did you mean "name"\?/);
    expect(prod.errors?.[0]?.message).toBe('Cannot query field "nam" on type "Gym".');
    expect(prod.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
