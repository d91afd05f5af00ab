/**
 * The stack's edge: subgraphs are no public API. In production they answer only requests the
 * gateway signed (GATEWAY_SECRET), take the client's address from that attestation alone (so
 * per-IP limits cannot be dodged with x-forwarded-for or by calling a subgraph directly), give
 * no introspection and no "Did you mean" hints. And the gateway's own traffic passes the
 * subgraphs' operation limits, which are the gateway's, even at those limits.
 */
import { randomUUID } from 'node:crypto';
import {
  errorCodes,
  generatedAuthEnv,
  graphql,
  graphqlData,
  graphqlWsClient,
  signUpUser,
  startTestStack,
  type TestStack,
} from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SIGN_IN = 'mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { accessToken } }';

describe('production edge', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      NODE_ENV: 'production',
      ...generatedAuthEnv(),
      SIGN_IN_MAX_FAILURES_PER_IP: '3',
      // Ad-hoc documents: without this, production refuses them as untrusted before validation.
      ALLOW_ARBITRARY_OPERATIONS: 'true',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('every subgraph refuses a caller that is not the gateway, over HTTP and WebSocket, _service { sdl } included', async () => {
    for (const subgraph of Object.values(stack.subgraphs)) {
      for (const query of ['{ __typename }', '{ _service { sdl } }']) {
        const response = await graphql(subgraph.url, query, { unsigned: true });
        expect(response.status).toBe(403);
        expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      }
      const socket = graphqlWsClient(subgraph.url, { unsigned: true });
      await expect(socket.connected).rejects.toBeDefined();
      // The testkit signs as the gateway does (with this stack's GATEWAY_SECRET): served.
      expect((await graphql(subgraph.url, '{ _service { sdl } }')).data?._service.sdl).toContain('type Query');
    }
    // And the gateway's own traffic is signed: a query across subgraphs answers.
    expect((await graphqlData(stack.gateway.url, '{ gyms { name machines { name } } }')).gyms.length).toBeGreaterThan(0);
  });

  it('counts the client address the gateway attests: forged x-forwarded-for dodges no per-IP sign-in limit, directly or through the gateway', async () => {
    const fail = (options: { from?: string; forwardedFor: string; url?: string }) =>
      graphql(options.url ?? stack.gateway.url, SIGN_IN, {
        variables: { email: `nobody-${randomUUID()}@example.com`, password: 'wrong password' },
        from: options.from,
        headers: { 'x-forwarded-for': options.forwardedFor },
      });
    for (let i = 0; i < 3; i += 1) expect(errorCodes(await fail({ from: '127.0.0.2', forwardedFor: `203.0.113.${i}` }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await fail({ from: '127.0.0.2', forwardedFor: '203.0.113.99' }))).toEqual(['RATE_LIMITED']);
    // Another client goes on.
    expect(errorCodes(await fail({ from: '127.0.0.3', forwardedFor: '203.0.113.1' }))).toEqual(['UNAUTHENTICATED']);
    // At the user subgraph itself, with the attestation of 127.0.0.2: x-forwarded-for changes nothing.
    expect(errorCodes(await fail({ url: stack.subgraphs.user.url, from: '127.0.0.2', forwardedFor: '198.51.100.7' }))).toEqual(['RATE_LIMITED']);
  });

  it('subgraphs answer no introspection', async () => {
    for (const subgraph of Object.values(stack.subgraphs)) {
      const response = await graphql(subgraph.url, '{ __schema { queryType { name } } }');
      expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
  });

  it('no "Did you mean" hints, from the gateway or a subgraph', async () => {
    for (const url of [stack.gateway.url, stack.subgraphs.gym.url]) {
      const response = await graphql(url, '{ gymz { id } }');
      expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(response.errors?.[0]?.message).toBe('Cannot query field "gymz" on type "Query".');
    }
  });
});

/**
 * Five aliases of one fragment that crosses into the user subgraph: 63 tokens, 10 aliases, cost
 * 4250 at the gateway. The planner splits the fragment at the boundary, repeating `m: machines`
 * beside each spread with `__typename id` for the entity fetch: the gym subgraph's fetch has 109
 * tokens, 15 aliases and cost 4750.
 */
const atTheLimits =
  'query Q { a: gyms { ...G } b: gyms { ...G } c: gyms { ...G } d: gyms { ...G } e: gyms { ...G } } fragment G on Gym { id name city occupancy m: machines { id name kind status statusChangedAt currentUser { displayName } } }';
/** Depth 8, cost 2222 at the gateway; the gym subgraph's entity fetch costs 2221 (its `_entities` counted once, not as a list of 10). */
const throughAnEntity = '{ me { homeGym { machines { gym { machines { gym { machines { name } } } } } } } }';

describe("the gateway's traffic at the operation limits passes the subgraphs' same limits", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      OPERATION_MAX_TOKENS: '63',
      OPERATION_MAX_COST: '4250',
      OPERATION_MAX_ALIASES: '10',
      OPERATION_MAX_DEPTH: '8',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers an operation at the token, alias and cost limits whose subgraph fetch is larger than it', async () => {
    const data = await graphqlData<Record<string, { m: { currentUser: unknown }[] }[]>>(stack.gateway.url, atTheLimits);
    expect(Object.keys(data)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(data.a!.length).toBeGreaterThan(0);
    // One field more is over the gateway's limits.
    expect(errorCodes(await graphql(stack.gateway.url, atTheLimits.replace('occupancy', 'occupancy city')))).toEqual(['OPERATION_LIMIT_EXCEEDED']);
  });

  it('answers an operation at the depth limit whose list-heavy part is an entity fetch', async () => {
    const member = await signUpUser(stack.gateway.url);
    const { gyms } = await graphqlData<{ gyms: { id: string }[] }>(stack.gateway.url, '{ gyms { id } }');
    await graphqlData(stack.gateway.url, 'mutation($g: ID!) { updateProfile(input: { homeGymId: $g }) { id } }', {
      token: member.accessToken,
      variables: { g: gyms[0]!.id },
    });
    const data = await graphqlData<{ me: { homeGym: { machines: unknown[] } } }>(stack.gateway.url, throughAnEntity, { token: member.accessToken });
    expect(data.me.homeGym.machines.length).toBeGreaterThan(0);
  });
});
