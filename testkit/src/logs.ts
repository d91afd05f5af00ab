/** Log scanning: what must never appear in any FitGraph log line. */
import { createLogger, type Logger } from '@fitgraph/service-kit';

/**
 * Where the tests' in-process services log (vitest.config.ts names one file per run; the global
 * teardown scans it with {@link secretsInLog}), unless TEST_LOG_LEVEL asks for logs on stdout.
 */
export const testLogFile = (): string | undefined => (process.env.TEST_LOG_LEVEL ? undefined : process.env.FITGRAPH_TEST_LOG_FILE);

/** The level tests log at: TEST_LOG_LEVEL, else `info` into the run's log file, else silent. */
export const testLogLevel = (): string => process.env.TEST_LOG_LEVEL ?? (testLogFile() ? 'info' : 'silent');

/** A logger for a service a test runs in this process (into the run's scanned log file). */
export const testLogger = (service: string): Logger => createLogger(service, testLogLevel(), testLogFile());

/** Shapes of secrets recognisable without knowing them. */
const secretShapes: [string, RegExp][] = [
  ['an email address', /[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/i],
  ['a JWT', /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/],
  ['a password hash', /scrypt\$\d+\$\d+\$\d+\$/],
  ['SQL parameters', /\bparams:|"parameters"\s*:|"args"\s*:\s*\[/],
];

export interface LogFinding {
  /** What was found (`an email address`, or `known secret #3`). */
  what: string;
  /** The offending log line, shortened. */
  line: string;
}

/**
 * Every line of `log` showing a secret: any of `known` (passwords, tokens, message bodies the
 * test used) or anything shaped like an email, a JWT, a password hash or SQL parameters.
 */
export function secretsInLog(log: string, known: string[] = []): LogFinding[] {
  const findings: LogFinding[] = [];
  for (const line of log.split('\n')) {
    if (!line) continue;
    const shape = secretShapes.find(([, pattern]) => pattern.test(line));
    const secret = known.findIndex((value) => value.length >= 6 && line.includes(value));
    if (shape) findings.push({ what: shape[0], line: line.slice(0, 400) });
    else if (secret >= 0) findings.push({ what: `known secret #${secret}`, line: line.slice(0, 400) });
  }
  return findings;
}
