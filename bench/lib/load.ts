/**
 * A closed-loop HTTP load generator: `connections` keep-alive connections, each sending its next
 * request as soon as the previous answer arrived. Every connection can carry its own headers (the
 * dashboard signs in as a different member per connection), and every answer is parsed: an HTTP
 * error, a GraphQL `errors` entry or a missing `data` counts as an error.
 */
import { Client } from 'undici';

export interface LoadRequest {
  /** The JSON body (`{ query, variables }`), already serialised. */
  body: string;
  /** Extra headers of this connection (e.g. `authorization`). */
  headers?: Record<string, string>;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationMs: number;
  /** The request connection `i` sends (the same one for its whole run). */
  requestFor(connection: number): LoadRequest;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** First error seen, for the report. */
  firstError?: string;
  durationMs: number;
  rps: number;
  p50: number;
  p99: number;
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const fail = (message: string) => {
    errors += 1;
    firstError ??= message;
  };
  const clients = Array.from({ length: options.connections }, () => new Client(url.origin, { pipelining: 1 }));
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(
    clients.map(async (client, i) => {
      const request = options.requestFor(i);
      const headers = { 'content-type': 'application/json', ...request.headers };
      while (performance.now() < deadline) {
        const sent = performance.now();
        try {
          const response = await client.request({ path: url.pathname, method: 'POST', headers, body: request.body });
          const text = await response.body.text();
          latencies.push(performance.now() - sent);
          if (response.statusCode !== 200) fail(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
          else if (text.includes('"errors"') || !text.includes('"data":{')) fail(text.slice(0, 300));
        } catch (error) {
          latencies.push(performance.now() - sent);
          fail(String(error));
        }
      }
    }),
  );
  const elapsed = performance.now() - started;
  await Promise.all(clients.map((client) => client.close()));
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    firstError,
    durationMs: elapsed,
    rps: (latencies.length * 1000) / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}
