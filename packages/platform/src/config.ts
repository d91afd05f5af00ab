/**
 * FitGraph's configuration model: one zod shape per concern, composed by each service's
 * composition root (its `index.ts`, the stack, the scripts) and parsed there once, with every
 * problem reported together (service-kit `loadEnv` / `configOrExit`). Nothing below the roots
 * reads the environment: they get the typed values this module derives.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { AuthConfig, OperationLimits } from '@fitgraph/service-kit';
import { defaultOperationLimits, loadEnv, minGatewaySecretLength, optionalString, optionalUrl, port, positiveInt, proxyList, type DatabaseTarget } from '@fitgraph/service-kit';
import { z } from 'zod';
import { devGatewaySecret, devKeyId, devPrivateKey, devPublicKey, roles, type Role } from './auth';
import { defaultSubscriptionCaps } from './subgraph/sockets';
import { defaultInternalPorts, defaultSubgraphPorts, envPrefix, repoRoot, type SubgraphName } from './subgraphs';

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** Start-up, shutdown and telemetry settings (service-kit dependencies.ts, tracing.ts, lifecycle.ts). */
export const operationsEnv = {
  /**
   * How long (ms) a service waits at start for PostgreSQL and Redis before it exits non-zero with
   * one line naming the dependency. Default: 10000.
   */
  DEPENDENCY_STARTUP_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).max(300_000).default(10_000)),
  /** How long (ms) SIGTERM may take to drain before the process exits anyway (non-zero). Default: 25000. */
  SHUTDOWN_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).default(25_000)),
  /** Where traces go: `otlp` (OTLP over HTTP), `console` (stdout) or `none`. Default: none. */
  OTEL_TRACES_EXPORTER: z.preprocess(emptyAsUndefined, z.enum(['otlp', 'console', 'none']).default('none')),
  /** OTLP/HTTP collector base URL (`/v1/traces` is appended). Default: http://localhost:4318 */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(emptyAsUndefined, z.string().url().default('http://localhost:4318')),
};

/** FitGraph's Prometheus series names start with this (service-kit metrics.ts). */
export const metricsPrefix = 'fitgraph_';

/** Start-up, shutdown and tracing settings of one process, from {@link operationsEnv}. */
export interface OperationsConfig {
  dependencyStartupTimeoutMs: number;
  shutdownTimeoutMs: number;
  tracing: { exporter: 'otlp' | 'console' | 'none'; otlpEndpoint: string };
}

export const operationsConfigOf = (env: z.infer<z.ZodObject<typeof operationsEnv>>): OperationsConfig => ({
  dependencyStartupTimeoutMs: env.DEPENDENCY_STARTUP_TIMEOUT_MS,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  tracing: { exporter: env.OTEL_TRACES_EXPORTER, otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT },
});

/** Settings every FitGraph service understands. */
export const commonEnv = {
  /** `production` turns off Sandbox and introspection. Default: development. */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** pino level. Default: info. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Interface to bind. Default: 127.0.0.1 (containers set 0.0.0.0). */
  HOST: z.string().default('127.0.0.1'),
  /** Redis for pub/sub; unset means in-process pub/sub (single process only). */
  REDIS_URL: optionalUrl,
  /** Prefix of every Redis key FitGraph writes (event streams, rate-limit counters). Default: fitgraph: */
  REDIS_KEY_PREFIX: z.string().min(1).default('fitgraph:'),
  /** The most replicas of this service (its autoscaler maximum): while Redis is away each grants at most 1/this of what is left of a rate-limit budget (service-kit rate-limit.ts). Default: 1. */
  RATE_LIMIT_REPLICAS: positiveInt(1),
  /** Append JSON logs to this file instead of writing them to stdout. Default: stdout. */
  LOG_FILE: optionalString,
  /** Longest string any argument or variable may be; longer is BAD_USER_INPUT. Default: 100000. */
  MAX_STRING_LENGTH: positiveInt(100_000),
  /**
   * Gateway: proxies (load balancers) in front of it whose `x-forwarded-for` names the client.
   * Default: none (the peer address is the client).
   */
  TRUSTED_PROXIES: proxyList(''),
  ...operationsEnv,
};

