/**
 * Trusted documents: a production gateway runs only the operations of the clients' manifest
 * (clients/sdk/src/generated/persisted-documents.json) — over HTTP, graphql-ws and SSE — and
 * refuses anything else with a coded error; ALLOW_ARBITRARY_OPERATIONS lifts the rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadGatewayEnv } from '@fitgraph/gateway/env';
import { createTrustedDocuments, TrustedDocuments } from '@fitgraph/gateway/trusted-documents';
import { createFitGraphClient, GymsDocument, MachineStatusChangedDocument, type FitGraph } from '../src/index';
import {
  errorCodes,
  eventually,
  generatedAuthEnv,
  graphql,
  graphqlWsClient,
  sseClient,
  startTestStack,
  type TestSubscription,
  type OperationPayload,
  type TestStack,
} from '@fitgraph/testkit';

const hashOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash.replace(/^sha256:/, '');
const manifest = TrustedDocuments.readManifest();
const gymsHash = hashOf(GymsDocument);
const boardHash = hashOf(MachineStatusChangedDocument);
const unknownHash = 'f'.repeat(64);
const persisted = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });
/** graphql-ws and graphql-sse require a `query` string: empty when the id names the document. */
const byId = (sha256Hash: string, variables: Record<string, unknown>) => ({ query: '', variables, extensions: persisted(sha256Hash) }) as OperationPayload;

