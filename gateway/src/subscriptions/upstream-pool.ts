/**
 * The upstream pool: one graphql-ws connection per subgraph and identity, shared by every
 * upstream stream of that identity, opened on first use and disposed with its last stream.
 * The identity's access token lives only with its connection: the newest one a client of the
 * identity presented is the one a reconnect sends (graphql-ws owns the connection's lifecycle).
 */
import type { Logger } from '@fitgraph/service-kit';
import type { Identity } from './identity';
import { UpstreamConnection, type UpstreamOptions } from './upstream';

export interface UpstreamPoolOptions {
  /** Subgraph name -> HTTP GraphQL URL; read when a connection opens (a reloaded supergraph brings new ones). */
  subgraphUrls: Record<string, string>;
  upstream?: UpstreamOptions;
  logger: Logger;
}

const keyOf = (subgraph: string, identityKey: string) => `${subgraph}\n${identityKey}`;

export class UpstreamPool {
  private readonly connections = new Map<string, UpstreamConnection>();
  /** Reconnects of connections already disposed. */
  private closedReconnects = 0;

  constructor(private readonly options: UpstreamPoolOptions) {}

  /**
   * The connection of `identity` to `subgraph` (opened if missing), presenting the identity's
   * newest token from now on. `retain` counts a new stream on it.
   */
  connectionFor(subgraph: string, identity: Identity, retain: boolean): UpstreamConnection {
    const key = keyOf(subgraph, identity.key);
    let connection = this.connections.get(key);
    if (!connection) {
      const url = this.options.subgraphUrls[subgraph];
      if (!url) throw new Error(`No URL for subgraph ${subgraph}`);
      connection = new UpstreamConnection(subgraph, url, identity.key, identity.authorization, this.options.upstream ?? {}, this.options.logger);
      this.connections.set(key, connection);
    }
    this.present(connection, identity);
    if (retain) connection.streams += 1;
    return connection;
  }

  /** The newest token of the connection's identity is the one its reconnects present. */
  present(connection: UpstreamConnection, identity: Identity): void {
    if (identity.authorization) connection.authorization = identity.authorization;
  }

  /** A stream on `connection` ended; the connection goes with its last stream. */
  release(connection: UpstreamConnection): void {
    connection.streams -= 1;
    if (connection.streams > 0) return;
    const key = keyOf(connection.subgraph, connection.identityKey);
    if (this.connections.get(key) === connection) this.connections.delete(key);
    this.closedReconnects += connection.reconnects;
    void connection.dispose();
  }

  size(): number {
    return this.connections.size;
  }

  reconnects(): number {
    let reconnects = this.closedReconnects;
    for (const connection of this.connections.values()) reconnects += connection.reconnects;
    return reconnects;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.connections.values()].map((connection) => connection.dispose()));
    this.connections.clear();
  }
}
