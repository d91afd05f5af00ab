/**
 * Per-subgraph timeout and bounded retries. The timeout is the budget of the whole call, retries
 * included: a retry only ever spends what is left of it, so a client waits at most `timeoutMs`
 * for a subgraph. Only queries are retried (a mutation could run twice), and only after a
 * failure that says nothing was answered: a connection error (refused, reset by a subgraph
 * closing a keep-alive socket) or 502/503/504 (a proxy in front of the subgraph found it down). A
 * timed-out attempt is not retried: the budget is gone. What finally fails is thrown as
 * SUBGRAPH_TIMEOUT / SUBGRAPH_UNAVAILABLE.
 */
import type { FetcherMiddleware } from './fetcher';
import { operationKindOf } from './operation-kind';
import { failureReason, subgraphTimeout, subgraphUnavailable } from './subgraph-errors';

export interface TimeoutRetryOptions {
  serviceName: string;
  /** Longest a call to this subgraph may take, retries included (ms). */
  timeoutMs: number;
  /** Further attempts after the first for queries. Default: 2. */
  retries?: number;
  /** First backoff (ms), doubled per retry, with jitter. Default: 25. */
  retryBaseMs?: number;
  /** Called once per retry (for metrics). */
  onRetry?: (serviceName: string, reason: string) => void;
}

const retryableStatuses = new Set([502, 503, 504]);

export function timeoutAndRetry(options: TimeoutRetryOptions): FetcherMiddleware {
  const { serviceName, timeoutMs } = options;
  const retries = options.retries ?? 2;
  const retryBaseMs = options.retryBaseMs ?? 25;
  return (next) => async (input, init) => {
    const deadline = performance.now() + timeoutMs;
    const maxAttempts = operationKindOf(init?.body) === 'query' ? retries + 1 : 1;
    const callerSignal = init?.signal ?? undefined;
    for (let attempt = 1; ; attempt += 1) {
      const remaining = Math.ceil(deadline - performance.now());
      if (remaining <= 0) throw subgraphTimeout(serviceName, timeoutMs);
      const timeout = AbortSignal.timeout(remaining);
      const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
      const backoff = () => {
        const wait = Math.min(retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random()), deadline - performance.now());
        return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
      };
      let reason: string;
      try {
        const response = await next(input, { ...init, signal });
        if (!retryableStatuses.has(response.status)) return response;
        // Read to the end: frees the connection (a buffered answer has nothing left to read).
        await response.text().catch(() => undefined);
        reason = `HTTP ${response.status}`;
      } catch (error) {
        if (callerSignal?.aborted) throw error;
        if (timeout.aborted) throw subgraphTimeout(serviceName, timeoutMs);
        reason = failureReason(error);
      }
      if (attempt >= maxAttempts) throw subgraphUnavailable(serviceName, reason);
      options.onRetry?.(serviceName, reason);
      await backoff();
    }
  };
}
