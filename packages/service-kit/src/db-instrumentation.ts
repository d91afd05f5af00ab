/**
 * Times every SQL statement a subgraph's Drizzle database runs (metrics) and gives it a span
 * (traces). Drizzle's logger only sees a statement before it runs, so the timing wraps the
 * drivers' own entry points: postgres.js `unsafe` (every Drizzle statement, in and out of
 * transactions) and PGlite `query`.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { Sql } from 'postgres';
import { sqlOperationOf, type DatabaseMetrics } from './metrics';
import { endSpan, startSqlSpan } from './tracing';

/** Called as a statement starts; the returned function when it has finished (with its error, if any). */
export type QueryObserver = (statement: string) => (error?: unknown) => void;

export function queryObserver(databaseName: string, metrics?: DatabaseMetrics): QueryObserver {
  return (statement) => {
    const operation = sqlOperationOf(statement);
    const span = startSqlSpan(statement, operation, databaseName);
    const started = performance.now();
    metrics?.queriesInFlight.inc();
    return (error) => {
      metrics?.queriesInFlight.dec();
      metrics?.queryDuration.observe({ operation, outcome: error === undefined ? 'ok' : 'error' }, (performance.now() - started) / 1000);
      endSpan(span, error);
    };
  };
}

/** postgres.js's Query: a Promise subclass that starts executing in `handle()` (on first await). */
interface PendingQuery extends Promise<unknown> {
  executed: boolean;
  handle(): Promise<void>;
}

/** Instruments `sql` in place (and every transaction / savepoint scope it opens). */
export function instrumentPostgres(sql: Sql, observe: QueryObserver): Sql {
  const target = sql as unknown as {
    unsafe: (statement: string, ...rest: unknown[]) => PendingQuery;
    begin?: (...args: unknown[]) => Promise<unknown>;
    savepoint?: (...args: unknown[]) => Promise<unknown>;
  };
  const unsafe = target.unsafe;
  target.unsafe = (statement, ...rest) => {
    const query = unsafe(statement, ...rest);
    const handle = query.handle;
    query.handle = function timedHandle(this: PendingQuery) {
      if (!this.executed) {
        const done = observe(statement);
        // Query's species is Promise: this attaches listeners without starting it again.
        Promise.prototype.then.call(this, () => done(), (error: unknown) => done(error));
      }
      return handle.call(this);
    };
    return query;
  };
  // Transactions and savepoints run on scoped `sql` objects of their own.
  for (const method of ['begin', 'savepoint'] as const) {
    const original = target[method];
    if (!original) continue;
    target[method] = (...args: unknown[]) => {
      const at = args.findIndex((arg) => typeof arg === 'function');
      if (at >= 0) {
        const body = args[at] as (scoped: Sql) => unknown;
        args[at] = (scoped: Sql) => body(instrumentPostgres(scoped, observe));
      }
      return original.apply(sql, args);
    };
  }
  return sql;
}

/** Instruments an embedded PGlite's `query` in place (statements outside transactions). */
export function instrumentPglite(client: PGlite, observe: QueryObserver): PGlite {
  const query = client.query.bind(client);
  client.query = (async (statement: string, ...rest: unknown[]) => {
    const done = observe(statement);
    try {
      const result = await (query as (s: string, ...r: unknown[]) => Promise<unknown>)(statement, ...rest);
      done();
      return result;
    } catch (error) {
      done(error);
      throw error;
    }
  }) as PGlite['query'];
  return client;
}
