/**
 * PostgreSQL and Redis as dependencies of a service: waiting for them at start-up (bounded, then
 * one clear error), and checking them at run time for `/readyz`.
 *
 * At start a service waits up to `DEPENDENCY_STARTUP_TIMEOUT_MS` for each dependency it is
 * configured with (retrying, since in a cluster they may start together), then gives up with a
 * {@link DependencyUnavailableError} naming which and where (credentials redacted); composition
 * roots log it as one line and exit non-zero (lifecycle.ts `exitOnStartupFailure`). Errors that no
 * retry can fix (wrong password, missing database) give up at once.
 */
import type { RequestHandler } from 'express';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { Logger } from './logger';
import type { ServiceMetrics } from './metrics';

export type DependencyName = 'postgres' | 'redis';
const labels: Record<DependencyName, string> = { postgres: 'PostgreSQL', redis: 'Redis' };

/** The URL with its password replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: DependencyName,
    /** The redacted URL. */
    readonly where: string,
    readonly reason: string,
    readonly waitedMs: number,
  ) {
    super(`Cannot reach ${labels[dependency]} at ${where} (waited ${(waitedMs / 1000).toFixed(1)} s): ${reason}`);
    this.name = 'DependencyUnavailableError';
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const reasonOf = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
};

/** Retries `attempt` until it succeeds, it fails permanently, or `timeoutMs` has passed. */
async function waitFor(
  dependency: DependencyName,
  url: string,
  timeoutMs: number,
  attempt: (remainingMs: number) => Promise<void>,
  isPermanent: (error: unknown) => boolean,
): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  for (let tries = 1; ; tries += 1) {
    try {
      await attempt(Math.max(deadline - Date.now(), 100));
      return;
    } catch (error) {
      const remaining = deadline - Date.now();
      if (isPermanent(error) || remaining <= 0) {
        throw new DependencyUnavailableError(dependency, redactUrl(url), reasonOf(error), Date.now() - started);
      }
      await delay(Math.min(remaining, 250 * Math.min(tries, 4)));
    }
  }
}

/** Resolves once Redis at `url` answers PING; else rejects with {@link DependencyUnavailableError}. */
export function waitForRedis(url: string, timeoutMs: number): Promise<void> {
  return waitFor(
    'redis',
    url,
    timeoutMs,
    async (remainingMs) => {
      const redis = new Redis(url, {
        lazyConnect: true,
        connectTimeout: Math.min(remainingMs, 5000),
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      });
      // The socket's own error (ECONNREFUSED, ...) says more than connect()'s "Connection is closed".
      let socketError: Error | undefined;
      redis.on('error', (error: Error) => void (socketError = error));
      try {
        await redis.connect();
        await redis.ping();
      } catch (error) {
        throw socketError ?? error;
      } finally {
        redis.disconnect();
      }
    },
    (error) => /WRONGPASS|NOAUTH|invalid password/i.test(reasonOf(error)),
  );
}

/** Network trouble (worth retrying) as opposed to a server that answered "no". */
const transientPostgresCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  '57P03', // cannot_connect_now: the server is starting up
  '53300', // too_many_connections
]);

/** Resolves once PostgreSQL at `url` answers `select 1`; else rejects with {@link DependencyUnavailableError}. */
export function waitForPostgres(url: string, timeoutMs: number): Promise<void> {
  return waitFor(
    'postgres',
    url,
    timeoutMs,
    async (remainingMs) => {
      const sql = postgres(url, { max: 1, connect_timeout: Math.max(1, Math.ceil(Math.min(remainingMs, 10_000) / 1000)), onnotice: () => {} });
      try {
        await sql`select 1`;
      } finally {
        await sql.end({ timeout: 0 });
      }
    },
    (error) => {
      const { code, errors } = error as { code?: string; errors?: { code?: string }[] };
      const codes = [code, ...(errors ?? []).map((inner) => inner.code)].filter(Boolean) as string[];
      return codes.length > 0 && !codes.some((c) => transientPostgresCodes.has(c));
    },
  );
}

/** Waits for every configured dependency at once (one shared time budget). */
export async function waitForDependencies(options: { postgresUrl?: string; redisUrl?: string; timeoutMs: number }): Promise<void> {
  await Promise.all([
    options.postgresUrl ? waitForPostgres(options.postgresUrl, options.timeoutMs) : undefined,
    options.redisUrl ? waitForRedis(options.redisUrl, options.timeoutMs) : undefined,
  ]);
}

