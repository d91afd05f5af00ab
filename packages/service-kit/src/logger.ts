import { pino, type DestinationStream, type Logger } from 'pino';
import { safeError } from './log-safety';

export type { Logger };

/**
 * Keys whose values never reach a log line, wherever a caller puts them (two levels deep):
 * credentials, personal data and message bodies. Errors are made safe by {@link safeError}.
 */
const secretKeys = [
  'authorization',
  'password',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'deviceKey',
  'email',
  'body',
  'variables',
  'params',
  'parameters',
  'args',
];
export const redactedPaths = secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

// One file descriptor per path, shared by every logger of the process (appends stay whole lines).
const files = new Map<string, DestinationStream>();
const fileDestination = (path: string): DestinationStream => {
  let destination = files.get(path);
  if (!destination) {
    destination = pino.destination({ dest: path, append: true, mkdir: true, sync: true });
    files.set(path, destination);
  }
  return destination;
};

/**
 * Structured JSON logs, one logger per service: on stdout, or appended to `destination` (a file
 * path, `LOG_FILE`, or a stream). Secrets are redacted by key and errors serialised without SQL
 * parameters, database detail or values echoed in messages.
 */
export function createLogger(
  service: string,
  level: string,
  destination?: string | DestinationStream,
): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: { err: safeError, error: safeError },
  };
  if (destination === undefined) return pino(options);
  const logger = pino(options, typeof destination === 'string' ? fileDestination(destination) : destination);
  if (typeof destination === 'string') fileLoggers.add(logger);
  return logger;
}

/** Loggers writing to a file (LOG_FILE): their service's start-up line goes there too, not to the terminal. */
const fileLoggers = new WeakSet<Logger>();

/**
 * The one human-readable start-up line per service (stderr, so JSON on stdout stays
 * parseable); quiet when the service's logger is silenced (tests).
 */
export function announce(logger: Logger, service: string, message: string): void {
  if (logger.level === 'silent') return;
  if (fileLoggers.has(logger)) return void logger.info({ announce: message }, 'started');
  process.stderr.write(`${`[${service}]`.padEnd(12)} ${message}\n`);
}
