import { createGateway } from '@fitgraph/gateway';
import { readSupergraph } from '@fitgraph/gateway/composition';
import { loadGatewayEnv } from '@fitgraph/gateway/env';
import { chatSubgraph } from '@fitgraph/chat-subgraph';
import { gymSubgraph } from '@fitgraph/gym-subgraph';
import { nutritionSubgraph } from '@fitgraph/nutrition-subgraph';
import {
  announce,
  createLogger,
  envPrefix,
  eventsEnv,
  loadAuthConfig,
  loadEnv,
  openEventBus,
  openPubSub,
  openRevocationList,
  startSubgraphService,
  type AnySubgraphDefinition,
  type EventBus,
  type RunningServer,
  type RunningSubgraph,
  type SubgraphName,
  waitForDependencies,
} from '@fitgraph/service-kit';
import { userSubgraph } from '@fitgraph/user-subgraph';
import { workoutSubgraph } from '@fitgraph/workout-subgraph';

export const allSubgraphs: AnySubgraphDefinition[] = [userSubgraph, gymSubgraph, workoutSubgraph, nutritionSubgraph, chatSubgraph];

export interface RunningStack {
  gateway: RunningServer;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  /** The event bus every subgraph of the stack shares. */
  events: EventBus;
  /**
   * Starts a stopped subgraph again on its old port (so the gateway finds it), sharing the
   * stack's pub/sub and event bus; it replaces the entry in `subgraphs`.
   */
  restartSubgraph(name: SubgraphName): Promise<RunningSubgraph>;
  stop(): Promise<void>;
}

export interface StartStackOptions {
  /** Called with the SQL of every statement any subgraph runs, tagged by subgraph (tests count them). */
  onQuery?: (subgraph: SubgraphName, sql: string) => void;
}

/**
 * The whole supergraph in one process: five subgraphs and the gateway, configured from
 * `source` (process.env by default) exactly as the separate services would be. Every service
 * shares one pub/sub: in-process unless REDIS_URL is set.
 */
export async function startStack(source: NodeJS.ProcessEnv = process.env, options: StartStackOptions = {}): Promise<RunningStack> {
  const env = loadGatewayEnv(source);
  const auth = loadAuthConfig(source); // config errors before anything starts
  // Bounded: an unreachable Redis is one clear error, not a hang in the revocation list below.
  await waitForDependencies({ redisUrl: env.REDIS_URL, timeoutMs: env.DEPENDENCY_STARTUP_TIMEOUT_MS });
  const pubsub = openPubSub(env.REDIS_URL, env.REDIS_KEY_PREFIX);
  const eventConfig = loadEnv(eventsEnv, source);
  const events = openEventBus({
    redisUrl: env.REDIS_URL,
    keyPrefix: env.REDIS_KEY_PREFIX,
    consumerName: eventConfig.EVENT_CONSUMER_NAME,
    logger: createLogger('events', env.LOG_LEVEL, env.LOG_FILE),
  });
  // One list of revoked sessions for every verifier of the process (Redis-backed when REDIS_URL is set).
  const revocations = await openRevocationList({
    redisUrl: env.REDIS_URL,
    keyPrefix: env.REDIS_KEY_PREFIX,
    accessTokenTtlSeconds: auth.accessTokenTtlSeconds,
    logger: createLogger('revocations', env.LOG_LEVEL, env.LOG_FILE),
  });
  // Every subgraph (and a restarted one) shares the stack's pub/sub, event bus and revocations.
  const startService = (definition: AnySubgraphDefinition, serviceSource: NodeJS.ProcessEnv) =>
    startSubgraphService(definition, {
      pubsub: pubsub.pubsub,
      events,
      revocations,
      source: serviceSource,
      onQuery: options.onQuery && ((sql) => options.onQuery!(definition.name, sql)),
    });
  const results = await Promise.allSettled(allSubgraphs.map((definition) => startService(definition, source)));
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.allSettled(started.map((service) => service.stop()));
    await events.close();
    await revocations.close();
    await pubsub.close();
    throw failure.reason;
  }
  const subgraphs = Object.fromEntries(allSubgraphs.map((d, i) => [d.name, started[i]!])) as Record<
    SubgraphName,
    RunningSubgraph
  >;
  const gatewayLogger = createLogger('gateway', env.LOG_LEVEL, env.LOG_FILE);
  const gateway = await createGateway({
    supergraphSdl: readSupergraph(),
    subgraphUrls: Object.fromEntries(allSubgraphs.map((d) => [d.name, subgraphs[d.name].url])),
    resilience: env.resilience,
    rateLimits: env.rateLimits,
    port: env.PORT,
    host: env.HOST,
    production: env.NODE_ENV === 'production',
    introspection: env.INTROSPECTION === undefined ? undefined : env.INTROSPECTION === 'true',
    logger: gatewayLogger,
    auth,
    revocations,
    subscriptions: env.subscriptions,
    trustedDocuments: env.trustedDocuments,
    limits: env.limits,
    trustedProxies: env.TRUSTED_PROXIES,
    maxStringLength: env.MAX_STRING_LENGTH,
  });
  announce(gatewayLogger, 'gateway', gateway.url);
  return {
    gateway,
    subgraphs,
    events,
    restartSubgraph: async (name) => {
      const definition = allSubgraphs.find((d) => d.name === name)!;
      subgraphs[name] = await startService(definition, { ...source, [`${envPrefix(name)}_SUBGRAPH_PORT`]: String(subgraphs[name].port) });
      return subgraphs[name];
    },
    stop: async () => {
      await gateway.stop();
      // The current entries: a restarted subgraph replaced its stopped predecessor.
      await Promise.allSettled(Object.values(subgraphs).map((service) => service.stop()));
      await events.close();
      await revocations.close();
      await pubsub.close();
    },
  };
}
