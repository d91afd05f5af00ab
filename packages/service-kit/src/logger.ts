import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout, one logger per service. */
export function createLogger(service: string, level: string): Logger {
  return pino({ name: service, level, base: { service } });
}

/**
 * The one human-readable start-up line per service (stderr, so JSON on stdout stays
 * parseable); quiet when the service's logger is silenced (tests).
 */
export function announce(logger: Logger, service: string, message: string): void {
  if (logger.level === 'silent') return;
  process.stderr.write(`${`[${service}]`.padEnd(12)} ${message}\n`);
}
