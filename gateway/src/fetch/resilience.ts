/**
 * The resilience part of the subgraph fetch path, per subgraph: its circuit breaker (outermost:
 * an open breaker answers before any attempt) around its timeout-and-retry budget.
 */
import type { Logger } from '@fitgraph/service-kit';
import { perSubgraph } from '../supergraph';
import { SubgraphCircuitBreakers, type CircuitBreakerSettings } from './circuit-breaker';
import type { FetcherMiddleware } from './fetcher';
import { timeoutAndRetry } from './timeout-retry';

export interface ResilienceOptions {
  /** Longest a call to a subgraph may take, retries included (ms). Default: 10 000. */
  timeoutMs?: number;
  /** Per-subgraph timeouts, keyed by subgraph name (or lower-cased env name). */
  timeouts?: Record<string, number>;
  /** Retries of a failed query within its timeout; mutations are never retried. Default: 2. */
  retries?: number;
  /** First retry backoff (ms), doubled per retry. Default: 25. */
  retryBaseMs?: number;
  /** Circuit breaker settings, the same for every subgraph. */
  breaker?: Partial<CircuitBreakerSettings>;
}

export interface SubgraphResilience {
  /** The middlewares for `serviceName`'s data sources, outermost first. */
  middlewares(serviceName: string): FetcherMiddleware[];
  breakers: SubgraphCircuitBreakers;
}

export function createSubgraphResilience(options: ResilienceOptions = {}, logger?: Logger): SubgraphResilience {
  const breakers = new SubgraphCircuitBreakers(options.breaker, logger);
  return {
    breakers,
    middlewares: (serviceName) => [
      breakers.middleware(serviceName),
      timeoutAndRetry({
        serviceName,
        timeoutMs: perSubgraph(options.timeouts, serviceName) ?? options.timeoutMs ?? 10_000,
        retries: options.retries,
        retryBaseMs: options.retryBaseMs,
        onRetry: (name, reason) => logger?.debug({ subgraph: name, reason }, 'retrying a subgraph query'),
      }),
    ],
  };
}
