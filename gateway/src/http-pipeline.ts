/**
 * The gateway's public HTTP pipeline (Express): `/healthz` and a status-only `/readyz`, then
 * `/graphql` (request id, client address and the bearer token verified once; event streams to
 * the SSE transport; every other operation through the admission into Apollo's middleware), and
 * JSON answers for too-large bodies, broken JSON and unknown paths. The gateway's parts come in
 * built; this module only orders them.
 */
import type { RequestListener } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import type { Role, Viewer } from '@fitgraph/platform';
import { httpTracingMiddleware, jsonErrorHandler, requestIdOf, type TokenVerifier } from '@fitgraph/service-kit';
import express from 'express';
import type { GraphQLFormattedError } from 'graphql';
import type { OperationAdmission } from './admission';
import { httpAdmission } from './admission/http';
import type { GatewayContext } from './context';
import { forwardedHeaders } from './fetch/data-source';
import { readLimitedText, requestTooLargeHandler } from './limits/http';
import type { ClientAddresses } from './subscriptions/identity';
import type { SseTransport } from './subscriptions/transports';

export interface HttpPipelineParts {
  /** Started (`apollo.start()`) before the pipeline serves. */
  apollo: ApolloServer<GatewayContext>;
  admission: OperationAdmission;
  sse: Pick<SseTransport, 'accepts' | 'handle'>;
  verifier: TokenVerifier<Role>;
  /** The client's address for every transport (TRUSTED_PROXIES); `req.ip` agrees. */
  addresses: ClientAddresses;
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  /** Whether the gateway can serve now (the public /readyz says only this). */
  ready(): Promise<boolean>;
  /** Largest request body (bytes), JSON or event-stream request. */
  maxRequestBytes: number;
  /** A span per request. */
  tracing: boolean;
}

/** The request listener of the public server. */
export function createHttpPipeline(parts: HttpPipelineParts): RequestListener {
  const { apollo, admission, sse, verifier, addresses, formatError, maxRequestBytes } = parts;
  const app = express();
  app.disable('x-powered-by');
  // No ETag per answer (Express hashes every response body for it): GraphQL answers are POSTs or
  // per-viewer GETs that no client revalidates with If-None-Match. ~1 % of the gateway's CPU.
  app.set('etag', false);
  app.set('trust proxy', addresses.trust);
  if (parts.tracing) app.use(httpTracingMiddleware('gateway'));

  // The public port says only whether it serves; what it depends on, where, and its metrics are
  // the internal listener's (an attacker learns no addresses, operation names or breaker states).
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res, next) => {
    parts
      .ready()
      .then((ready) => res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' }))
      .catch(next);
  });
  app.use('/graphql', (req, res, next) => {
    const requestId = requestIdOf(req);
    res.locals.requestId = requestId;
    res.locals.clientIp = addresses.of(req);
    res.setHeader('x-request-id', requestId);
    // Verified once per request, for the rate limit and the context (rejects with UNAUTHENTICATED when invalid).
    const viewer: Promise<Viewer | null> = verifier.viewerFromAuthorization(req.header(forwardedHeaders.authorization) ?? null);
    viewer.catch(() => {});
    res.locals.viewer = viewer;
    next();
  });
  // Event streams (GET or POST with Accept: text/event-stream): the SSE transport admits and streams them.
  app.use('/graphql', (req, res, next) => {
    if (!sse.accepts(req)) return next();
    sse.handle(req, res, () => readLimitedText(req, res, maxRequestBytes)).catch(next);
  });
  app.use(
    '/graphql',
    express.json({ limit: maxRequestBytes }),
    httpAdmission(admission, {
      // A bad token counts as anonymous here; the context below answers it with UNAUTHENTICATED.
      subjectOf: async (_req, res) => ({ viewer: await (res.locals.viewer as Promise<Viewer | null>).catch(() => null), clientIp: res.locals.clientIp as string }),
      formatError,
    }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => ({
        requestId: res.locals.requestId as string,
        authorization: req.header(forwardedHeaders.authorization) ?? null,
        deviceKey: req.header(forwardedHeaders.deviceKey) ?? null,
        clientIp: res.locals.clientIp as string,
        viewer: await (res.locals.viewer as Promise<Viewer | null>),
      }),
    }),
  );
  app.use(requestTooLargeHandler(maxRequestBytes));
  app.use(jsonErrorHandler);
  // Anything else is not here (metrics and details live on the internal listener): JSON, not Express's HTML page.
  app.use((_req, res) => void res.status(404).json({ errors: [{ message: 'Not found: GraphQL is served on /graphql', extensions: { code: 'NOT_FOUND' } }] }));
  return app;
}
