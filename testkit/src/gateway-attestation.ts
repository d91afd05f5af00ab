/**
 * Tests that call a subgraph directly stand in for the gateway: every subgraph the testkit
 * starts (in this process or as its own process) is remembered with the GATEWAY_SECRET it was
 * configured with, and the testkit's clients (`graphql`, `graphqlWsClient`, `subscribe`) send
 * the gateway's attestation to it, as the gateway would. `unsigned: true` sends none (a
 * caller that is not the gateway); given headers win (forged attestations).
 */
import { createGatewaySigner, type GatewaySigner } from '@fitgraph/service-kit';

const signers = new Map<string, GatewaySigner>();

const originOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.protocol === 'wss:' || parsed.protocol === 'https:' ? 'https' : 'http'}://${parsed.host}`;
};

/** Signs requests to `url`'s origin with `secret` from now on; the returned function stops it. */
export function signAsGatewayFor(url: string, secret: string): () => void {
  const origin = originOf(url);
  const signer = createGatewaySigner(secret);
  signers.set(origin, signer);
  return () => {
    if (signers.get(origin) === signer) signers.delete(origin);
  };
}

/**
 * The attestation headers the gateway would send to the subgraph at `url` for a client at
 * `clientIp` (default 127.0.0.1), signed `nowMs` (default now); none for a URL the testkit did
 * not start a subgraph at (the gateway, a proxy).
 */
export function gatewayHeaders(url: string, clientIp: string | null = '127.0.0.1', nowMs?: number): Record<string, string> {
  return signers.get(originOf(url))?.headers(clientIp, nowMs) ?? {};
}
