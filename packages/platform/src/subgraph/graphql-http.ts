/**
 * `/graphql` over plain `node:http`: reads the JSON body itself and hands the request to Apollo
 * Server's integration API (`executeHTTPGraphQLRequest`). Express, its router, body-parser and
 * `res.send` (an ETag hash of every answer) cost ~10 % of a subgraph's CPU on the dashboard for
 * nothing a subgraph needs; the rest of the paths (/healthz, /readyz, /metrics) stay on Express.
 * Body handling is what `express.json({ limit: '1mb' })` did: JSON only when the content type
 * says so, objects and arrays only, gzip/deflate/br inflated, the limit counted after inflating.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HeaderMap, type ApolloServer, type BaseContext, type ContextThunk } from '@apollo/server';
import { httpErrorAnswer } from '@fitgraph/service-kit';

/** Largest request body (after inflating) `/graphql` reads: 1 MiB, like `express.json({ limit: '1mb' })`. */
export const maxGraphqlBodyBytes = 1024 * 1024;

/** Whether a request path is served by {@link graphqlHttpHandler} (Express's `app.use('/graphql')` matched the same: any case, sub-paths). */
export function isGraphqlPath(url: string | undefined): boolean {
  if (!url) return false;
  const query = url.indexOf('?');
  const path = (query === -1 ? url : url.slice(0, query)).toLowerCase();
  return path === '/graphql' || path.startsWith('/graphql/');
}

/** An HTTP-level refusal: answered as GraphQL-shaped JSON with this status (service-kit `httpErrorAnswer`). */
class BodyError extends Error {
  constructor(readonly status: number) {
    super(`request body refused (${status})`);
  }
}

const isJsonType = (contentType: string | undefined): boolean => {
  if (!contentType) return false;
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
};

/** `charset=` of a content type other than UTF-8 (body-parser answered those 415), or null. */
const foreignCharset = (contentType: string): string | null => {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  return charset && charset !== 'utf-8' && charset !== 'utf8' ? charset : null;
};

function decodedStream(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return req;
  const inflate = encoding === 'gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : null;
  if (!inflate) throw new BodyError(415);
  req.pipe(inflate);
  return inflate;
}

/**
 * The request's text, at most {@link maxGraphqlBodyBytes}. Over the limit (declared or counted)
 * the rest is read off and dropped before the 413, so the caller can finish sending and read it.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > maxGraphqlBodyBytes) {
      req.resume();
      req.once('end', () => reject(new BodyError(413)));
      req.once('error', () => reject(new BodyError(400)));
      return;
    }
    let source: Readable;
    try {
      source = decodedStream(req);
    } catch (error) {
      req.resume();
      return reject(error);
    }
    const chunks: Buffer[] = [];
    let length = 0;
    let tooLarge = false;
    source.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      length += chunk.length;
      if (length > maxGraphqlBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    source.once('end', () => {
      if (tooLarge) reject(new BodyError(413));
      else resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, length).toString('utf8'));
    });
    // Aborted uploads and broken compressed streams.
    source.once('error', () => {
      req.resume();
      reject(new BodyError(400));
    });
  });
}

/** The parsed JSON body, or undefined when the request has none of type `application/json` (Apollo Server answers those). */
async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const contentType = req.headers['content-type'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
  if (!hasBody || !isJsonType(contentType)) return undefined;
  if (foreignCharset(contentType!)) {
    req.resume();
    throw new BodyError(415);
  }
  const text = await readBody(req);
  if (text.length === 0) return {};
  // Strict JSON as body-parser had it: an object or an array, nothing else.
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[') throw new BodyError(400);
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(400);
  }
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

/** Serves `/graphql` (GET and POST) with `apollo`; `context` builds each operation's context from the raw request. */
export function graphqlHttpHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: IncomingMessage) => Promise<TContext>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      const body = await jsonBody(req);
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
      answerError(res, error instanceof BodyError ? error.status : 500);
    }
  };
}
