import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { limitExceeded, type OperationGuard, type OperationRequestText } from '@fitgraph/service-kit';

type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

const jsonObject = (text: unknown): Record<string, unknown> | null => {
  if (typeof text !== 'string') return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** The query text of an HTTP GraphQL request (POST JSON body or GET parameters), if it has one. */
function operationOf(req: express.Request): OperationRequestText | null {
  const fields: Record<string, unknown> | null =
    req.method === 'GET' ? (req.query as Record<string, unknown>) : req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : null;
  if (!fields || typeof fields.query !== 'string') return null;
  const variables = typeof fields.variables === 'string' ? jsonObject(fields.variables) : fields.variables;
  return {
    query: fields.query,
    operationName: typeof fields.operationName === 'string' ? fields.operationName : null,
    variables: variables && typeof variables === 'object' ? (variables as Record<string, unknown>) : null,
  };
}

/**
 * HTTP POST/GET: the operation limits before Apollo parses, validates or plans anything. A
 * request without query text (malformed, a persisted-query hash) goes on for Apollo to answer.
 */
export function operationLimitsMiddleware(guard: OperationGuard, formatError: ErrorFormatter): RequestHandler {
  return (req, res, next) => {
    const request = operationOf(req);
    if (!request) return next();
    const checked = guard.check(request);
    if (!('errors' in checked)) return next();
    res.status(400).json({ errors: checked.errors.map((error: GraphQLError) => formatError(error.toJSON(), error)) });
  };
}

/**
 * Reads a request body of any content type as text, up to `maxBytes` (body-parser stops
 * reading beyond it and rejects with "entity too large", which `requestTooLargeHandler` turns
 * into a 413); null when the request has no body.
 */
export function readLimitedText(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<string | null> {
  const parser = express.text({ type: () => true, limit: maxBytes });
  const request = req as express.Request;
  return new Promise((resolve, reject) =>
    parser(request, res as express.Response, (error?: unknown) => (error ? reject(error) : resolve(typeof request.body === 'string' ? request.body : null))),
  );
}

/** Turns body-parser's "entity too large" into a 413 with a coded GraphQL error; other errors go on. */
export function requestTooLargeHandler(maxBytes: number): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (res.headersSent || (error as { type?: string })?.type !== 'entity.too.large') return next(error);
    const tooLarge = limitExceeded('requestBytes', maxBytes, undefined, 'bytes of request body');
    res.status(413).set('connection', 'close').json({ errors: [{ message: tooLarge.message, extensions: tooLarge.extensions }] });
  };
}
