/**
 * The gateway's data source for one subgraph: Apollo's RemoteGraphQLDataSource over the fetcher
 * chain (fetcher.ts), observed (metrics, trace context), with the client's identity forwarded and
 * the request signed, so the subgraph knows it came through the gateway and from which client.
 */
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayMetrics, GatewaySigner } from '@fitgraph/service-kit';
import { observeSubgraphFetches } from '../observability';
import type { SubgraphFetcher } from './fetcher';

/** What a subgraph fetch needs to know of the client request it serves. */
export interface SubgraphRequestContext {
  requestId: string;
  /** Forwarded as-is: subgraphs verify the same token themselves (see service-kit auth.ts). */
  authorization: string | null;
  deviceKey: string | null;
  /** The client's address (proxy-aware); signed into the attestation for the subgraphs' per-IP limits. */
  clientIp?: string | null;
}

/** Header names the gateway passes through to subgraphs. */
export const forwardedHeaders = { authorization: 'authorization', deviceKey: 'x-device-key', requestId: 'x-request-id' } as const;

export interface SubgraphDataSourceOptions {
  /** The URL to call for a subgraph (env override, else the supergraph file's). */
  urlFor(name: string, fileUrl?: string): string | undefined;
  /** The composed fetcher of one subgraph (dedupe, resilience, pool). */
  fetcherFor(name: string): SubgraphFetcher;
  signer: GatewaySigner;
  metrics: GatewayMetrics;
}

/** Apollo's `buildService`: a data source per subgraph of the supergraph. */
export const subgraphDataSources =
  <TContext extends SubgraphRequestContext>(options: SubgraphDataSourceOptions) =>
  ({ name, url }: { name: string; url?: string }): RemoteGraphQLDataSource<TContext> => {
    const observed = observeSubgraphFetches(name, options.metrics);
    return new RemoteGraphQLDataSource<TContext>({
      url: options.urlFor(name, url),
      fetcher: options.fetcherFor(name),
      didReceiveResponse: observed.didReceiveResponse,
      didEncounterError: observed.didEncounterError,
      willSendRequest: (processOptions) => {
        observed.willSendRequest(processOptions);
        const { request, context } = processOptions;
        const headers = request.http?.headers;
        if (!headers || !context.requestId) return;
        headers.set(forwardedHeaders.requestId, context.requestId);
        if (context.authorization) headers.set(forwardedHeaders.authorization, context.authorization);
        if (context.deviceKey) headers.set(forwardedHeaders.deviceKey, context.deviceKey);
        // The subgraph believes the client address only with the gateway's signature over it.
        for (const [header, value] of Object.entries(options.signer.headers(context.clientIp ?? null))) headers.set(header, value);
      },
    });
  };
