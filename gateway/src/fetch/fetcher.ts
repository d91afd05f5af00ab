/**
 * The gateway's subgraph HTTP path is a chain of small wrappers around one base fetcher, each
 * concern in its own file here (timeouts and retries, circuit breaker, in-flight request merging,
 * the keep-alive connection pool), composed once where the data sources are built (server.ts).
 *
 * The types are the subset of `fetch` that Apollo's RemoteGraphQLDataSource uses (its `Fetcher`):
 * a request is a URL and a plain init, an answer is a buffered response (see pool.ts). A standard
 * `fetch`/`Response` fits them too.
 */

/** A request as RemoteGraphQLDataSource sends it: POST, lower-cased header record, JSON text body. */
export interface SubgraphRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal | null;
}

export interface SubgraphHeaders extends Iterable<[string, string]> {
  append(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  has(name: string): boolean;
  set(name: string, value: string): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
}

export interface SubgraphResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly redirected: boolean;
  readonly bodyUsed: boolean;
  readonly headers: SubgraphHeaders;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
  clone(): SubgraphResponse;
}

export type SubgraphFetcher = (url: string, init?: SubgraphRequestInit) => Promise<SubgraphResponse>;

/** One concern of the subgraph fetch path: wraps the next fetcher in the chain. */
export type FetcherMiddleware = (next: SubgraphFetcher) => SubgraphFetcher;

/** `base` wrapped by `middlewares`, the first one outermost (it sees each request first). */
export function composeFetcher(base: SubgraphFetcher, ...middlewares: FetcherMiddleware[]): SubgraphFetcher {
  return middlewares.reduceRight<SubgraphFetcher>((next, middleware) => middleware(next), base);
}
