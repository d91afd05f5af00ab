/**
 * What a subgraph is made of (each `subgraphs/<name>/src/server.ts` exports one definition):
 * its tables, resolvers, own settings, long-lived resources, per-request context, seed and
 * event handlers. The runtime (service.ts, server.ts) turns a definition plus opened handles
 * into a running server; a definition never opens connections or reads the environment.
 */
import type { AuthConfig, Database, Logger, PubSubEngine, RevocationList } from '@fitgraph/service-kit';
import type { z } from 'zod';
import type { Role, Viewer } from '../auth';
import type { RedisConfig } from '../config';
import type { SubgraphName } from '../subgraphs';
import type { DomainEvent, EventBus, EventTopics, Topic } from '../topics';

/** What a subgraph knows about the request it is serving, from HTTP headers or graphql-ws params. */
export interface RequestInfo {
  requestId: string;
  /** `Bearer <token>` as sent by the client (forwarded by the gateway), or null. */
  authorization: string | null;
  /** A gym machine's own key (`x-device-key`), or null. */
  deviceKey: string | null;
  /**
   * The client's IP as the gateway attested it (`x-gateway-client-ip`, signed with
   * GATEWAY_SECRET), or null when the gateway did not know it; for throttling, never for authorization.
   */
  clientIp: string | null;
  /** The verified identity behind `authorization`; null when anonymous. */
  viewer: Viewer | null;
  /** The subgraph's logger with this request's `requestId` bound. */
  logger: Logger;
}

/** The opened handles every subgraph server is built from (the composition root opens them). */
export interface SubgraphHandles<TSchema extends Record<string, unknown>> {
  db: Database<TSchema>;
  pubsub: PubSubEngine;
  /** Durable events between subgraphs. */
  events: EventBus;
  logger: Logger;
}

/** What {@link SubgraphDefinition.createResources} gets: the handles plus typed configuration. */
export interface ResourceDependencies<TSchema extends Record<string, unknown>, TSettings = unknown> extends SubgraphHandles<TSchema> {
  /** The subgraph's own settings, parsed from its `settings` shape. */
  settings: TSettings;
  redis: RedisConfig;
  auth: AuthConfig<Role>;
  /** Revoked sessions: the user subgraph records revocations here; every verifier honours them. */
  revocations: RevocationList;
}

/** What an event handler may use besides its transaction. */
export interface EventHandlerTools {
  pubsub: PubSubEngine;
  logger: Logger;
  /** Runs `task` once the handler's transaction has committed (never after a rollback), e.g. to notify live subscribers. */
  afterCommit(task: () => Promise<void>): void;
}

/** Handlers of durable events; each runs in one transaction with the event's dedup record (service-kit events.ts). */
export type SubgraphEventHandlers<TSchema extends Record<string, unknown>> = {
  [T in Topic]?: (tx: Database<TSchema>, payload: EventTopics[T], event: DomainEvent<T>, tools: EventHandlerTools) => Promise<void>;
};

/** What a seed may depend on. */
export interface SeedOptions<TSettings = unknown> {
  /** Whether demo activity is seeded (platform demo.ts). */
  demoData: boolean;
  /** DEMO_PASSWORD as configured (the user subgraph falls back to its DEV-ONLY default). */
  demoPassword: string | undefined;
  settings: TSettings;
}

export interface SubgraphDefinition<
  TSchema extends Record<string, unknown>,
  TContext,
  TResources = undefined,
  TSettingsShape extends z.ZodRawShape = {},
> {
  name: SubgraphName;
  /** Drizzle tables of this subgraph's own database. */
  dbSchema: TSchema;
  resolvers: unknown;
  /** Settings of this subgraph beyond the common ones: a zod shape parsed with the rest of its configuration. */
  settings?: TSettingsShape;
  /**
   * Long-lived resources made once per server (rate limiters, token signers, background
   * relays), handed to every `createContext` as `deps.resources`; `close` runs on stop.
   */
  createResources?(deps: ResourceDependencies<TSchema, z.infer<z.ZodObject<TSettingsShape>>>): Promise<{ resources: TResources; close(): Promise<void> }>;
  /** Per-request context: loaders are created here so batching never crosses requests. */
  createContext(deps: SubgraphHandles<TSchema> & { resources: TResources }, request: RequestInfo): TContext | Promise<TContext>;
  /** Inserts demo data; must be idempotent. */
  seed(db: Database<TSchema>, options: SeedOptions<z.infer<z.ZodObject<TSettingsShape>>>): Promise<void>;
  /** Durable events this subgraph reacts to (e.g. `user.deleted`); consumed as group `<name>`. */
  eventHandlers?: SubgraphEventHandlers<TSchema>;
}

/** Any subgraph's definition, for code that handles all five alike. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySubgraphDefinition = SubgraphDefinition<any, any, any, any>;

/** The settings type of a definition. */
export type SettingsOf<TDefinition> = TDefinition extends SubgraphDefinition<never, never, never, infer TShape> ? z.infer<z.ZodObject<TShape>> : never;
