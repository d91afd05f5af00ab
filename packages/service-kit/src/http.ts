import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler, Request } from 'express';

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
export function requestIdOf(req: Request): string {
  const given = req.header('x-request-id');
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** Malformed bodies and other HTTP-level errors answer as GraphQL-shaped JSON, never HTML or stacks. */
export const jsonErrorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = typeof error?.status === 'number' && error.status < 500 ? error.status : 500;
  const message = status < 500 ? 'Malformed request body' : 'Internal server error';
  res.status(status).json({
    errors: [{ message, extensions: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } }],
  });
};

/** A server listening on a port, with its graceful stop. */
export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}
