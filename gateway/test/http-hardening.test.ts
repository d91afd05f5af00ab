/**
 * The public listener against slow and hoarding clients, over raw TCP sockets as an attacker
 * would open them: headers trickled a line at a time, a body trickled a byte at a time, and
 * more idle sockets from one address than the cap. No subgraph needs to run.
 */
import { connect, type Socket } from 'node:net';
import { loadAuthConfig } from '@fitgraph/platform';
import { startTestGateway } from '@fitgraph/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSupergraph } from '../src/composition';
import type { RunningGateway } from '../src/server';

const headersTimeoutMs = 1500;
const requestTimeoutMs = 3000;
const maxSocketsPerAddress = 3;
const trustedProxy = '127.0.0.22';

interface RawClient {
  socket: Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves with the ms from `connect` until the server closed the socket. */
  closed: Promise<number>;
}

/** A TCP client from `localAddress` (a loopback alias standing in for a separate host). */
async function rawClient(port: number, localAddress: string): Promise<RawClient> {
  const started = performance.now();
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - started)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received, closed };
}

/** Writes `parts` one every `everyMs` until the socket closes or they run out; returns how many were written. */
async function trickle(socket: Socket, parts: string[], everyMs: number): Promise<number> {
  let written = 0;
  for (const part of parts) {
    if (socket.destroyed || !socket.writable) break;
    socket.write(part);
    written += 1;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return written;
}

const answers = async (port: number, localAddress: string): Promise<number> => {
  const client = await rawClient(port, localAddress);
  client.socket.end('GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n');
  await client.closed;
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(client.received())?.[1] ?? 0);
};

describe('the public listener against slow clients', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({
      supergraphSdl: readSupergraph(),
      auth: loadAuthConfig({}),
      trustedProxies: [trustedProxy],
      http: { headersTimeoutMs, requestTimeoutMs, maxSocketsPerAddress },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('disconnects a client that trickles its headers (slowloris) at the header timeout', async () => {
    const client = await rawClient(gateway.port, '127.0.0.30');
    const headerLines = ['GET /healthz HTTP/1.1\r\n', 'Host: gateway\r\n', ...Array.from({ length: 60 }, (_, i) => `X-Slow-${i}: ${i}\r\n`)];
    const [written, closedAfterMs] = await Promise.all([trickle(client.socket, headerLines, 200), client.closed]);
    // 60 lines at 200 ms would take 12 s; the server cut it within the timeout plus its check interval.
    expect(closedAfterMs).toBeLessThan(headersTimeoutMs + 2500);
    expect(written).toBeLessThan(headerLines.length);
    expect(client.received()).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it('cuts a request whose body trickles in at the request timeout (408)', async () => {
    const client = await rawClient(gateway.port, '127.0.0.31');
    client.socket.write('POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n');
    const body = Array.from({ length: 200 }, () => ' ');
    const [written, closedAfterMs] = await Promise.all([trickle(client.socket, body, 100), client.closed]);
    expect(closedAfterMs).toBeLessThan(requestTimeoutMs + 2500);
    expect(written).toBeLessThan(body.length);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('holds at most the cap of sockets per address; other addresses and trusted proxies are served', async () => {
    const held = await Promise.all(Array.from({ length: maxSocketsPerAddress }, () => rawClient(gateway.port, '127.0.0.32')));
    const over = await rawClient(gateway.port, '127.0.0.32');
    // Refused as it connects: closed at once, without a byte read or answered.
    expect(await over.closed).toBeLessThan(1000);
    expect(over.received()).toBe('');
    // Another address is another client.
    expect(await answers(gateway.port, '127.0.0.33')).toBe(200);
    // A proxy in front carries many clients: it is not capped here.
    const throughProxy = await Promise.all(Array.from({ length: maxSocketsPerAddress + 2 }, () => rawClient(gateway.port, trustedProxy)));
    expect(await answers(gateway.port, trustedProxy)).toBe(200);
    // A socket given back makes room again.
    held[0]!.socket.destroy();
    await held[0]!.closed;
    expect(await answers(gateway.port, '127.0.0.32')).toBe(200);
    for (const client of [...held, ...throughProxy]) client.socket.destroy();
  });
});
