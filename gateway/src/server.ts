import { createServer } from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import {
  createErrorFormatter,
  createLogger,
  httpUrl,
  jsonErrorHandler,
  listen,
  requestIdOf,
  createTokenVerifier,
  loadAuthConfig,
  type AuthConfig,
  type Logger,
  type RunningServer,
  type Viewer,
} from '@fitgraph/service-kit';
import express from 'express';
import { checkSubgraphs } from './readiness';

/** What the gateway knows of each client request; forwarded to every subgraph fetch. */
export interface GatewayContext {
  requestId: string;
  /** Forwarded as-is: subgraphs verify the same token themselves (see service-kit auth.ts). */
  authorization: string | null;
  deviceKey: string | null;
  /** The client's address as this server sees it (Express `req.ip`), sent on as `x-forwarded-for` for per-IP throttling. */
  clientIp?: string | null;
  /** Verified here once per request, so a bad token fails fast with UNAUTHENTICATED. */
  viewer: Viewer | null;
}

export interface GatewayOptions {
  /** The composed supergraph SDL (schema/supergraph.graphql). */
  supergraphSdl: string;
  /** Subgraph name -> GraphQL URL; names missing here keep the supergraph file's URL. */
  subgraphUrls?: Record<string, string>;
  /** Port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Default: 127.0.0.1. */
  host?: string;
  /** Production hides Sandbox and turns introspection off. Default: false. */
  production?: boolean;
  /** Overrides the production default for introspection. */
  introspection?: boolean;
  logger?: Logger;
  /** Token verification keys; default: from env (DEV-ONLY keys when unset). */
  auth?: AuthConfig;
}

/** Header names the gateway passes through to subgraphs. */
const forwardedHeaders = { authorization: 'authorization', deviceKey: 'x-device-key', requestId: 'x-request-id' } as const;

/** Reads the subgraph URL map out of the supergraph (`@join__graph(name:, url:)`). */
export function supergraphSubgraphUrls(supergraphSdl: string): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const match of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) {
    urls[match[1]!] = match[2]!;
  }
  return urls;
}

/** The FitGraph gateway: Apollo Gateway over a static supergraph, with Sandbox, health and readiness. */
export async function createGateway(options: GatewayOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger('gateway');
  const production = options.production ?? false;
  const verifier = createTokenVerifier(options.auth ?? loadAuthConfig());
  const subgraphUrls = { ...supergraphSubgraphUrls(options.supergraphSdl), ...options.subgraphUrls };

  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<GatewayContext>({
        url: subgraphUrls[name] ?? url,
        willSendRequest: ({ request, context }) => {
          const headers = request.http?.headers;
          if (!headers || !context.requestId) return;
          headers.set(forwardedHeaders.requestId, context.requestId);
          if (context.authorization) headers.set(forwardedHeaders.authorization, context.authorization);
          if (context.deviceKey) headers.set(forwardedHeaders.deviceKey, context.deviceKey);
        // Set, not appended: a client's own x-forwarded-for never reaches a subgraph.
        if (context.clientIp) headers.set('x-forwarded-for', context.clientIp);
        },
      }),
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: options.introspection ?? !production,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const subgraphs = await checkSubgraphs(subgraphUrls);
    const ready = subgraphs.every((subgraph) => subgraph.status === 'up');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', subgraphs });
  });
  app.use('/graphql', (req, res, next) => {
    const requestId = requestIdOf(req);
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    next();
  });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const authorization = req.header(forwardedHeaders.authorization) ?? null;
        return {
          requestId: res.locals.requestId as string,
          authorization,
          deviceKey: req.header(forwardedHeaders.deviceKey) ?? null,
          clientIp: req.ip ?? null,
          viewer: await verifier.viewerFromAuthorization(authorization),
        };
      },
    }),
  );
  app.use(jsonErrorHandler);

  const host = options.host ?? '127.0.0.1';
  const port = await listen(httpServer, options.port ?? 0, host);
  return {
    url: httpUrl(host, port, '/graphql'),
    port,
    stop: async () => {
      await apollo.stop();
    },
  };
}
