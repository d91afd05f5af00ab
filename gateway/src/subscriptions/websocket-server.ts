/**
 * graphql-ws's protocol (`makeServer`) on ws sockets, in place of graphql-ws's `useServer`, to keep an
 * idle connection small (the goal: <= 8 KiB of RSS per idle subscription). `useServer` kept per socket
 * a keep-alive interval, a pong timer and listener, a fired init-timeout timer, five closures and the
 * HTTP upgrade request (headers, raw headers, streams state: ~2 KiB) for the connection's lifetime.
 * Here one object per socket (`ClientSocket`) holds what the connection needs; the socket listeners
 * and one keep-alive sweep are shared by all sockets.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCode } from '@fitgraph/service-kit';
import { handleProtocols, makeServer, type ServerOptions, type WebSocket as ProtocolSocket } from 'graphql-ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { FrameConnection } from './delivery';
import type { ClientSession } from './identity';

/** One client WebSocket: the graphql-ws socket, where delivery writes `next` messages, and what the connection holds. */
export class ClientSocket implements ProtocolSocket, FrameConnection {
  /** Set once the token in `connection_init` is verified. */
  session: ClientSession | null = null;
  /** Releases what the connection holds (per-user cap, session watch); run once when it closes. */
  onClose: (() => void) | null = null;
  /** graphql-ws's open subscriptions of this connection (by id), from its context. */
  subscriptions: Record<string, unknown> = {};
  /** Pinged by the last keep-alive sweep and not answered yet. */
  awaitingPong = false;
  /** Until `connection_init` arrives: closes the socket with 4408. Dropped then, not kept until it fires. */
  initTimer: NodeJS.Timeout | null = null;
  /** Stops the init timeout: `connection_init` arrived, or the socket closed. */
  stopInitTimer(): void {
    clearTimeout(this.initTimer ?? undefined);
    this.initTimer = null;
  }

  /** graphql-ws's message handler, and what it does when the socket closes. */
  handleMessage: ((data: string) => Promise<void>) | null = null;
  protocolClosed: ((code?: number, reason?: string) => Promise<void>) | null = null;

  constructor(
    readonly socket: WebSocket,
    /** The TCP socket under it (corked while delivery writes). */
    readonly tcp: Socket,
    /** The client's address (identity.ts `ClientAddresses`: trusted proxies' x-forwarded-for believed), for per-IP caps. */
    readonly clientIp: string,
    /** Releases this connection's count in the per-IP cap. */
    readonly releaseIp: () => void,
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  /** graphql-ws's own messages (ack, pong, error, complete). */
  send(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== this.socket.OPEN) return resolve();
      this.socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handler: (data: string) => Promise<void>): void {
    this.handleMessage = handler;
  }

  /** Delivery: whether subscription `id` may still get a `next` (the socket is open and neither side completed it). */
  accepts(id: string): boolean {
    return this.socket.readyState === this.socket.OPEN && id in this.subscriptions;
  }

  /**
   * Delivery's `next` messages, on the same socket as graphql-ws's own, so its `complete` after the
   * last `next` (and pongs) stay in order with them.
   */
  write(message: string, written: () => void): void {
    corkUntilTurnEnds(this.tcp);
    this.socket.send(message, written);
  }
}

export interface GraphqlWsServerOptions {
  httpServer: import('node:http').Server;
  path: string;
  /** Largest message a client may send (ws closes the socket with 1009 beyond it). */
  maxPayloadBytes: number;
  /** Ping every socket this often; one that has not answered the previous ping by then is terminated. 0: never. */
  keepAliveMs: number;
  /** Sockets that send no `connection_init` within this many ms are closed with 4408. */
  connectionInitTimeoutMs: number;
  /** The client's address of an upgrade request (identity.ts `ClientAddresses.of`). */
  clientAddressOf(request: IncomingMessage): string;
  /** A new TCP connection's per-IP cap: its release, or null to refuse it (4029). */
  acquireIp(clientIp: string): (() => void) | null;
  /** graphql-ws's hooks; its own init timeout is replaced by `connectionInitTimeoutMs`. */
  protocol: Omit<ServerOptions<Record<string, unknown> | undefined, ClientSocket>, 'connectionInitWaitTimeout'>;
}

export interface GraphqlWsServer {
  /** Open client sockets. */
  connections(): number;
  /** Closes every client socket with 1001 (Going away), stops accepting new ones, and resolves once all have closed. */
  dispose(): Promise<void>;
}

