import { BufferedResponse, ResponseHeaders } from './buffered-response';
import type { FetcherMiddleware, SubgraphRequestInit } from './fetcher';

/**
 * The headers that decide what a subgraph answers: who is asking. Requests are merged only when
 * these match exactly (an absent header matches only an absent one), so two viewers never share
 * an answer. `x-request-id` and the gateway's attestation (client address) are correlation and throttling hints, not
 * identity; a merged request carries the first caller's.
 */
export const identityHeaders = ['authorization', 'x-device-key'] as const;

interface SharedAnswer {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
}

const headerOf = (headers: SubgraphRequestInit['headers'], name: string): string | null => {
  if (!headers) return null;
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1] ?? null;
};

/**
 * A subgraph query document as the gateway sends it: `{"query":"query …` or `{"query":"{…`.
 * Anything else (mutations, subscriptions, bodies in another shape) is never merged.
 */
const isQueryBody = (body: unknown): body is string => typeof body === 'string' && /^\{"query":"(?:query\b|\{)/.test(body);

/** Raced against the caller's own signal: a merged caller that gives up does not cancel the others. */
function withSignal<T>(promise: Promise<T>, signal: AbortSignal | null | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export interface InflightDedupeStats {
  /** Requests sent on to the subgraph. */
  sent: number;
  /** Requests answered by joining one already in flight. */
  merged: number;
}

/**
 * Merges identical in-flight subgraph QUERIES: while one POST with the same URL, body (document
 * and variables) and identity headers is on its way, later ones wait for its answer instead of
 * sending their own; each caller gets its own copy of the response. Nothing is cached: once the
 * answer arrives, the next identical query goes to the subgraph again. Mutations are never merged.
 * The shared request runs through the rest of the chain without any one caller's abort signal.
 */
export function inflightDedupe(stats: InflightDedupeStats = { sent: 0, merged: 0 }): FetcherMiddleware {
  const inflight = new Map<string, Promise<SharedAnswer>>();
  return (next) => async (input, init) => {
    const body = init?.body;
    if ((init?.method ?? 'GET').toUpperCase() !== 'POST' || !isQueryBody(body)) {
      stats.sent += 1;
      return next(input, init);
    }
    const identity = identityHeaders.map((name) => headerOf(init?.headers, name) ?? '').join('\n');
    const key = `${input}\n${identity}\n${body}`;
    let shared = inflight.get(key);
    if (shared) stats.merged += 1;
    else {
      stats.sent += 1;
      const { signal: _callerSignal, ...sharedInit } = init!;
      shared = next(input, sharedInit).then(async (response) => ({
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers],
        body: await response.text(),
      }));
      inflight.set(key, shared);
      const forget = () => inflight.delete(key);
      shared.then(forget, forget);
    }
    const answer = await withSignal(shared, init?.signal);
    return new BufferedResponse(answer.status, answer.statusText, new ResponseHeaders(answer.headers), answer.body);
  };
}
