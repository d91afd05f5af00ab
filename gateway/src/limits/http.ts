import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import { limitExceeded } from '@fitgraph/service-kit';

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
