import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler } from 'express';

/** Listens and resolves with the bound port (pass 0 for a free one). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

/** Listens on `port` (0: a free one) and answers where: the bound port and the endpoint's URL. */
export async function listenAt(server: Server, port: number, host: string, path: string): Promise<{ url: string; port: number }> {
  const bound = await listen(server, port, host);
  return { url: httpUrl(host, bound, path), port: bound };
}

export const httpUrl = (host: string, port: number, path = '') =>
  `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}${path}`;

/** The caller's `x-request-id`, or a fresh one, so one id follows a request across services. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/**
 * The GraphQL-shaped JSON answer to an HTTP-level failure (malformed or oversized body, an
 * unexpected throw): statuses under 500 are the caller's BAD_REQUEST, anything else a bare 500.
 */
export function httpErrorAnswer(status: number): { status: number; body: string } {
  const clientError = status < 500;
  const code = clientError ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
  const message = clientError ? 'Malformed request body' : 'Internal server error';
  return { status: clientError ? status : 500, body: JSON.stringify({ errors: [{ message, extensions: { code } }] }) };
}

/** Malformed bodies and other HTTP-level errors answer as GraphQL-shaped JSON, never HTML or stacks. */
export const jsonErrorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  const answer = httpErrorAnswer(typeof error?.status === 'number' ? error.status : 500);
  res.status(answer.status).type('application/json').send(answer.body);
};

/** A server listening on a port, with its graceful stop. */
export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}
