/**
 * The upstream pool: graphql-ws connections per subgraph and identity, shared by every upstream
 * stream of that identity, opened on first use and disposed with their last stream. A connection
 * carries at most `streamsPerConnection` streams (below the subgraphs' own cap per socket,
 * SUBGRAPH_SUBSCRIPTIONS_PER_SOCKET); an identity with more (anonymous clients share one
 * identity) gets another connection.
 * The identity's access token lives only with its connection: the newest one a client of the
 * identity presented is the one a reconnect sends (graphql-ws owns the connection's lifecycle).
 */
import type { Logger } from '@fitgraph/service-kit';
import type { Identity } from './identity';
import { UpstreamConnection, type UpstreamOptions } from './upstream';

export interface UpstreamPoolOptions {
  /** Subgraph name -> HTTP GraphQL URL; read when a connection opens (a reloaded supergraph brings new ones). */
  subgraphUrls: Record<string, string>;
  /** Streams one upstream connection carries before the identity gets another. Default: 400. */
  streamsPerConnection?: number;
  upstream?: UpstreamOptions;
  logger: Logger;
}

const keyOf = (subgraph: string, identityKey: string) => `${subgraph}\n${identityKey}`;

export const defaultStreamsPerConnection = 400;

export class UpstreamPool {
  private readonly connections = new Map<string, UpstreamConnection[]>();
  /** Reconnects of connections already disposed. */
  private closedReconnects = 0;

  constructor(private readonly options: UpstreamPoolOptions) {}

  /**
   * A connection of `identity` to `subgraph` with room for a stream (opened if none has), presenting
   * the identity's newest token from now on. `retain` counts a new stream on it.
   */
  connectionFor(subgraph: string, identity: Identity, retain: boolean): UpstreamConnection {
    const key = keyOf(subgraph, identity.key);
    const open = this.connections.get(key) ?? [];
    const max = this.options.streamsPerConnection ?? defaultStreamsPerConnection;
    let connection = open.find((candidate) => candidate.streams < max);
    if (!connection) {
      const url = this.options.subgraphUrls[subgraph];
      if (!url) throw new Error(`No URL for subgraph ${subgraph}`);
      connection = new UpstreamConnection(subgraph, url, identity.key, identity.authorization, this.options.upstream ?? {}, this.options.logger);
      this.connections.set(key, [...open, connection]);
    }
    this.present(connection, identity);
    if (retain) connection.streams += 1;
    return connection;
  }

  /** The newest token of the connection's identity is the one its reconnects present. */
  present(connection: UpstreamConnection, identity: Identity): void {
    if (!identity.authorization) return;
    for (const sibling of this.connections.get(keyOf(connection.subgraph, connection.identityKey)) ?? [connection]) {
      sibling.authorization = identity.authorization;
    }
  }

  /** A stream on `connection` ended; the connection goes with its last stream. */
  release(connection: UpstreamConnection): void {
    connection.streams -= 1;
    if (connection.streams > 0) return;
    const key = keyOf(connection.subgraph, connection.identityKey);
    const remaining = (this.connections.get(key) ?? []).filter((candidate) => candidate !== connection);
    if (remaining.length > 0) this.connections.set(key, remaining);
    else this.connections.delete(key);
    this.closedReconnects += connection.reconnects;
    void connection.dispose();
  }

  size(): number {
    let size = 0;
    for (const open of this.connections.values()) size += open.length;
    return size;
  }

  reconnects(): number {
    let reconnects = this.closedReconnects;
    for (const open of this.connections.values()) for (const connection of open) reconnects += connection.reconnects;
    return reconnects;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.connections.values()].flat().map((connection) => connection.dispose()));
    this.connections.clear();
  }
}
