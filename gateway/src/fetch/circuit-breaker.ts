/**
 * One circuit breaker per subgraph (opossum). While a subgraph keeps failing (connection errors,
 * timeouts, 5xx), its breaker opens and calls to it fail at once with SUBGRAPH_UNAVAILABLE instead
 * of each waiting for the timeout; after `resetTimeoutMs` one trial call goes through (half-open),
 * and its success closes the breaker again. Breakers live per subgraph name, not per data
 * source, so their state survives supergraph reloads.
 */
import CircuitBreaker from 'opossum';
import type { Logger } from '@fitgraph/service-kit';
import type { FetcherMiddleware, SubgraphFetcher, SubgraphResponse } from './fetcher';
import { isSubgraphError, subgraphUnavailable } from './subgraph-errors';

import type { BreakerState } from '@fitgraph/service-kit';

export type { BreakerState };

export interface CircuitBreakerSettings {
  /** Failure percentage (of calls in the rolling window) above which the breaker opens. Default: 50. */
  errorThresholdPercentage: number;
  /** Calls in the rolling window before the breaker may open at all. Default: 5. */
  volumeThreshold: number;
  /**
   * Failures in a row that open the breaker whatever the percentage: after much healthy traffic
   * the percentage alone would keep a hung subgraph's breaker closed for most of the window. Default: 5.
   */
  consecutiveFailures: number;
  /** How long an open breaker fails fast before letting one trial call through (ms). Default: 5000. */
  resetTimeoutMs: number;
  /** Rolling window the failure percentage is computed over (ms). Default: 10 000. */
  rollingWindowMs: number;
}

export const defaultCircuitBreakerSettings: CircuitBreakerSettings = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  consecutiveFailures: 5,
  resetTimeoutMs: 5000,
  rollingWindowMs: 10_000,
};

/** A listener for breaker transitions (metrics: the breaker-state gauge). */
export type BreakerStateListener = (serviceName: string, state: BreakerState) => void;

/** A 5xx the subgraph answered: a failure for the breaker, but the response still goes back to the caller. */
class ServerErrorResponse extends Error {
  constructor(readonly response: SubgraphResponse) {
    super(`HTTP ${response.status}`);
  }
}

type Call = (next: SubgraphFetcher, input: Parameters<SubgraphFetcher>[0], init: Parameters<SubgraphFetcher>[1]) => Promise<SubgraphResponse>;

const call: Call = async (next, input, init) => {
  const response = await next(input, init);
  if (response.status >= 500) throw new ServerErrorResponse(response);
  return response;
};

export class SubgraphCircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker<Parameters<Call>, SubgraphResponse>>();
  private readonly listeners = new Set<BreakerStateListener>();
  private readonly settings: CircuitBreakerSettings;

  constructor(
    settings: Partial<CircuitBreakerSettings> = {},
    private readonly logger?: Logger,
  ) {
    this.settings = { ...defaultCircuitBreakerSettings, ...settings };
  }

  /** The fetch-path middleware for `serviceName` (its breaker is created once and kept). */
  middleware(serviceName: string): FetcherMiddleware {
    const breaker = this.breakerFor(serviceName);
    return (next) => async (input, init) => {
      try {
        return await breaker.fire(next, input, init);
      } catch (error) {
        if (error instanceof ServerErrorResponse) return error.response;
        if ((error as { code?: string }).code === 'EOPENBREAKER') throw subgraphUnavailable(serviceName, 'circuit breaker open');
        throw error;
      }
    };
  }

  /** Each subgraph's breaker state (for /healthz and metrics). */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([name, breaker]) => [name, stateOf(breaker)]));
  }

  /** Calls `listener` on every transition of any breaker; returns an unsubscribe. */
  onStateChange(listener: BreakerStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the breakers' timers. */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }

  private breakerFor(serviceName: string): CircuitBreaker<Parameters<Call>, SubgraphResponse> {
    let breaker = this.breakers.get(serviceName);
    if (breaker) return breaker;
    const { errorThresholdPercentage, volumeThreshold, resetTimeoutMs, rollingWindowMs } = this.settings;
    breaker = new CircuitBreaker(call, {
      name: serviceName,
      // Timeouts are timeoutAndRetry's job (it aborts the request; opossum's would not).
      timeout: false,
      errorThresholdPercentage,
      volumeThreshold,
      resetTimeout: resetTimeoutMs,
      rollingCountTimeout: rollingWindowMs,
      rollingCountBuckets: 10,
      // Only the subgraph's own failures count: not, say, a request the caller aborted.
      errorFilter: (error: unknown) => !(error instanceof ServerErrorResponse || isSubgraphError(error) || isNetworkError(error)),
    });
    const notify = (state: BreakerState) => () => {
      this.logger?.[state === 'closed' ? 'info' : 'warn']({ subgraph: serviceName, breaker: state }, `circuit breaker ${state}`);
      for (const listener of this.listeners) listener(serviceName, state);
    };
    let failuresInARow = 0;
    breaker.on('success', () => void (failuresInARow = 0));
    breaker.on('failure', () => {
      failuresInARow += 1;
      if (failuresInARow >= this.settings.consecutiveFailures) breaker!.open();
    });
    breaker.on('open', () => void (failuresInARow = 0));
    breaker.on('open', notify('open'));
    breaker.on('halfOpen', notify('halfOpen'));
    breaker.on('close', notify('closed'));
    this.breakers.set(serviceName, breaker);
    return breaker;
  }
}

const stateOf = (breaker: CircuitBreaker): BreakerState => (breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed');

/** A failed fetch (undici throws `TypeError: fetch failed` with the socket error as cause). */
const isNetworkError = (error: unknown) => error instanceof TypeError && error.message === 'fetch failed';
