/**
 * The loop behind every "write it durably first, pass it on when the other side answers" relay
 * (the event outbox, recorded revocations): batches taken from a table and handed on, on a timer
 * and on demand. One pass runs at a time (a flush during a pass asks for one more after it), a
 * failure is logged once per outage and retried on the next tick, and stopping waits a bounded
 * time, so an unreachable target never holds shutdown (what it held stays recorded).
 */
import type { Logger } from './logger';

export interface BatchRelay {
  /** Relays everything waiting; never throws. */
  flush(): Promise<void>;
  /** Whether the last pass left nothing waiting. In memory only (askable inside another transaction). */
  drained(): boolean;
  stop(): Promise<void>;
}

export interface BatchRelayOptions {
  /** What it relays, for its log lines (e.g. `events`, `revocations`). */
  what: string;
  /** Relays one batch of at most `batchSize` in one transaction; resolves with how many it relayed. */
  relayBatch(): Promise<number>;
  batchSize: number;
  /** How often a failed pass is retried (ms). */
  intervalMs: number;
  /**
   * How often a healthy relay looks anyway (ms), for what another process recorded and could not
   * relay before it stopped. Default: `intervalMs`.
   */
  sweepMs?: number;
  logger: Logger;
}

export function startBatchRelay(options: BatchRelayOptions): BatchRelay {
  const { what, logger } = options;
  let current: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let failing = false;
  let drained = false;
  let lastPassAt = 0;

  const pass = async () => {
    lastPassAt = Date.now();
    do {
      again = false;
      try {
        let relayed = 0;
        let batch: number;
        while (!stopped && (batch = await options.relayBatch()) > 0) {
          relayed += batch;
          if (batch < options.batchSize) break;
        }
        if (failing) logger.info({ relayed }, `${what} relayed again`);
        failing = false;
        drained = !stopped;
      } catch (error) {
        // Logged once per outage, not once a tick.
        if (!failing) logger.warn({ err: error }, `relaying ${what} failed; retrying every ${options.intervalMs} ms`);
        failing = true;
        drained = false;
      }
    } while (again && !stopped);
  };

  const flush = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (current) {
      again = true;
      return current;
    }
    current = pass().finally(() => {
      current = null;
    });
    return current;
  };

  const sweepMs = options.sweepMs ?? options.intervalMs;
  const timer = setInterval(() => {
    if (failing || Date.now() - lastPassAt >= sweepMs) void flush();
  }, options.intervalMs);
  timer.unref();
  void flush();

  return {
    flush,
    drained: () => drained,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await Promise.race([current, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    },
  };
}
