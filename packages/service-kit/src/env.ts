import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/** Raised once with every configuration problem, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses `source` (process.env by default) against a zod object model, collecting all errors. */
export function loadEnv<TShape extends z.ZodRawShape>(
  shape: TShape,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<TShape>> {
  const result = z.object(shape).safeParse(source);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
    );
  }
  return result.data;
}

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** An optional URL; an empty string counts as unset (docker-compose passes `FOO=` through). */
export const optionalUrl = z.preprocess(emptyAsUndefined, z.string().url().optional());
export const port = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(fallback));

/**
 * A comma-separated list of proxy addresses: IPs, CIDRs or proxy-addr's names (`loopback`,
 * `linklocal`, `uniquelocal`); `x-forwarded-for` is believed only from these.
 */
export const proxyList = (fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default(fallback)
      .transform((list) => list.split(',').map((entry) => entry.trim()).filter(Boolean))
      .refine(
        (list) => {
          try {
            proxyaddr.compile(list);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'must list IP addresses, CIDR ranges or loopback/linklocal/uniquelocal' },
      ),
  );

const positiveInt = (fallback: number) => z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(fallback));
/** Start-up, shutdown and telemetry settings (dependencies.ts, tracing.ts, run-subgraph.ts). */
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
  /** Append JSON logs to this file instead of writing them to stdout. Default: stdout. */
  LOG_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** Longest string any argument or variable may be; longer is BAD_USER_INPUT. Default: 100000. */
  MAX_STRING_LENGTH: positiveInt(100_000),
  /**
   * Gateway: proxies (load balancers) in front of it whose `x-forwarded-for` names the client.
   * Default: none (the peer address is the client).
   */
  TRUSTED_PROXIES: proxyList(''),
  ...operationsEnv,
};

/** Settings of a subgraph's edge (it must survive callers that skip the gateway). */
export const subgraphEdgeEnv = {
  /** Deepest operation a subgraph runs (fields nested, fragments flattened). Default: 10. */
  SUBGRAPH_MAX_DEPTH: positiveInt(10),
  /** Where the gateway calls subgraphs from: only these may set `x-forwarded-for`. Default: loopback. */
  SUBGRAPH_TRUSTED_PROXIES: proxyList('loopback'),
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
