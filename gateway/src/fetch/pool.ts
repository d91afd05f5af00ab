import { Agent, request } from 'node:http';
import { BufferedResponse, ResponseHeaders } from './buffered-response';
import type { SubgraphFetcher } from './fetcher';

export interface PooledFetcherOptions {
  /** Keep-alive connections per subgraph origin. Default: 64. */
  connectionsPerOrigin?: number;
  /** Idle keep-alive sockets are closed after this long (ms); below Node's default server keep-alive (5 s), so the gateway closes first. Default: 4000. */
  keepAliveTimeoutMs?: number;
}

export interface PooledFetcher {
  fetch: SubgraphFetcher;
  close(): Promise<void>;
}

/**
 * The base of the subgraph fetch path: Node's `http.request` over one keep-alive `Agent`, not
 * the global `fetch` (its per-request WHATWG streams, AbortSignal and Request objects cost about a
 * fifth of the gateway's CPU in the first profile), and not npm undici either: undici parses
 * HTTP with llhttp compiled to WebAssembly, whose first request grew the process by ~10 MiB,
 * where Node's own parser is native (bench/README.md, idle memory). The answer is read into a
 * string and handed on as a `BufferedResponse` (what Apollo's data source reads of a fetch response).
 */
export function createPooledFetcher(options: PooledFetcherOptions = {}): PooledFetcher {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: options.connectionsPerOrigin ?? 64,
    // An idle pooled socket times out after this long and is closed.
    timeout: options.keepAliveTimeoutMs ?? 4000,
    scheduling: 'lifo',
  });
  // The few subgraph URLs, parsed once each.
  const targets = new Map<string, { hostname: string; port: string; path: string }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:') throw new Error(`subgraph URL ${url}: only http: is supported`);
      target = { hostname: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port || '80', path: `${parsed.pathname}${parsed.search}` };
      targets.set(url, target);
    }
    return target;
  };
  const fetcher: SubgraphFetcher = (url, init) =>
    new Promise((resolve, reject) => {
      const { hostname, port, path } = targetOf(url);
      const outgoing = request(
        { agent, hostname, port, path, method: init?.method ?? 'GET', headers: init?.headers, signal: init?.signal ?? undefined },
        (incoming) => {
          let body = '';
          incoming.setEncoding('utf8');
          incoming.on('data', (chunk: string) => {
            body += chunk;
          });
          incoming.on('error', reject);
          incoming.on('end', () => {
            const headers = new ResponseHeaders();
            const raw = incoming.rawHeaders;
            for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
            resolve(new BufferedResponse(incoming.statusCode ?? 0, '', headers, body));
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(init?.body);
    });
  return {
    fetch: fetcher,
    close: async () => agent.destroy(),
  };
}
