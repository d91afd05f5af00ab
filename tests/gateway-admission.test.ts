/**
 * The gateway's admission in production (trusted documents enforced), with the whole stack: a
 * trusted document's id runs over every transport, SSE GET and POST included, and an id whose
 * `operationName` names no operation of the document, or a document whose operation cannot be
 * told, is a coded 400 (no 500, no error logged), on HTTP POST and GET, graphql-ws and SSE.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FormattedExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustedDocuments } from '@fitgraph/gateway/trusted-documents';
import { errorCodes, generatedAuthEnv, graphqlWsClient, startTestStack, testLogFile, type TestStack } from '@fitgraph/testkit';

const manifest = TrustedDocuments.readManifest();
const gymsId = Object.keys(manifest).find((id) => manifest[id]!.startsWith('query Gyms '))!;

const codesOf = (result: FormattedExecutionResult | undefined) => (result?.errors ?? []).map((error) => error.extensions?.code);

describe('admission in production: trusted ids on every transport, coded refusals', () => {
  let stack: TestStack;
  let url: string;
  const requestIds: string[] = [];
  const headers = () => {
    const id = `admission-${randomUUID()}`;
    requestIds.push(id);
    return { 'x-request-id': id, 'apollo-require-preflight': 'true' };
  };
  const post = async (body: Record<string, unknown>, extra: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { ...headers(), 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) });
    return { status: response.status, text: await response.text() };
  };
  const get = async (params: Record<string, string>, extra: Record<string, string> = {}) => {
    const response = await fetch(`${url}?${new URLSearchParams(params)}`, { headers: { ...headers(), ...extra } });
    return { status: response.status, text: await response.text() };
  };
  /** The payloads of an event stream's `next` events. */
  const events = (text: string) => [...text.matchAll(/^event: next\ndata: (.*)$/gm)].map((match) => JSON.parse(match[1]!) as FormattedExecutionResult);
  const sse = { accept: 'text/event-stream' };

  beforeAll(async () => {
    stack = await startTestStack({ NODE_ENV: 'production', ...generatedAuthEnv() });
    url = stack.gateway.url;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs a trusted id over SSE GET and POST, as over HTTP and graphql-ws', async () => {
    const viaHttp = JSON.parse((await post({ documentId: gymsId })).text) as FormattedExecutionResult<{ gyms: unknown[] }>;
    expect(viaHttp.errors).toBeUndefined();
    expect(viaHttp.data!.gyms.length).toBeGreaterThan(0);
    const sseGet = await get({ documentId: gymsId }, sse);
    expect(sseGet.status).toBe(200);
    expect(events(sseGet.text)).toEqual([viaHttp]);
    const ssePost = await post({ documentId: gymsId }, sse);
    expect(events(ssePost.text)).toEqual([viaHttp]);
    const ssePersisted = await get({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: gymsId.replace(/^sha256:/, '') } }) }, sse);
    expect(events(ssePersisted.text)).toEqual([viaHttp]);
    const ws = graphqlWsClient(url);
    try {
      expect(await ws.execute({ query: '', documentId: gymsId } as never)).toEqual(viaHttp);
    } finally {
      await ws.close();
    }
  });

  it('answers an id with an operationName the document does not have, or several operations without one, with a coded 400', async () => {
    const wrongName = `NoSuchOperation${randomUUID().slice(0, 8)}`;
    const logFile = testLogFile();
    const logBefore = logFile ? readFileSync(logFile, 'utf8').length : 0;

    const byPost = await post({ documentId: gymsId, operationName: wrongName });
    expect([byPost.status, errorCodes(JSON.parse(byPost.text))]).toEqual([400, ['OPERATION_RESOLUTION_FAILURE']]);
    const byGet = await get({ documentId: gymsId, operationName: wrongName });
    expect([byGet.status, errorCodes(JSON.parse(byGet.text))]).toEqual([400, ['OPERATION_RESOLUTION_FAILURE']]);
    expect(codesOf(events((await get({ documentId: gymsId, operationName: wrongName }, sse)).text)[0])).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    expect(codesOf(events((await post({ documentId: gymsId, operationName: wrongName }, sse)).text)[0])).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    const ws = graphqlWsClient(url);
    try {
      const refused = await ws.execute({ query: '', documentId: gymsId, operationName: wrongName } as never).catch((errors: unknown) => ({ errors }) as FormattedExecutionResult);
      expect(codesOf(refused)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    } finally {
      await ws.close();
    }
    // Two operations, no operationName: not in the manifest, so refused as untrusted before anything else (400, coded).
    const two = await post({ query: 'query A { __typename } query B { __typename }' });
    expect([two.status, errorCodes(JSON.parse(two.text))]).toEqual([400, ['OPERATION_NOT_TRUSTED']]);

    if (logFile) {
      const errorLines = readFileSync(logFile, 'utf8')
        .slice(logBefore)
        .split('\n')
        .filter((line) => /"level":(50|60)/.test(line) && (line.includes(wrongName) || requestIds.some((id) => line.includes(id))));
      expect(errorLines).toEqual([]);
    }
  });
});
