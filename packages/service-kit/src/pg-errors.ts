/**
 * PostgreSQL errors the application expects (a constraint doing its job under a race), read
 * the same way from postgres.js (`constraint_name`) and PGlite (`constraint`), through
 * Drizzle's DrizzleQueryError wrapper (`cause`).
 */

interface PgErrorFields {
  code?: unknown;
  constraint?: unknown;
  constraint_name?: unknown;
  cause?: unknown;
}

/** The SQLSTATE and constraint name of a database error (or of its cause chain); null when it is not one. */
export function pgErrorOf(error: unknown): { code: string; constraint: string | null } | null {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    const fields = current as PgErrorFields;
    if (typeof fields.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code)) {
      const constraint = fields.constraint_name ?? fields.constraint;
      return { code: fields.code, constraint: typeof constraint === 'string' ? constraint : null };
    }
    current = fields.cause;
  }
  return null;
}

/** True when `error` is a unique violation (23505), of `constraint` when given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = pgErrorOf(error);
  return pg?.code === '23505' && (constraint === undefined || pg.constraint === constraint);
}
