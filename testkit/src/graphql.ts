import type { GraphQLFormattedError } from 'graphql';

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
}

/** POSTs one operation; never throws on GraphQL errors (tests assert on them). */
export async function graphql<TData = Record<string, any>>(
  url: string,
  query: string,
  options: RequestOptions = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const text = await response.text();
  let body: { data?: TData | null; errors?: GraphQLFormattedError[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`Non-JSON response (HTTP ${response.status}) to:\n${query}\n---\n${text.slice(0, 2000)}`);
  }
  return { status: response.status, headers: response.headers, ...body };
}

/** Like {@link graphql} but fails (printing query and body) unless the response has data and no errors. */
export async function graphqlData<TData = Record<string, any>>(
  url: string,
  query: string,
  options: RequestOptions = {},
): Promise<TData> {
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
