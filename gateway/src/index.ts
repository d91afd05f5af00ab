/**
 * The composition root of the gateway process: the only place it reads the environment.
 * Configuration is parsed once (every problem printed, exit 1); what it opens (the revocation
 * list, the server) lives in one dispose scope, closed in reverse on SIGINT/SIGTERM.
 */
import { announce, configOrExit, createLogger, DisposeScope, openRevocationList, stopOnSignals } from '@fitgraph/service-kit';
import { gatewayOptionsOf, loadGatewayEnv } from './env';
import { createGateway } from './server';

const config = configOrExit('gateway', () => loadGatewayEnv(process.env));
const logger = createLogger('gateway', config.logLevel, config.logFile);
const scope = new DisposeScope();
// Revoked sessions recorded by the user subgraph reach this process through Redis.
const revocations = scope.use(
  await openRevocationList({ redisUrl: config.redis.url, keyPrefix: config.redis.keyPrefix, accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds, logger }),
  (list) => list.close(),
);
const gateway = scope.use(
  await createGateway({
    ...gatewayOptionsOf(config),
    supergraphPath: config.supergraphPath,
    watchSupergraph: config.watchSupergraph,
    logger,
    revocations,
  }),
  (running) => running.stop(),
);
logger.info({ url: gateway.url }, 'gateway started');
announce(logger, 'gateway', config.production ? gateway.url : `${gateway.url}  (Apollo Sandbox: open it in a browser)`);
stopOnSignals(() => scope.dispose());
