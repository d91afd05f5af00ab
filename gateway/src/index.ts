import {
  announce,
  createLogger,
  exitOnStartupFailure,
  loadAuthConfig,
  openRevocationList,
  redisCheck,
  startTracing,
  stopOnSignals,
  waitForDependencies,
} from '@fitgraph/service-kit';
import { loadGatewayEnv } from './env';
import { createGateway } from './server';

let env: ReturnType<typeof loadGatewayEnv>;
let auth: ReturnType<typeof loadAuthConfig>;
try {
  env = loadGatewayEnv();
  auth = loadAuthConfig();
} catch (error) {
  exitOnStartupFailure('gateway', error);
}
const logger = createLogger('gateway', env.LOG_LEVEL, env.LOG_FILE);
const production = env.NODE_ENV === 'production';
const tracing = startTracing({ serviceName: 'gateway', exporter: env.OTEL_TRACES_EXPORTER, otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
// Bounded: an unreachable Redis is one clear error within the timeout, not endless retries.
await waitForDependencies({ redisUrl: env.REDIS_URL, timeoutMs: env.DEPENDENCY_STARTUP_TIMEOUT_MS }).catch((error: unknown) =>
  exitOnStartupFailure('gateway', error),
);
// Revoked sessions recorded by the user subgraph reach this process through Redis.
const revocations = await openRevocationList({
  redisUrl: env.REDIS_URL,
  keyPrefix: env.REDIS_KEY_PREFIX,
  accessTokenTtlSeconds: auth.accessTokenTtlSeconds,
  logger,
});
const gateway = await createGateway({
  supergraphPath: env.supergraphPath,
  watchSupergraph: env.watchSupergraph,
  subgraphUrls: env.subgraphUrls,
  resilience: env.resilience,
  rateLimits: env.rateLimits,
  port: env.PORT,
  host: env.HOST,
  production,
  introspection: env.INTROSPECTION === undefined ? undefined : env.INTROSPECTION === 'true',
  logger,
  auth,
  revocations,
  subscriptions: env.subscriptions,
  trustedDocuments: env.trustedDocuments,
  limits: env.limits,
  trustedProxies: env.TRUSTED_PROXIES,
  maxStringLength: env.MAX_STRING_LENGTH,
  readinessChecks: env.REDIS_URL ? [redisCheck(env.REDIS_URL)] : [],
  subgraphFetch: env.subgraphFetch,
});
logger.info({ url: gateway.url }, 'gateway started');
announce(logger, 'gateway', production ? gateway.url : `${gateway.url}  (Apollo Sandbox: open it in a browser)`);
stopOnSignals(
  async () => {
    await gateway.stop();
    await revocations.close();
    await tracing.shutdown();
  },
  { logger, timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
);
