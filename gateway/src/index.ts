import { announce, createLogger, loadAuthConfig, openRevocationList, stopOnSignals } from '@fitgraph/service-kit';
import { readSupergraph } from './composition';
import { loadGatewayEnv } from './env';
import { createGateway } from './server';

const env = loadGatewayEnv();
const logger = createLogger('gateway', env.LOG_LEVEL);
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
  supergraphSdl: readSupergraph(),
  subgraphUrls: env.subgraphUrls,
  port: env.PORT,
  host: env.HOST,
  production,
  introspection: env.INTROSPECTION === undefined ? undefined : env.INTROSPECTION === 'true',
  logger,
  auth,
  revocations,
  subscriptions: env.subscriptions,
  subgraphFetch: env.subgraphFetch,
});
logger.info({ url: gateway.url }, 'gateway started');
announce(logger, 'gateway', production ? gateway.url : `${gateway.url}  (Apollo Sandbox: open it in a browser)`);
stopOnSignals(async () => {
  await gateway.stop();
  await revocations.close();
});
