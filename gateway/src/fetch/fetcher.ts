/**
 * The gateway's subgraph HTTP path is a chain of small wrappers around one base fetcher, each
 * concern in its own file here (timeouts and retries, circuit breaker, in-flight request merging,
 * the keep-alive connection pool), composed once where the data sources are built (server.ts).
 */
export type SubgraphFetcher = typeof fetch;

/** One concern of the subgraph fetch path: wraps the next fetcher in the chain. */
export type FetcherMiddleware = (next: SubgraphFetcher) => SubgraphFetcher;

/** `base` wrapped by `middlewares`, the first one outermost (it sees each request first). */
export function composeFetcher(base: SubgraphFetcher, ...middlewares: FetcherMiddleware[]): SubgraphFetcher {
  return middlewares.reduceRight<SubgraphFetcher>((next, middleware) => middleware(next), base);
}
