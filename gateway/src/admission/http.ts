/**
 * GraphQL over HTTP (POST and GET) into the admission: the request's parameters in, and out
 * either a refusal (its status, `RateLimit-*` and `Retry-After` headers, coded errors) or the
 * admitted text put where Apollo Server reads it, so Apollo runs exactly what was admitted.
 */
import type { GraphQLFormattedError } from 'graphql';
import type { Request, RequestHandler, Response } from 'express';
import { setRateLimitHeaders, type RateLimitSubject } from '../rate-limit';
import type { OperationAdmission, OperationParams } from './index';

type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

const jsonParam = (text: string | null): unknown => {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: the admission refuses it as a value of the wrong kind.
    return text;
  }
};

/**
 * The operation a request carries; null when it carries none (a browser opening the endpoint,
 * another method), which Apollo Server answers itself without running anything; 'not-json' for a
 * POST whose body `express.json()` did not parse (another content type).
 */
function paramsOf(req: Request): OperationParams | OperationParams[] | 'not-json' | null {
  if (req.method === 'POST') {
    const body: unknown = req.body;
    if (Array.isArray(body)) return body as OperationParams[];
    return body && typeof body === 'object' ? (body as OperationParams) : 'not-json';
  }
  if (req.method !== 'GET') return null;
  const search = new URL(req.originalUrl, 'http://gateway.invalid').searchParams;
  if (!search.has('query') && !search.has('documentId') && !search.has('extensions')) return null;
  return {
    query: search.get('query') ?? undefined,
    documentId: search.get('documentId') ?? undefined,
    operationName: search.get('operationName') ?? undefined,
    variables: jsonParam(search.get('variables')),
    extensions: jsonParam(search.get('extensions')),
  };
}

/** Express middleware (after `express.json()`, before Apollo's): every HTTP operation through the admission. */
export function httpAdmission(
  admission: OperationAdmission,
  options: {
    /** Who the request is from (the verified viewer, the client's address). */
    subjectOf(req: Request, res: Response): Promise<RateLimitSubject>;
    formatError: ErrorFormatter;
  },
): RequestHandler {
  return (req, res, next) => {
    const params = paramsOf(req);
    if (params === null) return next();
    if (params === 'not-json') {
      const message = 'Send the operation as a JSON body (content-type: application/json)';
      return void res.status(415).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    }
    if (Array.isArray(params)) {
      const message = 'Batched operations are not supported: send one operation per request';
      return void res.status(400).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    }
    options
      .subjectOf(req, res)
      .then((subject) => admission.admit(params, subject))
      .then((admitted) => {
        if (admitted.rateLimit) setRateLimitHeaders(res, admitted.rateLimit);
        if (!admitted.admitted) {
          const retryAfter = admitted.errors[0]?.extensions.retryAfter;
          if (admitted.status === 429 && retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
          res.status(admitted.status).json({ errors: admitted.errors.map((error) => options.formatError(error.toJSON(), error)) });
          return;
        }
        if (req.method === 'POST') {
          (req.body as { query?: string }).query = admitted.query;
        } else {
          const url = new URL(req.url, 'http://gateway.invalid');
          if (url.searchParams.get('query') !== admitted.query) {
            url.searchParams.set('query', admitted.query);
            req.url = `${url.pathname}${url.search}`;
          }
        }
        next();
      })
      .catch(next);
  };
}
