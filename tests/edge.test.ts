/**
 * The stack's edge in production (issue 9): subgraphs are no public API — no introspection,
 * `x-forwarded-for` believed only from the gateway's addresses (so the per-IP sign-in limit
 * cannot be dodged by calling the user subgraph directly) — and no "Did you mean" hints anywhere.
 */
import { randomUUID } from 'node:crypto';
import { errorCodes, generatedAuthEnv, graphql, startTestStack, type TestStack } from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SIGN_IN = 'mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { accessToken } }';

describe('production edge', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      NODE_ENV: 'production',
      ...generatedAuthEnv(),
      // The gateway would call from this (documentation) address; this test calls from loopback.
      SUBGRAPH_TRUSTED_PROXIES: '192.0.2.10',
      SIGN_IN_MAX_FAILURES_PER_IP: '3',
      // Ad-hoc documents: without this, production refuses them as untrusted before validation.
      ALLOW_ARBITRARY_OPERATIONS: 'true',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a direct caller cannot choose its address: forged x-forwarded-for does not dodge the per-IP sign-in limit', async () => {
    const fail = (ip: string) =>
      graphql(stack.subgraphs.user.url, SIGN_IN, {
        variables: { email: `nobody-${randomUUID()}@example.com`, password: 'wrong password' },
        headers: { 'x-forwarded-for': ip },
      });
    for (let i = 0; i < 3; i += 1) expect(errorCodes(await fail(`203.0.113.${i}`))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await fail('203.0.113.99'))).toEqual(['RATE_LIMITED']);
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