/**
 * What one operation may ask of a service, the same at the gateway and at every subgraph
 * (service-kit operation-limits.ts), checked before validation or execution.
 */
export const operationLimitsEnv = {
  /** Deepest field nesting of an operation (`{ gyms { id } }` is 2; introspection may nest 15). Default: 10. */
  OPERATION_MAX_DEPTH: positiveInt(defaultOperationLimits.maxDepth),
  /** Aliased fields in an operation. Default: 30. */
  OPERATION_MAX_ALIASES: positiveInt(defaultOperationLimits.maxAliases),
  /** Root fields in an operation. Default: 20. */
  OPERATION_MAX_ROOT_FIELDS: positiveInt(defaultOperationLimits.maxRootFields),
  /** Lexical tokens in a document (enforced while parsing). Default: 2000. */
  OPERATION_MAX_TOKENS: positiveInt(defaultOperationLimits.maxTokens),
  /** Bytes of query text. Default: 65536. */
  OPERATION_MAX_DOCUMENT_BYTES: positiveInt(defaultOperationLimits.maxDocumentBytes),
  /** Estimated cost of an operation (fields × list sizes). Default: 20000. */
  OPERATION_MAX_COST: positiveInt(defaultOperationLimits.maxCost),
  /** Assumed length of a list without `first`/`last`, for the cost estimate. Default: 10. */
  OPERATION_DEFAULT_LIST_SIZE: positiveInt(defaultOperationLimits.defaultListSize),
};

/** The operation limits of a parsed env (the shape included {@link operationLimitsEnv}). */
export const operationLimitsOf = (env: z.infer<z.ZodObject<typeof operationLimitsEnv>>): OperationLimits => ({
  maxDepth: env.OPERATION_MAX_DEPTH,
  maxAliases: env.OPERATION_MAX_ALIASES,
  maxRootFields: env.OPERATION_MAX_ROOT_FIELDS,
  maxTokens: env.OPERATION_MAX_TOKENS,
  maxDocumentBytes: env.OPERATION_MAX_DOCUMENT_BYTES,
  maxCost: env.OPERATION_MAX_COST,
  defaultListSize: env.OPERATION_DEFAULT_LIST_SIZE,
});

/** A subgraph's own edge: how many subscriptions its graphql-ws endpoint holds. */
export const subgraphEdgeEnv = {
  /**
   * Operations one subgraph WebSocket may have open at once. The gateway multiplexes all upstream
   * streams of one identity onto one socket, so this sits above its per-user cap. Default: 500.
   */
  SUBGRAPH_SUBSCRIPTIONS_PER_SOCKET: positiveInt(defaultSubscriptionCaps.perSocket),
  /** Subscriptions one subgraph process holds open over all its sockets. Default: 20000. */
  SUBGRAPH_SUBSCRIPTIONS_MAX: positiveInt(defaultSubscriptionCaps.total),
};

/** Internal listener of each subgraph (`/metrics`, detailed `/readyz`), bound apart from its public port. */
export const internalListenerEnv = {
  /** Interface of the internal listener. Default: HOST. */
  INTERNAL_HOST: optionalString,
};

/** Database settings of one subgraph. */
export const databaseEnv = {
  /** A PostgreSQL server URL; each subgraph uses its own database on it, created if missing. */
  DATABASE_URL: optionalUrl,
  /** Prefix of the per-subgraph database names derived from DATABASE_URL. Default: fitgraph_. */
  DATABASE_NAME_PREFIX: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('fitgraph_'),
  /** Where embedded PGlite keeps its data (relative to the repository; `memory`: none). Default: .data */
  PGLITE_DIR: z.string().default('.data'),
};

