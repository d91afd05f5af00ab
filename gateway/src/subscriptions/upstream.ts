import { randomUUID } from 'node:crypto';
import { CloseCode, fatalCloseCodes, type Logger } from '@fitgraph/service-kit';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** How the gateway talks to subgraphs over graphql-ws. */
export interface UpstreamOptions {
  /** Ping each upstream socket this often (ms); 0 turns heartbeats off. Default: 10 000. */
  keepAliveMs?: number;
  /** Terminate (and reconnect) a socket whose pong takes longer (ms). Default: 5 000. */
  pongTimeoutMs?: number;
  /** First reconnect delay (ms), doubled per failed attempt with jitter. Default: 100. */
  retryBaseMs?: number;
  /** Upper bound of a reconnect delay (ms). Default: 5 000. */
  retryMaxMs?: number;
  /** Reconnect attempts before the subscriptions fail (about 2.5 min at the defaults). Default: 30. */
  retryAttempts?: number;
  /** TEMPORARY (wt-sub, until the lead's gateway signing lands): headers of each upgrade request. */
  upgradeHeaders?: () => Record<string, string>;
}

/** Why an upstream stream ended, as the clients should see it. */
export type UpstreamEnd =
  | { kind: 'complete' }
  | { kind: 'errors'; errors: readonly GraphQLFormattedError[] };

export interface UpstreamSink {
  next(result: FormattedExecutionResult): void;
  end(reason: UpstreamEnd): void;
}

const isCloseLike = (value: unknown): value is { code: number; reason: string } =>
  typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;

export const websocketUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/**
 * One graphql-ws connection from the gateway to one subgraph for one identity, multiplexing
 * every upstream stream of that identity. Lazy: it connects on the first subscription and
 * closes after the last. Reconnects with exponential backoff; graphql-ws re-sends each open
 * subscription on the new socket (our payloads compute their variables at send time, so
 * resumable streams continue after their last delivered event).
 */
export class UpstreamConnection {
  readonly id = randomUUID();
  readonly client: Client;
  /** Upstream streams using this connection. */
  streams = 0;
  reconnects = 0;
  private pongTimer: NodeJS.Timeout | undefined;
  private everConnected = false;

  constructor(
    readonly subgraph: string,
    readonly url: string,
    readonly identityKey: string,
    /** Updated to the newest token of this identity: the one sent when (re)connecting. */
    public authorization: string | null,
    options: UpstreamOptions,
    private readonly logger: Logger,
  ) {
    const base = options.retryBaseMs ?? 100;
    const max = options.retryMaxMs ?? 5000;
    const pongTimeout = options.pongTimeoutMs ?? 5000;
    // TEMPORARY (wt-sub): the gateway's attestation on every (re)connect's upgrade.
    const upgradeHeaders = options.upgradeHeaders;
    const webSocketImpl = upgradeHeaders
      ? class extends WebSocket {
          constructor(address: string, protocols?: string | string[]) {
            super(address, protocols, { headers: upgradeHeaders!() });
          }
        }
      : WebSocket;
    this.client = createClient({
      url: websocketUrl(url),
      webSocketImpl,
      lazy: true,
      keepAlive: options.keepAliveMs ?? 10_000,
      retryAttempts: options.retryAttempts ?? 30,
      // Full jitter keeps many gateways from reconnecting to a restarted subgraph in lockstep.
      retryWait: (retries) =>
        new Promise((resolve) => setTimeout(resolve, Math.min(max, base * 2 ** retries) * (0.5 + Math.random() / 2))),
      // Connection refused arrives as an error event, not a close event: retry those too.
      shouldRetry: (reason) => !(isCloseLike(reason) && fatalCloseCodes.has(reason.code)),
      connectionParams: () => ({
        ...(this.authorization ? { authorization: this.authorization } : {}),
        requestId: this.id,
      }),
      on: {
        ping: (received) => {
          if (received) return;
          clearTimeout(this.pongTimer);
          this.pongTimer = setTimeout(() => {
            this.logger.warn({ subgraph, connection: this.id }, 'upstream pong timeout; reconnecting');
            this.client.terminate();
          }, pongTimeout);
        },
        pong: (received) => {
          if (received) clearTimeout(this.pongTimer);
        },
        connected: (_socket, _payload, wasRetry) => {
          if (wasRetry || this.everConnected) {
            this.reconnects += 1;
            this.logger.info({ subgraph, connection: this.id }, 'upstream reconnected; resubscribing');
          }
          this.everConnected = true;
        },
        closed: (event) => {
          clearTimeout(this.pongTimer);
          const code = isCloseLike(event) ? event.code : undefined;
          if (this.streams > 0) this.logger.warn({ subgraph, connection: this.id, code }, 'upstream connection closed');
        },
      },
    });
  }

  /**
   * Opens one upstream subscription. `variables` is read each time the subscription is sent
   * (first subscribe and every resubscribe after a reconnect).
   */
  subscribe(query: string, variables: () => Record<string, unknown>, sink: UpstreamSink): () => void {
    const payload = {
      query,
      get variables() {
        return variables();
      },
    };
    let ended = false;
    const end = (reason: UpstreamEnd) => {
      if (ended) return;
      ended = true;
      sink.end(reason);
    };
    const unsubscribe = this.client.subscribe<Record<string, unknown>, Record<string, unknown>>(payload, {
      next: (result) => {
        if (!ended) sink.next(result as FormattedExecutionResult);
      },
      error: (error) => end({ kind: 'errors', errors: this.describeFailure(error) }),
      complete: () => end({ kind: 'complete' }),
    });
    return () => {
      // Our own unsubscribe: graphql-ws reports it as `complete`, which must not reach clients.
      ended = true;
      unsubscribe();
    };
  }

  async dispose(): Promise<void> {
    clearTimeout(this.pongTimer);
    await this.client.dispose();
  }

  /** Turns what graphql-ws reports as a subscription's failure into client-facing errors. */
  private describeFailure(error: unknown): GraphQLFormattedError[] {
    if (Array.isArray(error)) return error as GraphQLFormattedError[];
    if (isCloseLike(error) && (error.code === CloseCode.Forbidden || error.code === CloseCode.Unauthorized)) {
      return [
        {
          message: `The ${this.subgraph} subgraph refused the connection's credentials (expired token?); subscribe again with a fresh token`,
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ];
    }
    this.logger.error({ subgraph: this.subgraph, err: error, code: isCloseLike(error) ? error.code : undefined }, 'upstream subscription failed');
    return [
      {
        message: `The ${this.subgraph} subgraph is unavailable; the subscription ended`,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ];
  }
}
