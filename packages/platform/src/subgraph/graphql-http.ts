/**
 * `/graphql` over plain `node:http`: body-parser's JSON parser (what `express.json()` is) reads the
 * body, and the request goes to Apollo Server's integration API (`executeHTTPGraphQLRequest`).
 * Express's router and `res.send` (an ETag hash of every answer) cost ~10 % of a subgraph's CPU on
 * the dashboard for nothing a subgraph needs; /healthz, /readyz and /metrics stay on Express.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type ContextThunk } from '@apollo/server';
import { httpErrorAnswer, type OperationGuard, type OperationRequestText } from '@fitgraph/service-kit';
import bodyParser from 'body-parser';
import type { GraphQLFormattedError } from 'graphql';

/** Largest request body (after inflating) `/graphql` reads: 1 MiB, as `express.json({ limit: '1mb' })` had it. */
export const maxGraphqlBodyBytes = 1024 * 1024;

/** Whether a request path is served by {@link graphqlHttpHandler} (Express's `app.use('/graphql')` matched the same: any case, sub-paths). */
export function isGraphqlPath(url: string | undefined): boolean {
  if (!url) return false;
  const query = url.indexOf('?');
  const path = (query === -1 ? url : url.slice(0, query)).toLowerCase();
  return path === '/graphql' || path.startsWith('/graphql/');
}

// JSON bodies only (objects and arrays), gzip/deflate/br inflated, the limit counted after
// inflating; its errors carry the HTTP status (400, 413, 415) that the answer keeps.
const parseJson = bodyParser.json({ limit: maxGraphqlBodyBytes });

/** The parsed JSON body, or undefined when the request has none of type `application/json` (Apollo Server answers those). */
function jsonBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  return new Promise((resolve, reject) => {
    parseJson(req, res, (error?: unknown) => (error ? reject(error) : resolve((req as { body?: unknown }).body)));
  });
}

const statusOf = (error: unknown): number => {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : 500;
};

const jsonObject = (text: string): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** The query text of a POST JSON body or GET parameters, if the request has one (else Apollo Server answers it). */
function operationOf(method: string, body: unknown, search: string): OperationRequestText | null {
  let fields: Record<string, unknown> | null = null;
  if (method === 'GET') fields = Object.fromEntries(new URLSearchParams(search));
  else if (body && typeof body === 'object' && !Array.isArray(body)) fields = body as Record<string, unknown>;
  if (!fields || typeof fields.query !== 'string') return null;
  const variables = typeof fields.variables === 'string' ? jsonObject(fields.variables) : fields.variables;
  return {
    query: fields.query,
    operationName: typeof fields.operationName === 'string' ? fields.operationName : null,
    variables: variables && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : null,
  };
}

/** A JSON answer `{ errors }` with its status. */
export function answerErrors(res: ServerResponse, status: number, errors: GraphQLFormattedError[]): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors }));
}

function answerError(res: ServerResponse, status: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const answer = httpErrorAnswer(status);
  res.statusCode = answer.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(answer.body);
}

/**
 * Serves `/graphql` (GET and POST) with `apollo`; `context` builds each operation's context from
 * the raw request. The operation limits come first, before Apollo parses, validates or runs it
 * (400 with OPERATION_LIMIT_EXCEEDED, formatted by `formatError`).
 */
export function graphqlHttpHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  options: {
    context: (req: IncomingMessage) => Promise<TContext>;
    guard: OperationGuard;
    formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  },
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { context, guard, formatError } = options;
  return async (req, res) => {
    try {
      const body = await jsonBody(req, res);
      const method = (req.method ?? 'GET').toUpperCase();
      const headers = new HeaderMap();
      for (const key in req.headers) {
        const value = req.headers[key];
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const url = req.url ?? '';
      const query = url.indexOf('?');
      const search = query === -1 ? '' : url.slice(query);
      const operation = operationOf(method, body, search);
      const checked = operation && guard.check(operation);
      if (checked && 'errors' in checked) {
        answerErrors(res, 400, checked.errors.map((error) => formatError(error.toJSON(), error)));
        return;
      }
      const contextValue: ContextThunk<TContext> = () => context(req);
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search, body },
        context: contextValue,
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      answerError(res, statusOf(error));
    }
  };
}