describe('trusted documents in production', () => {
  let stack: TestStack;
  let member: FitGraph;
  let token: string;
  let gymId: string;
  let machineId: string;

  beforeAll(async () => {
    stack = await startTestStack({ NODE_ENV: 'production', ...generatedAuthEnv() });
    // Production seeds no demo accounts: a member signs up through the SDK (trusted documents).
    member = createFitGraphClient({ url: stack.gateway.url, webSocketImpl: WebSocket });
    const session = await member.signUp({ email: `trusted-${Date.now()}@test.fitgraph.dev`, password: 'a-long-enough-password', displayName: 'Trusted Member' });
    token = session.accessToken;
    const [gym] = await member.gyms();
    gymId = gym!.id;
    machineId = (await member.machineBoard(gymId))!.machines[0]!.id;
    await member.checkIn(gymId);
  });
  afterAll(async () => {
    await member?.dispose();
    await stack?.stop();
  });

  /** Claims or releases the machine until `subscription` has seen a change (graphql-ws and SSE do not acknowledge a subscribe). */
  const changeUntilSeen = (subscription: TestSubscription) =>
    eventually(
      async () => {
        if (subscription.results.length > 0) return true;
        const board = await member.machineBoard(gymId);
        const status = board!.machines.find((machine) => machine.id === machineId)!.status;
        await (status === 'AVAILABLE' ? member.claimMachine(machineId) : member.releaseMachine(machineId));
        return false;
      },
      { timeoutMs: 15_000, intervalMs: 400, what: 'a machineStatusChanged event' },
    );

  it('HTTP: refuses a document that is not in the manifest and an unknown id, with codes', async () => {
    const arbitrary = await graphql(stack.gateway.url, '{ gyms { id name } }');
    expect(arbitrary.status).toBe(400);
    expect(errorCodes(arbitrary)).toEqual(['OPERATION_NOT_TRUSTED']);
    expect(arbitrary.data).toBeUndefined();

    const unknown = await fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ extensions: persisted(unknownHash) }),
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const unknownDocumentId = await fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documentId: `sha256:${unknownHash}` }),
    });
    expect(((await unknownDocumentId.json()) as any).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('HTTP: runs a manifest operation by hash (POST and GET), by documentId, and by its exact text', async () => {
    const post = (body: unknown) =>
      fetch(stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as any,
      }));
    const byHash = await post({ operationName: 'Gyms', extensions: persisted(gymsHash) });
    expect(byHash.status).toBe(200);
    expect(byHash.body.data.gyms.map((gym: { id: string }) => gym.id)).toContain(gymId);

    const byDocumentId = await post({ documentId: `sha256:${gymsHash}` });
    expect(byDocumentId.body.data.gyms.length).toBe(byHash.body.data.gyms.length);

    const byText = await post({ query: manifest[`sha256:${gymsHash}`] });
    expect(byText.body.data.gyms.length).toBe(byHash.body.data.gyms.length);

    const get = await fetch(`${stack.gateway.url}?extensions=${encodeURIComponent(JSON.stringify(persisted(gymsHash)))}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(((await get.json()) as any).data.gyms.length).toBe(byHash.body.data.gyms.length);
  });

  it('graphql-ws: refuses an operation that is not in the manifest; streams one that is', async () => {
    const client = graphqlWsClient(stack.gateway.url, { token });
    try {
      await client.connected;
      const arbitrary = client.subscribe({ query: `subscription { machineStatusChanged(gymId: "${gymId}") { id status } }` });
      const ended = await arbitrary.ended;
      expect((ended.error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('OPERATION_NOT_TRUSTED');
      await expect(client.execute({ query: '{ gyms { id } }' })).rejects.toEqual([expect.objectContaining({ extensions: { code: 'OPERATION_NOT_TRUSTED' } })]);
      const unknown = await client.subscribe(byId(unknownHash, {})).ended;
      expect((unknown.error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

      const trusted = client.subscribe<{ machineStatusChanged: { machine: { id: string } } }>(byId(boardHash, { gymId }));
      await changeUntilSeen(trusted);
      expect(trusted.results[0]).toEqual({ data: { machineStatusChanged: expect.objectContaining({ machine: expect.objectContaining({ id: machineId }) }) } });
      const query = await client.execute(byId(gymsHash, {}));
      expect(query.data?.gyms.length).toBeGreaterThan(0);
      trusted.unsubscribe();
    } finally {
      await client.close();
    }
  });

  it('SSE: refuses an operation that is not in the manifest; streams one that is', async () => {
    const client = sseClient(stack.gateway.url, { token });
    try {
      const arbitrary = client.subscribe({ query: `subscription { machineStatusChanged(gymId: "${gymId}") { id status } }` });
      await arbitrary.ended;
      expect(arbitrary.results.flatMap((result) => result.errors ?? []).map((error) => error.extensions?.code)).toEqual(['OPERATION_NOT_TRUSTED']);
      expect(arbitrary.results.some((result) => result.data)).toBe(false);

      const trusted = client.subscribe<{ machineStatusChanged: { machine: { id: string } } }>(byId(boardHash, { gymId }));
      await changeUntilSeen(trusted);
      expect(trusted.results[0]!.data?.machineStatusChanged.machine.id).toBe(machineId);
      trusted.unsubscribe();
    } finally {
      client.close();
    }
  });
});

describe('trusted documents settings', () => {
  it('are enforced only in production, unless ALLOW_ARBITRARY_OPERATIONS=true', () => {
    const arbitrary = { query: '{ gyms { id } }' };
    expect(createTrustedDocuments(true).resolve(arbitrary)).toHaveProperty('error');
    expect(createTrustedDocuments(false).resolve(arbitrary)).toEqual(arbitrary);
    const allowed = loadGatewayEnv({ NODE_ENV: 'production', ALLOW_ARBITRARY_OPERATIONS: 'true', ...generatedAuthEnv() }).trustedDocuments;
    expect(createTrustedDocuments(true, allowed).resolve(arbitrary)).toEqual(arbitrary);
    expect(loadGatewayEnv({}).trustedDocuments.allowArbitraryOperations).toBe(false);
    // Outside production a manifest id still names its document (the SDK sends ids everywhere).
    expect(createTrustedDocuments(false).resolve({ extensions: persisted(gymsHash) })).toEqual({ query: manifest[`sha256:${gymsHash}`] });
  });
});
