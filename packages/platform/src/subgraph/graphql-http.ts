/**
 * `/graphql` over plain `node:http`: body-parser's JSON parser (what `express.json()` is) reads the
 * body, and the request goes to Apollo Server's integration API (`executeHTTPGraphQLRequest`).
 * Express's router and `res.send` (an ETag hash of every answer) cost ~10 % of a subgraph's CPU on
 * the dashboard for nothing a subgraph needs; /healthz, /readyz and /metrics stay on Express.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type ContextThunk } from '@apollo/server';
import { httpErrorAnswer } from '@fitgraph/service-kit';
import bodyParser from 'body-parser';

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

/** Serves `/graphql` (GET and POST) with `apollo`; `context` builds each operation's context from the raw request. */
export function graphqlHttpHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: IncomingMessage) => Promise<TContext>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      const body = await jsonBody(req, res);
      const headers = new HeaderMap();
      for (const key in req.headers) {
        const value = req.headers[key];
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const url = req.url ?? '';
      const query = url.indexOf('?');
      const contextValue: ContextThunk<TContext> = () => context(req);
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: query === -1 ? '' : url.slice(query), body },
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
