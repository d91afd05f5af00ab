/**
 * A service's internal listener: metrics and detailed readiness, on a port of its own that is
 * bound apart from the public one (probes and the Prometheus scrape reach it; the ingress does
 * not). The public port keeps only `/healthz` and a status-only `/readyz`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Readiness } from './dependencies';
import { listenAt, type RunningServer } from './http';
import type { ServiceMetrics } from './metrics';

export interface InternalServerOptions {
  port: number;
  host: string;
  metrics: ServiceMetrics;
  /** Detailed readiness: every dependency with where it is and why it is down. */
  readiness(): Promise<{ ready: boolean; body: Record<string, unknown> }>;
  /** Liveness details (what `/healthz` on the public port no longer shows). */
  health?(): Record<string, unknown>;
}

const sendJson = (res: ServerResponse, status: number, body: unknown) =>
  void res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));

/** Serves `GET /metrics`, `/readyz` (detailed) and `/healthz` (detailed) on the internal port. */
export async function startInternalServer(options: InternalServerOptions): Promise<RunningServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    if (path === '/metrics') {
      const body = await options.metrics.render();
      return void res.writeHead(200, { 'content-type': options.metrics.contentType }).end(body);
    }
    if (path === '/readyz') {
      const { ready, body } = await options.readiness();
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', ...body });
    }
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok', ...options.health?.() });
    return sendJson(res, 404, { error: 'not found: this port serves /metrics, /readyz and /healthz' });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
  // Probes and scrapes are short requests: nothing here should hold a socket open.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  const { url, port } = await listenAt(server, options.port, options.host, '');
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The public `/readyz` body: the status alone, no addresses, names or reasons. */
export const publicReadiness = async (readiness: Pick<Readiness, 'check'>): Promise<{ status: number; body: { status: string } }> => {
  const { ready } = await readiness.check();
  return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'unavailable' } };
};
