/**
 * What a graphql-ws connection keeps while it is open (src/subscriptions/websocket-server.ts;
 * it bounds memory per idle subscription): not the HTTP upgrade request, no timer of its own once
 * initialised; and what the shared keep-alive sweep and init timeout still do.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { eventually } from '@fitgraph/testkit';
import { buildSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serveGraphqlWs, type GraphqlWsServer } from '../src/subscriptions/websocket-server';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// A subscription that stays open and idle.
const schema = buildSchema('type Query { ok: Boolean } type Subscription { idle: Boolean }');
const roots = {
  subscription: {
    idle: () => ({
      [Symbol.asyncIterator]() {
        return this;
      },
      next: () => new Promise<IteratorResult<unknown>>(() => {}),
      return: () => Promise.resolve({ done: true, value: undefined }),
    }),
  },
};

const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('graphql-ws connections', () => {
  let httpServer: Server;
  let server: GraphqlWsServer;
  let url: string;
  const clients: Client[] = [];

  const start = async (options: { keepAliveMs?: number; connectionInitTimeoutMs?: number } = {}) => {
    httpServer = createServer();
    server = serveGraphqlWs({
      httpServer,
      path: '/graphql',
      maxPayloadBytes: 65_536,
      keepAliveMs: options.keepAliveMs ?? 12_000,
      connectionInitTimeoutMs: options.connectionInitTimeoutMs ?? 3000,
      clientAddressOf: () => '127.0.0.1',
      acquireIp: () => () => {},
      protocol: { schema, roots },
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`;
  };
  const subscribe = () => {
    const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    clients.push(client);
    client.subscribe({ query: 'subscription { idle }' }, { next: () => {}, error: () => {}, complete: () => {} });
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await server?.dispose();
    await new Promise((resolve) => httpServer?.close(resolve));
  });

  it('keeps neither the upgrade request nor a timer per connection once it is initialised', async () => {
    await start();
    const requests: WeakRef<IncomingMessage>[] = [];
    httpServer.on('upgrade', (request: IncomingMessage) => requests.push(new WeakRef(request)));
    const timersBefore = timers();
    for (let i = 0; i < 20; i += 1) subscribe();
    await eventually(() => server.connections() === 20 && requests.length === 20, { what: '20 connections', intervalMs: 10 });
    // Subscribed (so initialised) on every socket: a subscribe message is answered only after the ack.
    await new Promise((resolve) => setTimeout(resolve, 200));
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(requests.filter((request) => request.deref() !== undefined)).toHaveLength(0);
    // One shared keep-alive sweep, however many sockets.
    expect(timers() - timersBefore).toBeLessThanOrEqual(1);
    expect(server.connections()).toBe(20);
  });

  it('closes a socket that sends no connection_init with 4408', async () => {
    await start({ connectionInitTimeoutMs: 100 });
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(4408);
  });

  it('terminates a socket that stops answering pings, and keeps one that answers', async () => {
    await start({ keepAliveMs: 100 });
    const open = (autoPong: boolean) => {
      const socket = new WebSocket(url, 'graphql-transport-ws', { autoPong });
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
      return socket;
    };
    const [dead, alive] = [open(false), open(true)];
    const started = performance.now();
    const code = await new Promise<number>((resolve) => dead.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(1006);
    // Pinged by one sweep, dropped by the next.
    expect(performance.now() - started).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(alive.readyState).toBe(WebSocket.OPEN);
    alive.close();
  });
});
