/**
 * The composition root of the gateway process: the only place it reads the environment.
 * Configuration is parsed once (every problem in one line, exit 1); what it opens (tracing, the
 * revocation list, the rate limiter, the server) lives in one dispose scope, closed in reverse on SIGINT/SIGTERM.
 */
import {
  announce,
  configOrExit,
  createLogger,
  DisposeScope,
  exitOnStartupFailure,
  openRevocationList,
  redisCheck,
  startTracing,
  stopOnSignals,
  waitForDependencies,
} from '@fitgraph/service-kit';
import { gatewayOptionsOf, loadGatewayEnv } from './env';
import { openGatewayRateLimiter } from './rate-limit';
import { createGateway } from './server';

const config = configOrExit('gateway', () => loadGatewayEnv(process.env));
const logger = createLogger('gateway', config.logLevel, config.logFile);
const scope = new DisposeScope();
const gateway = await (async () => {
  const tracing = await startTracing({ serviceName: 'gateway', ...config.operations.tracing });
  scope.defer(() => tracing.shutdown());
  // Bounded: an unreachable Redis is one clear error within the timeout, not endless retries.
  await waitForDependencies({ redisUrl: config.redis.url, timeoutMs: config.operations.dependencyStartupTimeoutMs });
  // Revoked sessions recorded by the user subgraph reach this process through Redis.
  const revocations = scope.use(
    await openRevocationList({ redisUrl: config.redis.url, keyPrefix: config.redis.keyPrefix, accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds, logger }),
    (list) => list.close(),
  );
  // Per-client budgets, drawn on by every gateway replica through Redis when REDIS_URL is set.
  const rateLimiter = config.rateLimits && scope.use(openGatewayRateLimiter(config.rateLimits, logger), (limiter) => limiter.close());
  return scope.use(
    await createGateway({
      ...gatewayOptionsOf(config),
      supergraphPath: config.supergraphPath,
      watchSupergraph: config.watchSupergraph,
      logger,
      revocations,
      rateLimiter,
      // Its own Redis connection, opened (and closed after the gateway) here.
      readinessChecks: config.redis.url ? [scope.use(redisCheck(config.redis.url), (check) => check.close?.())] : [],
      tracing: tracing.enabled,
    }),
    (running) => running.stop(),
  );
})().catch(async (error: unknown) => {
  await scope.dispose().catch(() => {});
  return exitOnStartupFailure('gateway', error, config.logLevel);
});
logger.info({ url: gateway.url, internal: gateway.internalUrl }, 'gateway started');
announce(logger, 'gateway', config.production ? gateway.url : `${gateway.url}  (Apollo Sandbox: open it in a browser)`);
stopOnSignals(() => scope.dispose(), { logger, timeoutMs: config.operations.shutdownTimeoutMs });
