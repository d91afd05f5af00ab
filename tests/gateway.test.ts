import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gymSubgraph } from '@fitgraph/gym-subgraph';
import { envPrefix, loadSubgraphConfig, startSubgraphService } from '@fitgraph/platform';
import { backends, generatedAuthEnv, graphql, graphqlData, startTestStack, type TestStack } from '@fitgraph/testkit';

const alex = '6a1b0c9e-0005-4000-8000-000000000001';

describe(`gateway over the whole stack (${backends.database})`, () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('reads gyms, machines and a user with their home gym across subgraphs', async () => {
    const data = await graphqlData(
      stack.gateway.url,
      `query($id: ID!) {
        gyms { name machines { name kind status gym { name } } }
        user(id: $id) { displayName role createdAt homeGym { name } }
      }`,
      { variables: { id: alex } },
    );
    expect(data.gyms.length).toBeGreaterThanOrEqual(2);
    for (const gym of data.gyms) {
      expect(gym.machines.length).toBeGreaterThanOrEqual(8);
      for (const machine of gym.machines) expect(machine.gym.name).toBe(gym.name);
    }
    const kinds = new Set(data.gyms.flatMap((gym: any) => gym.machines.map((m: any) => m.kind)));
    for (const kind of ['TREADMILL', 'ROWER', 'SQUAT_RACK', 'BENCH', 'CABLE_STATION', 'BIKE']) expect(kinds).toContain(kind);
    expect(data.user).toMatchObject({ displayName: 'Alex Demo', role: 'MEMBER', homeGym: { name: 'Iron Harbor Fitness' } });
    expect(new Date(data.user.createdAt).toISOString()).toBe(data.user.createdAt);
  });

  it('searches exercises and foods case-insensitively', async () => {
    const data = await graphqlData(stack.gateway.url, `{ exercises(search: "SQUAT") { name muscleGroups } foods(search: "banana") { name kcalPer100g } all: exercises { id } foods100: foods { id } }`);
    expect(data.exercises.map((e: any) => e.name)).toContain('Back Squat');
    expect(data.exercises.every((e: any) => /squat/i.test(e.name))).toBe(true);
    expect(data.foods[0]).toMatchObject({ name: 'Banana, raw', kcalPer100g: 89 });
    expect(data.all.length).toBeGreaterThanOrEqual(30);
    expect(data.foods100.length).toBeGreaterThanOrEqual(60);
  });

  it('treats LIKE wildcards in a search as plain text', async () => {
    const data = await graphqlData(stack.gateway.url, `{ exercises(search: "%") { name } }`);
    expect(data.exercises).toEqual([]);
  });

  it('answers unknown and malformed ids with null, not an error', async () => {
    const data = await graphqlData(stack.gateway.url, `{ gym(id: "6a1b0c9e-0001-4000-8000-0000000000ff") { name } machine(id: "not-a-uuid") { name } user(id: "") { displayName } }`);
    expect(data).toEqual({ gym: null, machine: null, user: null });
  });

  it('echoes a given x-request-id and generates one when absent', async () => {
    const given = await graphql(stack.gateway.url, '{ gyms { id } }', { headers: { 'x-request-id': 'test-req-1' } });
    expect(given.headers.get('x-request-id')).toBe('test-req-1');
    const generated = await graphql(stack.gateway.url, '{ gyms { id } }');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves GET queries and the Sandbox landing page', async () => {
    const get = await fetch(`${stack.gateway.url}?query=${encodeURIComponent('{ gyms { name } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(((await get.json()) as any).data.gyms.length).toBeGreaterThanOrEqual(2);
    const page = await fetch(stack.gateway.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('embeddable-sandbox');
  });

  it('answers malformed JSON and invalid queries with GraphQL errors, never stacks', async () => {
    const malformed = await fetch(stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    const body = await malformed.text();
    expect(JSON.parse(body).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(body).not.toMatch(/at .*\.(ts|js):\d+/);
    const invalid = await graphql(stack.gateway.url, '{ gyms { nope } }');
    expect(invalid.status).toBe(400);
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(invalid.errors)).not.toContain('stacktrace');
  });

  it('reports readiness per subgraph on the internal port, and recovers without a gateway restart', async () => {
    const readyz = () => fetch(new URL('/readyz', stack.gateway.internalUrl)).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const publicReadyz = () => fetch(new URL('/readyz', stack.gateway.url)).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const healthy = await readyz();
    expect(healthy.status).toBe(200);
    // The public port says whether it serves, nothing about what it depends on or where.
    expect(await publicReadyz()).toEqual({ status: 200, body: { status: 'ready' } });
    expect((await fetch(new URL('/metrics', stack.gateway.url))).status).toBe(404);
    expect(healthy.body.subgraphs.map((s: any) => s.name).sort()).toEqual(['chat', 'gym', 'nutrition', 'user', 'workout']);
    expect(healthy.body.subgraphs.every((s: any) => s.status === 'up' && typeof s.latencyMs === 'number')).toBe(true);
    expect((await fetch(new URL('/healthz', stack.gateway.url))).status).toBe(200);

    const { port } = stack.subgraphs.gym;
    await stack.subgraphs.gym.stop();
    const degraded = await readyz();
    expect(degraded.status).toBe(503);
    expect(degraded.body.subgraphs.filter((s: any) => s.status === 'down').map((s: any) => s.name)).toEqual(['gym']);
    expect(await publicReadyz()).toEqual({ status: 503, body: { status: 'unavailable' } });

    stack.subgraphs.gym = await startSubgraphService(
      gymSubgraph,
      loadSubgraphConfig(gymSubgraph, { ...stack.env, [`${envPrefix('gym')}_SUBGRAPH_PORT`]: String(port) }),
    );
    const recovered = await readyz();
    expect(recovered.status).toBe(200);
    const data = await graphqlData(stack.gateway.url, '{ gyms { name } }');
    expect(data.gyms.length).toBeGreaterThanOrEqual(2);
  });
});

describe('gateway in production mode', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // Arbitrary operations allowed, so introspection itself is what is refused (trusted documents: clients/sdk/test/trusted-documents.test.ts).
    stack = await startTestStack({ NODE_ENV: 'production', ALLOW_ARBITRARY_OPERATIONS: 'true', ...generatedAuthEnv() });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses to start on the DEV-ONLY keys', async () => {
    await expect(startTestStack({ NODE_ENV: 'production' })).rejects.toThrow(/DEV-ONLY/);
  });

  it('has no Sandbox and no introspection', async () => {
    const page = await fetch(stack.gateway.url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(await page.text()).not.toContain('<html');
    const introspection = await graphql(stack.gateway.url, '{ __schema { queryType { name } } }');
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