// ---------------------------------------------------------------- run time

/**
 * Settings of every long-lived Redis connection: a connection attempt gives up after
 * 5 s, and reconnects follow at most 2 s apart, for as long as the process runs.
 */
export const redisConnectionDefaults = {
  connectTimeout: 5000,
  retryStrategy: (times: number) => Math.min(times * 200, 2000),
} as const;

/**
 * ioredis emits every failed (re)connect as an `error` event and prints it when nobody listens
 * (one line per retry, forever). Outages are reported by /readyz; here they go to debug.
 */
export function quietRedisErrors<T extends Redis>(redis: T, role: string, logger?: Logger): T {
  redis.on('error', (error: Error) => logger?.debug({ err: error, role }, 'redis connection error'));
  return redis;
}

// ---------------------------------------------------------------- /readyz

/** One thing `/readyz` checks; `check` rejects when it is unreachable. */
export interface DependencyCheck {
  name: string;
  /** Where it is (redacted URL or a description), for the report. */
  where: string;
  check(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Resolves when `redis` is first ready, or after `timeoutMs`. A connection without an offline
 * queue fails every command sent before it first connects; its users wait for this instead.
 */
export function firstReadyOrTimeout(redis: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    redis.once('ready', done);
  });
}

/**
 * Redis through a connection of its own that never queues commands: while Redis is away PING
 * fails at once, and the connection keeps reconnecting (at most 2 s apart) so recovery shows
 * within seconds. A check before the first connection waits for it (bounded), so a process
 * asked right after start is not reported down for a connection still being opened.
 */
export function redisCheck(url: string): DependencyCheck {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', () => {}); // the readiness report says it
  const firstConnection = firstReadyOrTimeout(redis, 2000);
  return {
    name: 'redis',
    where: redactUrl(url),
    check: async () => {
      if (redis.status !== 'ready') await firstConnection;
      await redis.ping();
    },
    close: async () => redis.disconnect(),
  };
}

export interface DependencyStatus {
  name: string;
  where: string;
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  /** Checks every dependency now (each bounded by the timeout); logs when one goes down or comes back. */
  check(): Promise<{ ready: boolean; dependencies: DependencyStatus[] }>;
}

export function createReadiness(
  checks: DependencyCheck[],
  options: { logger: Logger; metrics?: ServiceMetrics; timeoutMs?: number },
): Readiness {
  const timeoutMs = options.timeoutMs ?? 2000;
  const lastStatus = new Map<string, 'up' | 'down'>();
  const runOne = async (dependency: DependencyCheck): Promise<DependencyStatus> => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const base = { name: dependency.name, where: dependency.where };
    const latencyMs = () => Math.round((performance.now() - started) * 10) / 10;
    try {
      await Promise.race([
        dependency.check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ...base, status: 'up', latencyMs: latencyMs() };
    } catch (error) {
      return { ...base, status: 'down', latencyMs: latencyMs(), error: reasonOf(error) };
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    async check() {
      const dependencies = await Promise.all(checks.map(runOne));
      for (const dependency of dependencies) {
        options.metrics?.dependencyUp.set({ dependency: dependency.name }, dependency.status === 'up' ? 1 : 0);
        const before = lastStatus.get(dependency.name);
        lastStatus.set(dependency.name, dependency.status);
        if (dependency.status === 'down' && before !== 'down') {
          options.logger.warn({ dependency: dependency.name, where: dependency.where, reason: dependency.error }, `${dependency.name} unreachable: not ready`);
        } else if (dependency.status === 'up' && before === 'down') {
          options.logger.info({ dependency: dependency.name, where: dependency.where }, `${dependency.name} reachable again: ready`);
        }
      }
      return { ready: dependencies.every((dependency) => dependency.status === 'up'), dependencies };
    },
  };
}

/** `GET /readyz`: 200 `{ status: 'ready', dependencies }` or 503 `{ status: 'unavailable', dependencies }`. */
export const readinessHandler =
  (readiness: Readiness, extra: () => Record<string, unknown> = () => ({})): RequestHandler =>
  (_req, res, next) => {
    readiness
      .check()
      .then(({ ready, dependencies }) => res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', ...extra(), dependencies }))
      .catch(next);
  };
