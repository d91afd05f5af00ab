/**
 * The whole supergraph in one process (`pnpm start`, the tests): five subgraphs and the
 * gateway, configured exactly as the separate services would be, sharing one pub/sub, one event
 * bus and one revocation list. A composition root above the services: it imports the gateway
 * and every subgraph; nothing imports it but the start script and the test tooling.
 */
import { createGateway, openGatewayRateLimiter } from '@fitgraph/gateway';
import { readSupergraph } from '@fitgraph/gateway/composition';
import { gatewayOptionsOf, loadGatewayEnv, type GatewayConfig } from '@fitgraph/gateway/env';
import { chatSubgraph } from '@fitgraph/chat-subgraph';
import { gymSubgraph } from '@fitgraph/gym-subgraph';
import { nutritionSubgraph } from '@fitgraph/nutrition-subgraph';
import {
  eventsEnv,
  loadSubgraphConfig,
  startSubgraphService,
  type AnySubgraphDefinition,
  type EventBus,
  type RunningSubgraph,
  type SubgraphConfig,
  type SubgraphName,
} from '@fitgraph/platform';
import {
  announce,
  ConfigError,
  createLogger,
  DisposeScope,
  loadEnv,
  openEventBus,
  openPubSub,
  openRevocationList,
  waitForDependencies,
  type RunningServer,
} from '@fitgraph/service-kit';
import { userSubgraph } from '@fitgraph/user-subgraph';
import { workoutSubgraph } from '@fitgraph/workout-subgraph';

export const allSubgraphs: AnySubgraphDefinition[] = [userSubgraph, gymSubgraph, workoutSubgraph, nutritionSubgraph, chatSubgraph];

/** Every service's configuration, parsed from one environment. */
export interface StackConfig {
  gateway: GatewayConfig;
  subgraphs: Record<SubgraphName, SubgraphConfig>;
  eventConsumerName: string;
}

/** Parses the gateway's and every subgraph's configuration; one ConfigError lists every distinct problem of all of them. */
export function loadStackConfig(environment: NodeJS.ProcessEnv): StackConfig {
  const problems = new Set<string>();
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.add(problem);
      return undefined;
    }
  };
  const gateway = attempt(() => loadGatewayEnv(environment));
  const subgraphs = Object.fromEntries(allSubgraphs.map((definition) => [definition.name, attempt(() => loadSubgraphConfig(definition, environment))]));
  const events = attempt(() => loadEnv(eventsEnv, environment));
  if (problems.size > 0) throw new ConfigError([...problems]);
  return { gateway: gateway!, subgraphs: subgraphs as Record<SubgraphName, SubgraphConfig>, eventConsumerName: events!.EVENT_CONSUMER_NAME };
}

export interface RunningStack {
  gateway: RunningServer & { internalUrl: string };
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
 * Starts the stack from its parsed configuration. Everything it opens lives in one dispose
 * scope: `stop()` (or a failure half-way through starting) closes it in reverse.
 */
export async function startStack(config: StackConfig, options: StartStackOptions = {}): Promise<RunningStack> {
  const { gateway: gatewayConfig } = config;
  const redis = gatewayConfig.redis;
  const scope = new DisposeScope();
  try {
    // Bounded: an unreachable Redis is one clear error, not a hang in the revocation list below.
    await waitForDependencies({ redisUrl: redis.url, timeoutMs: gatewayConfig.operations.dependencyStartupTimeoutMs });
    const pubsub = scope.use(openPubSub(redis.url, redis.keyPrefix), (opened) => opened.close());
    const events = scope.use(
      openEventBus({ redisUrl: redis.url, keyPrefix: redis.keyPrefix, consumerName: config.eventConsumerName, logger: createLogger('events', gatewayConfig.logLevel, gatewayConfig.logFile) }) as EventBus,
      (bus) => bus.close(),
    );
    // One list of revoked sessions for every verifier of the process (Redis-backed when REDIS_URL is set).
    const revocations = scope.use(
      await openRevocationList({
        redisUrl: redis.url,
        keyPrefix: redis.keyPrefix,
        accessTokenTtlSeconds: gatewayConfig.auth.accessTokenTtlSeconds,
        logger: createLogger('revocations', gatewayConfig.logLevel, gatewayConfig.logFile),
      }),
      (list) => list.close(),
    );
    // Every subgraph (and a restarted one) shares the stack's pub/sub, event bus and revocations.
    const startService = (definition: AnySubgraphDefinition, subgraphConfig: SubgraphConfig) =>
      startSubgraphService(definition, subgraphConfig, {
        pubsub: pubsub.pubsub,
        events,
        revocations,
        onQuery: options.onQuery && ((sql) => options.onQuery!(definition.name, sql)),
      });
    const results = await Promise.allSettled(allSubgraphs.map((definition) => startService(definition, config.subgraphs[definition.name])));
    const subgraphs = {} as Record<SubgraphName, RunningSubgraph>;
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') subgraphs[allSubgraphs[i]!.name] = result.value;
    });
    // The current entries at stop time: a restarted subgraph replaced its stopped predecessor.
    scope.defer(async () => void (await Promise.allSettled(Object.values(subgraphs).map((service) => service.stop()))));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;

    const gatewayLogger = createLogger('gateway', gatewayConfig.logLevel, gatewayConfig.logFile);
    const rateLimiter = gatewayConfig.rateLimits && scope.use(openGatewayRateLimiter(gatewayConfig.rateLimits, gatewayLogger), (limiter) => limiter.close());
    const gateway = scope.use(
      await createGateway({
        ...gatewayOptionsOf(gatewayConfig),
        supergraphSdl: readSupergraph(),
        subgraphUrls: Object.fromEntries(allSubgraphs.map((d) => [d.name, subgraphs[d.name].url])),
        logger: gatewayLogger,
        revocations,
        rateLimiter,
      }),
      (running) => running.stop(),
    );
    announce(gatewayLogger, 'gateway', gateway.url);
    return {
      gateway,
      subgraphs,
      events,
      restartSubgraph: async (name) => {
        const definition = allSubgraphs.find((d) => d.name === name)!;
        subgraphs[name] = await startService(definition, { ...config.subgraphs[name], port: subgraphs[name].port });
        return subgraphs[name];
      },
      stop: () => scope.dispose(),
    };
  } catch (error) {
    await scope.dispose().catch(() => {});
    throw error;
  }
}
