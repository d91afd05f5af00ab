/**
 * Which peers may name the client in `x-forwarded-for` (a service behind a load balancer). A
 * service behind the gateway learns the client's address from the gateway's attestation
 * instead (gateway-attestation.ts), whatever its network position.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** A function telling whether the peer at `address` is a trusted proxy (Express's `trust proxy` accepts it too). */
export const proxyTrust = (trustedProxies: string[]) => proxyaddr.compile(trustedProxies);

/** The client's address: the peer, or the nearest `x-forwarded-for` entry not written by a trusted proxy. */
export function clientAddress(request: IncomingMessage, trust: (address: string, hop: number) => boolean): string | null {
  if (!request.socket.remoteAddress) return null;
  return proxyaddr(request, trust);
}
