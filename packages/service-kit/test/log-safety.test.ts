/**
 * What service-kit writes to logs and answers as errors: a real failed query (PostgreSQL when
 * DATABASE_URL is set, else PGlite) logged through the logger and the error formatter keeps its
 * SQLSTATE, table and SQL text but none of its parameters; known secret keys are redacted;
 * production masks unexpected errors and hints, development shows them (made safe).
 */
import { Writable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { createErrorFormatter, createLogger, type Logger } from '@fitgraph/service-kit';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { GraphQLError, locatedError } from 'graphql';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A logger whose lines land in `lines` (pino JSON, parsed). */
function capturedLogger(): { logger: Logger; lines: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger('log-safety-test', 'trace', stream), lines: () => text };
}

const email = 'jamie.secret@example.com';
const passwordHash = 'scrypt$16384$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
const chatBody = 'meet me at the secret place';

describe('errors in logs and responses', () => {
  let failure: unknown;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // An INSERT-shaped failure: a uuid column fed a non-uuid, with the other parameters beside it.
    const query = sql`select ${email}::text as email, ${passwordHash}::text as hash, ${chatBody}::text as body, ${'not-a-uuid'}::uuid as id`;
    if (process.env.DATABASE_URL) {
      const client = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
      close = () => client.end();
      failure = await drizzlePostgres(client).execute(query).catch((error: unknown) => error);
    } else {
      const client = new PGlite();
      close = () => client.close();
      failure = await drizzlePglite(client).execute(query).catch((error: unknown) => error);
    }
  });
  afterAll(async () => {
    await close?.();
  });

  it('the failure really carries the parameters (what used to be logged)', () => {
    expect(String((failure as Error).message)).toContain(email);
    expect(String((failure as Error).message)).toContain(passwordHash);
  });

  it('logs a failed query with its SQLSTATE and SQL text, without parameters or the refused value', () => {
    const { logger, lines } = capturedLogger();
    logger.error({ err: failure }, 'query failed');
    // As graphql-js hands it to formatError: wrapped in a GraphQLError with the same message.
    createErrorFormatter(logger)({ message: (failure as Error).message, path: ['signUp'] }, locatedError(failure, undefined, ['signUp']));
    const log = lines();
    for (const secret of [email, passwordHash, chatBody, 'not-a-uuid', 'params:']) expect(log).not.toContain(secret);
    expect(log).toContain('22P02'); // invalid_text_representation
    expect(log).toContain('select $1::text as email');
    expect(log).toContain('DrizzleQueryError');
    expect(log.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('redacts secrets by key wherever a caller puts them', () => {
    const { logger, lines } = capturedLogger();
    logger.info(
      { email, password: 'hunter2-hunter2', request: { authorization: 'Bearer abc.def.ghi', variables: { body: chatBody } }, refreshToken: 'rt-secret-value' },
      'something happened',
    );
    const log = lines();
    for (const secret of [email, 'hunter2-hunter2', 'Bearer abc', chatBody, 'rt-secret-value']) expect(log).not.toContain(secret);
    expect(log).toContain('[redacted]');
  });

  it('development: an unexpected error keeps its (safe) message, code and serviceName; never a stack', () => {
    const { logger } = capturedLogger();
    const format = createErrorFormatter(logger, { production: false });
    const local = format({ message: (failure as Error).message, extensions: { stacktrace: ['at x'] } }, failure);
    expect(local.message).toMatch(/^Failed query: select \$1::text/);
    expect(local.message).not.toContain(email);
    expect(local.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    // A subgraph's error as the gateway's executor hands it over.
    const downstream = format({ message: 'Failed query: insert into "users"', extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'user' } }, new GraphQLError('x'));
    expect(downstream).toEqual({ message: 'Failed query: insert into "users"', extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'user' } });
  });

  it('production: unexpected errors masked, known codes kept, no "Did you mean" hints', () => {
    const { logger } = capturedLogger();
    const format = createErrorFormatter(logger, { production: true });
    expect(format({ message: (failure as Error).message, path: ['signUp'] }, failure)).toEqual({
      message: 'Internal server error',
      path: ['signUp'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(format({ message: 'Not allowed', extensions: { code: 'FORBIDDEN', serviceName: 'chat' } }, null).extensions?.code).toBe('FORBIDDEN');
    const hint = format({ message: 'Cannot query field "emial" on type "User". Did you mean "email"?', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, null);
    expect(hint.message).toBe('Cannot query field "emial" on type "User".');
  });

  it('a subgraph that refused a request with HTTP 400 is answered with its own error, not "400: Bad Request"', () => {
    const { logger } = capturedLogger();
    const refused = {
      message: '400: Bad Request',
      extensions: {
        response: {
          url: 'http://10.0.0.5:4002/graphql',
          status: 400,
          body: { errors: [{ message: 'date: must be a calendar date (YYYY-MM-DD)', extensions: { code: 'BAD_USER_INPUT', field: 'date' } }] },
        },
      },
    };
    for (const production of [false, true]) {
      expect(createErrorFormatter(logger, { production })(refused, null)).toEqual({
        message: 'date: must be a calendar date (YYYY-MM-DD)',
        extensions: { code: 'BAD_USER_INPUT', field: 'date' },
      });
    }
  });
});