/** `<NAME>_DATABASE_URL`: a full URL for one subgraph's database (wins over DATABASE_URL). */
export const subgraphDatabaseEnv = (name: SubgraphName) => ({ [`${envPrefix(name)}_DATABASE_URL`]: optionalUrl });
/** `<NAME>_SUBGRAPH_PORT` (defaults 4001–4005). */
export const subgraphPortEnv = (name: SubgraphName) => ({ [`${envPrefix(name)}_SUBGRAPH_PORT`]: port(defaultSubgraphPorts[name]) });
/** `<NAME>_INTERNAL_PORT`: the subgraph's internal listener (defaults 9401–9405). */
export const subgraphInternalPortEnv = (name: SubgraphName) => ({ [`${envPrefix(name)}_INTERNAL_PORT`]: port(defaultInternalPorts[name]) });

/** AUTH_VERIFICATION_KEYS as a key id -> PEM record, or null when it is not one. */
function verificationKeysOf(text: string): Record<string, string> | null {
  try {
    const parsed = z.record(z.string(), z.string()).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const authEnv = {
  /**
   * PKCS8 PEM Ed25519 private key. Only the user subgraph signs, so only it needs this; the
   * gateway and the other subgraphs run without it. Default outside production: the DEV-ONLY key.
   */
  AUTH_SIGNING_KEY: optionalString,
  /** `kid` of the signing key. */
  AUTH_SIGNING_KEY_ID: z.string().default(devKeyId),
  /** JSON object kid -> SPKI PEM public key; every service verifies with these. */
  AUTH_VERIFICATION_KEYS: z.string().default(JSON.stringify({ [devKeyId]: devPublicKey })),
  AUTH_ISSUER: z.string().default('fitgraph'),
  AUTH_AUDIENCE: z.string().default('fitgraph-api'),
  /** Access-token lifetime in seconds. Default: 900 (15 minutes). */
  AUTH_ACCESS_TOKEN_TTL: z.coerce.number().int().positive().default(900),
  /**
   * Shared by the gateway and every subgraph: the gateway signs each subgraph request (and the
   * client's address) with it, and a subgraph answers only signed requests (service-kit
   * gateway-attestation.ts). At least 32 characters (`openssl rand -base64 32`). Default outside
   * production: the DEV-ONLY secret.
   */
  GATEWAY_SECRET: z.preprocess(emptyAsUndefined, z.string().min(minGatewaySecretLength).default(devGatewaySecret)),
};

export const eventsEnv = {
  /**
   * This process's name within its consumer groups; keep it stable across restarts so the
   * process re-reads events it received but never acknowledged. Default: the host name.
   */
  EVENT_CONSUMER_NAME: z.string().min(1).default(hostname()),
};

type AuthEnv = z.infer<z.ZodObject<typeof authEnv>> & { NODE_ENV?: string };

/** The production rule on the DEV-ONLY keys and secret, as problems of the parsed env (so they are reported with the others). */
export function devKeyProblems(env: AuthEnv): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  // Checked even when other variables failed to parse (unset: the DEV-ONLY default).
  const keys = verificationKeysOf(env.AUTH_VERIFICATION_KEYS ?? JSON.stringify({ [devKeyId]: devPublicKey }));
  if (env.AUTH_SIGNING_KEY === devPrivateKey || keys?.[devKeyId] === devPublicKey) {
    problems.push('AUTH_SIGNING_KEY / AUTH_VERIFICATION_KEYS: the DEV-ONLY auth keys cannot be used with NODE_ENV=production; set AUTH_SIGNING_KEY and AUTH_VERIFICATION_KEYS.');
  }
  if ((env.GATEWAY_SECRET ?? devGatewaySecret) === devGatewaySecret) {
    problems.push('GATEWAY_SECRET: the DEV-ONLY gateway secret cannot be used with NODE_ENV=production; set GATEWAY_SECRET (the same value on the gateway and every subgraph).');
  }
  return problems;
}

/**
 * `z.object(shape)` that also checks the auth keys (shape must include authEnv): the
 * verification keys must be a JSON record, and the DEV-ONLY keys are refused in production;
 * reported with the other problems (`when`: also when other variables failed).
 */
export const withAuthRules = <TShape extends z.ZodRawShape>(shape: TShape) =>
  z.object(shape).superRefine(
    (env, ctx) => {
      const text = (env as unknown as AuthEnv).AUTH_VERIFICATION_KEYS;
      if (typeof text === 'string' && !verificationKeysOf(text)) {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of key id -> SPKI PEM public key', path: ['AUTH_VERIFICATION_KEYS'] });
      }
      for (const problem of devKeyProblems(env as unknown as AuthEnv)) {
        ctx.addIssue({ code: 'custom', message: problem.replace(/^[^:]+: /, ''), path: [problem.slice(0, problem.indexOf(':'))] });
      }
    },
    { when: () => true },
  );

/** The token settings of a parsed env (the shape included {@link authEnv}). */
export function authConfigOf(env: AuthEnv): AuthConfig<Role> {
  const production = env.NODE_ENV === 'production';
  return {
    roles,
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    accessTokenTtlSeconds: env.AUTH_ACCESS_TOKEN_TTL,
    signingKeyId: env.AUTH_SIGNING_KEY_ID,
    signingKeyPem: env.AUTH_SIGNING_KEY ?? (production ? null : devPrivateKey),
    verificationKeyPems: verificationKeysOf(env.AUTH_VERIFICATION_KEYS) ?? {},
  };
}

/** Token settings from `source` alone (tools and tests; services parse them with the rest of their config). */
export const loadAuthConfig = (source: NodeJS.ProcessEnv): AuthConfig<Role> =>
  authConfigOf(loadEnv(withAuthRules({ NODE_ENV: commonEnv.NODE_ENV, ...authEnv }), source));

/** Redis settings shared by pub/sub, events, rate limits and revocations; no URL means in-process. */
export interface RedisConfig {
  url: string | undefined;
  /** REDIS_KEY_PREFIX. */
  keyPrefix: string;
  /** RATE_LIMIT_REPLICAS: while Redis is away each process grants at most 1/this of what is left of a rate-limit budget. */
  rateLimitReplicas: number;
}

/**
 * Where a subgraph's database lives: `<NAME>_DATABASE_URL` as given; else its own database
 * `<prefix><name>` on the `DATABASE_URL` server; else embedded PGlite under `<PGLITE_DIR>/<name>`
 * (`memory` keeps it in memory).
 */
export function databaseTargetOf(
  subgraph: SubgraphName,
  /** Parsed {@link databaseEnv} plus {@link subgraphDatabaseEnv} of the subgraph. */
  env: { DATABASE_URL?: string; DATABASE_NAME_PREFIX: string; PGLITE_DIR: string } & Record<string, unknown>,
): DatabaseTarget {
  const own = env[`${envPrefix(subgraph)}_DATABASE_URL`];
  if (typeof own === 'string') return { kind: 'postgres', url: own, databaseName: new URL(own).pathname.slice(1) };
  if (env.DATABASE_URL) {
    const databaseName = `${env.DATABASE_NAME_PREFIX}${subgraph}`;
    const url = new URL(env.DATABASE_URL);
    url.pathname = `/${databaseName}`;
    return { kind: 'postgres', url: url.toString(), databaseName, serverUrl: env.DATABASE_URL };
  }
  return {
    kind: 'pglite',
    // Relative to the repository, so `pnpm start` and a service started alone share one folder.
    dataDir: env.PGLITE_DIR === 'memory' ? null : resolve(repoRoot, env.PGLITE_DIR, subgraph),
  };
}

/** The demo-data policy's input (demo.ts). */
export const demoEnv = {
  /**
   * Password of the seeded demo accounts. Unset: the DEV-ONLY default outside production; in
   * production the demo accounts get no password and cannot sign in, and no demo activity is seeded.
   */
  DEMO_PASSWORD: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(10).optional()),
};