export function serveGraphqlWs(options: GraphqlWsServerOptions): GraphqlWsServer {
  const protocol = makeServer<Record<string, unknown> | undefined, ClientSocket>({
    ...options.protocol,
    connectionInitWaitTimeout: 0,
    onConnect: (ctx) => {
      const client = ctx.extra;
      client.stopInitTimer();
      // The same object for the connection's lifetime until it closes (graphql-ws replaces it then).
      client.subscriptions = ctx.subscriptions;
      return options.protocol.onConnect?.(ctx);
    },
  });
  // The server does not track clients (ws would add a close listener per socket for it): `clients` does.
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const clients = new Map<WebSocket, ClientSocket>();
  let drained: (() => void) | null = null;

  // Shared by every socket (`this` is the socket): no closures per connection.
  function onSocketMessage(this: WebSocket, data: RawData): void {
    const client = clients.get(this);
    client?.handleMessage?.(String(data)).catch((error: unknown) => {
      console.error('Internal error while handling a graphql-ws message', error);
      this.close(CloseCode.InternalServerError, 'Internal server error');
    });
  }
  function onSocketError(this: WebSocket, error: Error): void {
    // ws has closed a socket over its size limit (1009) or a bad frame already; this close then does nothing.
    console.error('Internal error emitted on a WebSocket socket', error.message);
    this.close(CloseCode.InternalServerError, 'Internal server error');
  }
  function onSocketPong(this: WebSocket): void {
    const client = clients.get(this);
    if (client) client.awaitingPong = false;
  }
  function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
    const client = clients.get(this);
    if (!client) return;
    clients.delete(this);
    client.stopInitTimer();
    client.releaseIp();
    client.onClose?.();
    client.onClose = null;
    client.protocolClosed?.(code, String(reason)).catch(() => {});
    if (drained && clients.size === 0) drained();
  }
  const closeUninitialised = (client: ClientSocket) => {
    client.initTimer = null;
    client.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
  };

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.on('error', onSocketError);
    // Counted from the TCP connection on, so idle sockets that never send connection_init count too.
    const clientIp = options.clientAddressOf(request);
    const releaseIp = options.acquireIp(clientIp);
    if (!releaseIp) {
      socket.close(CloseCode.TooManyConnections, 'Too many connections from this address');
      return;
    }
    const client = new ClientSocket(socket, request.socket, clientIp, releaseIp);
    clients.set(socket, client);
    socket.on('message', onSocketMessage);
    socket.on('pong', onSocketPong);
    socket.on('close', onSocketClose);
    const { connectionInitTimeoutMs } = options;
    if (connectionInitTimeoutMs > 0 && Number.isFinite(connectionInitTimeoutMs)) {
      client.initTimer = setTimeout(closeUninitialised, connectionInitTimeoutMs, client);
    }
    client.protocolClosed = protocol.opened(client, client);
  });
  wss.once('error', (error) => {
    console.error('Internal error emitted on the WebSocket server', error);
    for (const socket of clients.keys()) socket.close(CloseCode.InternalServerError, 'Internal server error');
  });

  // One sweep for all sockets instead of an interval (and a pong timer) per socket: a socket that has
  // not answered the previous sweep's ping is dropped, so a dead peer goes within 2 × keepAliveMs.
  const { keepAliveMs } = options;
  const sweep =
    keepAliveMs > 0 && Number.isFinite(keepAliveMs)
      ? setInterval(() => {
          for (const client of clients.values()) {
            const { socket } = client;
            if (socket.readyState !== socket.OPEN) continue;
            if (client.awaitingPong) {
              socket.terminate();
              continue;
            }
            client.awaitingPong = true;
            socket.ping();
          }
        }, keepAliveMs)
      : null;

  return {
    connections: () => clients.size,
    dispose: async () => {
      if (sweep) clearInterval(sweep);
      const allClosed = clients.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
      for (const socket of clients.keys()) socket.close(CloseCode.GoingAway, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
      await allClosed;
    },
  };
}

/** Sockets corked in this turn of the event loop, uncorked together when it ends. */
const corked: Socket[] = [];
const uncorkAll = () => {
  // Taken first: a socket corked while these uncork belongs to the next turn.
  for (const socket of corked.splice(0)) socket.uncork();
};

/**
 * Holds a socket's writes until this turn of the event loop ends, so every message delivered to it
 * meanwhile leaves in one write (system call): the write, not the JavaScript, was most of the
 * per-message cost, and when a fan-out falls behind, the deliveries of several events run in one
 * turn and then share it. Nothing waits longer than the delivery loop that is running anyway.
 * ws corks each message itself, which nests inside.
 */
function corkUntilTurnEnds(socket: Socket): void {
  if (socket.writableCorked > 0) return;
  if (corked.length === 0) setImmediate(uncorkAll);
  corked.push(socket);
  socket.cork();
}
