/**
 * The public listener against slow and hoarding clients: a client that trickles its headers or
 * body is cut off (Node's own `headersTimeout` / `requestTimeout`), and one peer address holds at
 * most so many sockets. A trusted proxy is exempt from the cap: every client behind it shares
 * its address, and the proxy keeps its own per-client limits.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { KeyedCounter } from './keyed-counter';

export interface HttpHardening {
  /** Request headers must arrive within this many ms. Default: 10 000. */
  headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this many ms; 408 after. Default: 30 000. */
  requestTimeoutMs: number;
  /** Sockets one peer address may hold open; above the 200 WebSockets and event streams an address may keep (SUBSCRIPTIONS_CONNECTIONS_PER_IP). Default: 256. */
  maxSocketsPerAddress: number;
}

export const defaultHttpHardening: HttpHardening = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxSocketsPerAddress: 256 };

/** How often Node checks the two timeouts (its default is 30 s, too coarse for a 10 s header timeout). */
const timeoutCheckIntervalMs = 1000;

/** The options `http.createServer` needs for the timeouts. */
export const serverTimeouts = (hardening: HttpHardening) => ({
  headersTimeout: hardening.headersTimeoutMs,
  // Node requires requestTimeout >= headersTimeout when both are set.
  requestTimeout: Math.max(hardening.requestTimeoutMs, hardening.headersTimeoutMs),
  connectionsCheckingInterval: Math.min(timeoutCheckIntervalMs, hardening.headersTimeoutMs),
});

/**
 * Caps the sockets per peer address on `server`: the socket over the cap is destroyed as it
 * connects (before a byte is read), so a client cannot hold the gateway's file descriptors.
 * Long-lived sockets (WebSockets, event streams) count as long as they are open.
 */
export function capSocketsPerAddress(server: Server, maxPerAddress: number, isTrustedProxy: (address: string) => boolean): () => number {
  const perAddress = new KeyedCounter(maxPerAddress);
  let refused = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (!address || isTrustedProxy(address)) return;
    const release = perAddress.acquire(address);
    if (!release) {
      refused += 1;
      socket.destroy();
      return;
    }
    socket.once('close', release);
  });
  return () => refused;
}
