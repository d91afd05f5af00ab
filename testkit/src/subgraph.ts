import { randomUUID } from 'node:crypto';
import {
  envPrefix,
  loadAuthConfig,
  loadSubgraphConfig,
  seedOptionsOf,
  startSubgraphServer,
  type EventBus,
  type Role,
  type SubgraphDefinition,
} from '@fitgraph/platform';
import {
  createTokenSigner,
  deleteRedisKeys,
  DisposeScope,
  openEventBus,
  openPubSub,
  openRevocationList,
  type InputLimits,
  type Logger,
  type OperationLimits,
  type PubSubEngine,
  type RevocationList,
} from '@fitgraph/service-kit';
import { openTestDatabase, type TestDatabase } from './databases';
import { signAsGatewayFor } from './gateway-attestation';
import { testLogger } from './logs';
import { testScope } from './scope';

export interface TestSubgraph<TSchema extends Record<string, unknown>> {
  /** Its `/graphql`; the testkit's clients sign their requests to it as the gateway would. */
  url: string;
  /** Base URL of its internal listener (`/metrics`, detailed `/readyz`). */
  internalUrl: string;
  /** The subgraph's own database; `db.queries` records every statement. */
  db: TestDatabase<TSchema>;
  /** The durable event bus it consumes from and publishes to (its own Redis key prefix). */
  events: EventBus;
  /** Its pub/sub (a replica on REDIS_URL has its own connections; in memory, pass one to share it). */
  pubsub: PubSubEngine;
  /** Its REDIS_KEY_PREFIX (pub/sub channels, rate-limit counters); a replica given the same one shares them. */
  keyPrefix: string;
  /** Subscriptions open on it right now. */
  activeSubscriptions(): number;
  stop(): Promise<void>;
}

export interface TestSubgraphOptions<TSchema extends Record<string, unknown>> {
  /** Settings over the test defaults, parsed as the service would parse them (e.g. CHAT_SEND_RATE_LIMIT). */
  env?: NodeJS.ProcessEnv;
  /** Another replica's database, shared (not dropped by this one's stop); default: a fresh one, seeded. */
  db?: TestDatabase<TSchema>;
  /** A pub/sub to share (in-process replicas); default: its own (Redis when REDIS_URL is set). */
  pubsub?: PubSubEngine;
  /** An event bus to consume from; default: its own (own Redis key prefix, short retries). */
  events?: EventBus;
  /** Revoked sessions to share; default: its own in-process list. */
  revocations?: RevocationList;
  /** Production behaviour (no introspection, masked errors); default: as `env` says (NODE_ENV). */
  production?: boolean;
  /** Input limits over the configured ones. */
  edge?: Partial<InputLimits>;
  /** Operation limits over the configured ones (OPERATION_*). */
  limits?: Partial<OperationLimits>;
  /** Its logger; default: quiet unless TEST_LOG_LEVEL. */
  logger?: Logger;
}

/**
 * One subgraph on a free port with its own migrated (and seeded) database, the run's pub/sub
 * (Redis when REDIS_URL is set) and an event bus of its own, for integration tests. What it
 * opens lives in one dispose scope that `stop()` (or the end of the test file) empties, Redis keys included.
 */
export async function startTestSubgraph<TSchema extends Record<string, unknown>, TContext, TResources>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  definition: SubgraphDefinition<TSchema, TContext, TResources, any>,
  options: TestSubgraphOptions<TSchema> = {},
): Promise<TestSubgraph<TSchema>> {
  const config = loadSubgraphConfig(definition, {
    NODE_ENV: 'test',
    REDIS_KEY_PREFIX: `fgt:${randomUUID()}:`,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    [`${envPrefix(definition.name)}_SUBGRAPH_PORT`]: '0',
    [`${envPrefix(definition.name)}_INTERNAL_PORT`]: '0',
    ...options.env,
  });
  // Replicas given the same REDIS_KEY_PREFIX share pub/sub channels and rate-limit counters.
  const { url: redisUrl, keyPrefix } = config.redis;
  const logger = options.logger ?? testLogger(`${definition.name}-test`);
  const scope = new DisposeScope();
  try {
    if (redisUrl) scope.defer(() => deleteRedisKeys(redisUrl, keyPrefix));
    let db = options.db;
    if (!db) {
      db = scope.use(await openTestDatabase(definition.name, definition.dbSchema), (opened) => opened.close());
      await definition.seed(db.db, seedOptionsOf(config));
    }
    const pubsub = options.pubsub ?? scope.use(openPubSub(redisUrl, keyPrefix), (opened) => opened.close()).pubsub;
    // Short retry so redelivery tests do not wait the production 5 s.
    const events = options.events ?? scope.use(openEventBus({ redisUrl, keyPrefix, logger, retryMs: 200 }) as EventBus, (bus) => bus.close());
    const revocations =
      options.revocations ??
      scope.use(await openRevocationList({ keyPrefix, accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds, logger }), (list) => list.close());
    const handles = { db: db.db, pubsub, events, logger };
    const created = await definition.createResources?.({ ...handles, settings: config.settings, redis: config.redis, auth: config.auth, revocations });
    if (created) scope.defer(() => created.close());
    const server = scope.use(
      await startSubgraphServer(definition, {
        ...handles,
        resources: created?.resources as TResources,
        auth: config.auth,
        revocations,
        gatewaySecret: config.gatewaySecret,
        internalPort: config.internalPort,
        production: options.production ?? config.production,
        limits: { ...config.limits, ...options.limits },
        edge: { ...config.edge, ...options.edge },
        subscriptionCaps: config.subscriptionCaps,
      }),
      (running) => running.stop(),
    );
    scope.defer(signAsGatewayFor(server.url, config.gatewaySecret));
    testScope.defer(() => scope.dispose());
    return {
      url: server.url,
      internalUrl: server.internalUrl,
      db,
      events,
      pubsub,
      keyPrefix,
      activeSubscriptions: server.activeSubscriptions,
      stop: () => scope.dispose(),
    };
  } catch (error) {
    await scope.dispose().catch(() => {});
    throw error;
  }
}

const signer = createTokenSigner(loadAuthConfig({}));

/**
 * A viewer (a fresh user id unless given) with an access token signed by the DEV-ONLY keys,
 * exactly as the user subgraph would sign it.
 */
export async function testViewer(role: Role = 'MEMBER', id: string = randomUUID()) {
  const { accessToken } = await signer.sign({ id, role, sessionId: randomUUID() });
  return { id, role, token: accessToken };
}
