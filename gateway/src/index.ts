import { announce, createLogger, loadAuthConfig, stopOnSignals } from '@fitgraph/service-kit';
import { readSupergraph } from './composition';
import { loadGatewayEnv } from './env';
import { createGateway } from './server';

const env = loadGatewayEnv();
const logger = createLogger('gateway', env.LOG_LEVEL);
const production = env.NODE_ENV === 'production';
const gateway = await createGateway({
  supergraphSdl: readSupergraph(),
  subgraphUrls: env.subgraphUrls,
  port: env.PORT,
  host: env.HOST,
  production,
  introspection: env.INTROSPECTION === undefined ? undefined : env.INTROSPECTION === 'true',
  logger,
  auth: loadAuthConfig(),
  subscriptions: env.subscriptions,
});
logger.info({ url: gateway.url }, 'gateway started');
announce(logger, 'gateway', production ? gateway.url : `${gateway.url}  (Apollo Sandbox: open it in a browser)`);
stopOnSignals(() => gateway.stop());
