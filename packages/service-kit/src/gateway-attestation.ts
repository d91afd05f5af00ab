/**
 * Proof that a request to a service came through the gateway, and who the client was: the
 * gateway signs the client's address and the time with a secret it shares with the services
 * (HMAC-SHA256), and a service believes a client address only with a valid signature. It does
 * not depend on network position: a caller that reaches a service directly (a neighbour in the
 * cluster, a misrouted ingress) cannot produce the header, whatever address it comes from.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const gatewayAttestationHeaders = {
  /** The client's address as the gateway determined it (proxy-aware). */
  clientIp: 'x-gateway-client-ip',
  /** `v1.<unix seconds>.<base64url HMAC-SHA256 of "v1\n<seconds>\n<client ip>">`. */
  signature: 'x-gateway-signature',
} as const;

/** How far a signature's time may be from the service's clock (seconds): bounds replay of a captured header. */
export const defaultAttestationMaxSkewSeconds = 300;

/** The smallest secret accepted: 32 bytes of entropy written as text (e.g. `openssl rand -base64 32`). */
export const minGatewaySecretLength = 32;

const mac = (secret: string, seconds: number, clientIp: string) =>
  createHmac('sha256', secret).update(`v1\n${seconds}\n${clientIp}`).digest('base64url');

/** The gateway's side: the headers that attest one subgraph request (or upstream WebSocket). */
export function createGatewaySigner(secret: string) {
  return {
    headers(clientIp: string | null, nowMs = Date.now()): Record<string, string> {
      const ip = clientIp ?? '';
      const seconds = Math.floor(nowMs / 1000);
      return {
        [gatewayAttestationHeaders.clientIp]: ip,
        [gatewayAttestationHeaders.signature]: `v1.${seconds}.${mac(secret, seconds, ip)}`,
      };
    },
  };
}
export type GatewaySigner = ReturnType<typeof createGatewaySigner>;

/** What a valid attestation says; `clientIp` is null when the gateway did not know the client's address. */
export interface GatewayAttestation {
  clientIp: string | null;
}

const headerText = (headers: IncomingHttpHeaders | Headers, name: string): string | undefined => {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as IncomingHttpHeaders)[name];
  return Array.isArray(value) ? undefined : value;
};

/** A service's side: the attestation of a request, or null when it is missing, forged or too old. */
export function createGatewayVerifier(secret: string, options: { maxSkewSeconds?: number } = {}) {
  const maxSkew = options.maxSkewSeconds ?? defaultAttestationMaxSkewSeconds;
  return {
    verify(headers: IncomingHttpHeaders | Headers, nowMs = Date.now()): GatewayAttestation | null {
      const signature = headerText(headers, gatewayAttestationHeaders.signature);
      const ip = headerText(headers, gatewayAttestationHeaders.clientIp) ?? '';
      const match = signature && /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(signature);
      if (!match) return null;
      const seconds = Number(match[1]);
      if (Math.abs(nowMs / 1000 - seconds) > maxSkew) return null;
      const expected = Buffer.from(mac(secret, seconds, ip));
      const given = Buffer.from(match[2]!);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return { clientIp: ip === '' ? null : ip };
    },
  };
}
export type GatewayVerifier = ReturnType<typeof createGatewayVerifier>;
