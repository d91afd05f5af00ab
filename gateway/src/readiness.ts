export interface SubgraphHealth {
  name: string;
  url: string;
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

/** Calls every subgraph's `/healthz` in parallel; a subgraph is up when it answers 200 in time. */
export async function checkSubgraphs(subgraphUrls: Record<string, string>, timeoutMs = 2000): Promise<SubgraphHealth[]> {
  return Promise.all(
    Object.entries(subgraphUrls).map(async ([name, graphqlUrl]) => {
      const url = new URL('/healthz', graphqlUrl).toString();
      const started = performance.now();
      const latency = () => Math.round((performance.now() - started) * 10) / 10;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        return response.ok
          ? { name, url, status: 'up' as const, latencyMs: latency() }
          : { name, url, status: 'down' as const, latencyMs: latency(), error: `HTTP ${response.status}` };
      } catch (error) {
        const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
        return { name, url, status: 'down' as const, latencyMs: latency(), error: reason };
      }
    }),
  );
}
