/**
 * FitGraph as deployed, attacked from outside: the compiled services as separate processes on
 * their own addresses, NODE_ENV=production, trusted documents, real PostgreSQL and Redis, nginx in
 * front (testkit production.ts). Each test reproduces one attack or careless client and asserts
 * what the attacker, the other clients and the operators see.
 */
import { randomUUID } from 'node:crypto';
import { createFitGraphClient } from '@fitgraph/sdk';
import { envPrefix, subgraphNames, type SubgraphName } from '@fitgraph/platform';
import { createGatewaySigner } from '@fitgraph/service-kit';
import {
  clientFrom,
  eventually,
  graphqlWsFrom,
  newClientAddress,
  productionAddresses,
  rawConnectionFrom,
  sdkTrustedDocument,
  startProductionStack,
  type HttpAnswer,
  type ProductionService,
  type ProductionStack,
} from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionBundleDir, productionTestsMissing } from './global-setup';

const missing = productionTestsMissing();
if (missing) console.warn(`production tests skipped: ${missing}`);

const codesOf = (answer: HttpAnswer): unknown[] => ((answer.json?.errors ?? []) as { extensions?: { code?: unknown } }[]).map((error) => error.extensions?.code);
const demoMember = 'alex@demo.fitgraph.dev';

describe.skipIf(missing)('production shape: compiled services behind nginx', () => {
  let stack: ProductionStack;
  const startedAt = Date.now();

  beforeAll(async () => {
    stack = await startProductionStack({ bundleDir: productionBundleDir });
    console.log(`production stack up in ${Date.now() - startedAt} ms`);
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  describe('the harness', () => {
    it('signs a demo member in through nginx with the SDK (trusted documents) and runs a query of its manifest', async () => {
      const client = clientFrom();
      const sdk = createFitGraphClient({ url: stack.url, fetch: client.fetch, webSocketImpl: client.WebSocket });
      const session = await sdk.signIn(demoMember, stack.demoPassword);
      expect(session.user.email).toBe(demoMember);
      const gyms = await sdk.gyms();
      expect(gyms.length).toBeGreaterThan(0);
      expect((await sdk.me())?.email).toBe(demoMember);
      // nginx saw the client's own address, and the gateway runs only trusted documents.
      expect(stack.proxy.accessLog()).toContain(`${client.address} "POST /graphql HTTP/1.1" 200`);
      const untrusted = await client.post(stack.url, { query: '{ gyms { id } }' });
      expect(untrusted.status).toBe(400);
      expect(codesOf(untrusted)).toEqual(['OPERATION_NOT_TRUSTED']);
    });
  });
});
