/**
 * Errors made safe to log. Database errors carry what the user sent: Drizzle's
 * DrizzleQueryError puts every SQL parameter in its message ("params: a@b.c,scrypt$…"),
 * postgres.js errors carry `parameters`/`args`, PostgreSQL's `detail` repeats key values
 * ("Key (email)=(…) already exists") and some messages quote the offending value. A logged
 * error keeps only an allow-list of fields, its message and stack without those values, and
 * its causes made safe the same way.
 */

/** Fields worth keeping, none of which holds user data: SQLSTATE, constraint, table, column... */
const keptFields = ['code', 'severity', 'constraint', 'constraint_name', 'table', 'table_name', 'column', 'column_name', 'routine', 'path'] as const;

const emailPattern = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[A-Za-z]{2,}/g;
const jwtPattern = /\beyJ[\w-]+\.[\w-]+\.[\w-]+/g;
/** PostgreSQL quotes the value it refused at the end: `invalid input syntax for type uuid: "…"`. */
const quotedValuePattern = /: "(?:[^"]|"")*"\s*$/;

/** A message without SQL parameters, quoted values, emails or tokens. */
export function safeMessage(message: string): string {
  const withoutParams = message.split('\nparams:')[0]!;
  return withoutParams.replace(quotedValuePattern, ': [redacted]').replace(emailPattern, '[email]').replace(jwtPattern, '[token]');
}

export interface SafeError {
  type: string;
  message: string;
  stack?: string;
  /** The SQL text (placeholders only, never the parameters) of a failed Drizzle query. */
  query?: string;
  extensionsCode?: string;
  cause?: SafeError;
  [field: string]: unknown;
}

/** pino serializer for `err`: an error reduced to what is safe to log (see the module comment). */
export function safeError(error: unknown, depth = 0): SafeError | unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? safeMessage(error) : error;
  const fields = error as unknown as Record<string, unknown>;
  // DrizzleQueryError leaves `name` at 'Error'; its class says what it is.
  const type = error.name && error.name !== 'Error' ? error.name : error.constructor?.name || 'Error';
  const message = safeMessage(error.message ?? '');
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const safe: SafeError = { type, message, ...(frames.length > 0 ? { stack: [`${type}: ${message}`, ...frames].join('\n') } : {}) };
  for (const field of keptFields) {
    const value = fields[field];
    if (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) safe[field] = value;
  }
  // Drizzle's query text has `$1` placeholders; the values stay out.
  if (type === 'DrizzleQueryError' && typeof fields.query === 'string') safe.query = fields.query;
  const extensions = fields.extensions as { code?: unknown } | undefined;
  if (typeof extensions?.code === 'string') safe.extensionsCode = extensions.code;
  // GraphQLError keeps what it wraps in `originalError`, everything else in `cause`.
  const inner = fields.originalError ?? fields.cause;
  if (inner && inner !== error && depth < 5) safe.cause = safeError(inner, depth + 1) as SafeError;
  return safe;
}
