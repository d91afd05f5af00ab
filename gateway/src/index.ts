import { announce, createLogger, loadAuthConfig, openRevocationList, stopOnSignals } from '@fitgraph/service-kit';
import { loadGatewayEnv } from './env';
import { createGateway } from './server';

const env = loadGatewayEnv();
const logger = createLogger('gateway', env.LOG_LEVEL, env.LOG_FILE);
const production = env.NODE_ENV === 'production';
const auth = loadAuthConfig();
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
});
logger.info({ url: gateway.url }, 'gateway started');
announce(logger, 'gateway', production ? gateway.url : `${gateway.url}  (Apollo Sandbox: open it in a browser)`);
stopOnSignals(async () => {
  await gateway.stop();
  await revocations.close();
});
