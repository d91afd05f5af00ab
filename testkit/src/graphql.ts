import { request } from 'node:http';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { gatewayHeaders } from './gateway-attestation';

export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
}

export interface RequestOptions {
  variables?: Record<string, unknown>;
  /** Access token; sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
  /**
   * The local address to send from, e.g. `127.0.0.2`: on loopback every 127.x address is this
   * machine, so tests can act as several client IPs without forging `x-forwarded-for`.
   */
  from?: string;
  /**
   * To a subgraph the testkit started: the client address the gateway's attestation names.
   * Default: `from`, else 127.0.0.1.
   */
  clientIp?: string | null;
  /** Send no gateway attestation to a subgraph (a caller that is not the gateway). Default: false. */
  unsigned?: boolean;
}

/** POST over node:http from a chosen local address (fetch cannot bind one). */
function postFrom(url: string, from: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, localAddress: from }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Options of a typed operation: its variables are checked against the document's. */
export type TypedRequestOptions<TVariables> = Omit<RequestOptions, 'variables'> &
  (Record<string, never> extends TVariables ? { variables?: TVariables } : { variables: TVariables });

/** An operation: its text, or a typed document from `pnpm codegen` (testkit/src/operations, ./generated). */
type Operation = string | TypedDocumentNode<unknown, unknown>;
const textOf = (operation: Operation): string => (typeof operation === 'string' ? operation : print(operation));

/** POSTs one operation; never throws on GraphQL errors (tests assert on them). */
export async function graphql<TData, TVariables>(url: string, document: TypedDocumentNode<TData, TVariables>, options: TypedRequestOptions<TVariables>): Promise<GraphQLResponse<TData>>;
export async function graphql<TData = Record<string, any>>(url: string, query: string, options?: RequestOptions): Promise<GraphQLResponse<TData>>;
export async function graphql<TData>(url: string, operation: Operation, options: RequestOptions = {}): Promise<GraphQLResponse<TData>> {
  const query = textOf(operation);
  const headers = {
    'content-type': 'application/json',
    ...(options.unsigned ? {} : gatewayHeaders(url, options.clientIp === undefined ? (options.from ?? '127.0.0.1') : options.clientIp)),
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  const payload = JSON.stringify({ query, variables: options.variables });
  const response = options.from
    ? await postFrom(url, options.from, headers, payload)
    : await fetch(url, { method: 'POST', headers, body: payload }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
  const text = response.text;
  let body: { data?: TData | null; errors?: GraphQLFormattedError[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`Non-JSON response (HTTP ${response.status}) to:\n${query}\n---\n${text.slice(0, 2000)}`);
  }
  return { status: response.status, headers: response.headers, ...body };
}

/** Like {@link graphql} but fails (printing query and body) unless the response has data and no errors. */
export async function graphqlData<TData, TVariables>(url: string, document: TypedDocumentNode<TData, TVariables>, options: TypedRequestOptions<TVariables>): Promise<TData>;
export async function graphqlData<TData = Record<string, any>>(url: string, query: string, options?: RequestOptions): Promise<TData>;
export async function graphqlData<TData>(url: string, operation: Operation, options: RequestOptions = {}): Promise<TData> {
  const query = textOf(operation);
  const response = await graphql<TData>(url, query, options);
  if (response.errors?.length || !response.data) {
    throw new Error(
      `GraphQL request failed (HTTP ${response.status})\nquery: ${query}\nvariables: ${JSON.stringify(options.variables)}\nbody: ${JSON.stringify({ data: response.data, errors: response.errors }, null, 2)}`,
    );
  }
  return response.data;
}

/** The `extensions.code` of each error, for concise assertions. */
export const errorCodes = (response: GraphQLResponse<unknown>): unknown[] =>
  (response.errors ?? []).map((error) => error.extensions?.code);
