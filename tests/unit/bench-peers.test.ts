/** The bench's peer gateways sign their subgraph requests exactly as FitGraph's gateway does (plain JavaScript, without tsx). */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@fitgraph/platform';
import { createGatewaySigner, createGatewayVerifier } from '@fitgraph/service-kit';
import { describe, expect, it } from 'vitest';

type Attestation = (secret: string, clientIp?: string | null, nowMs?: number) => Record<string, string>;

describe('bench peers: gateway attestation', () => {
  it('writes the same headers as service-kit, which a subgraph accepts', async () => {
    const peers = (await import(pathToFileURL(join(repoRoot, 'bench/peers/gateway-attestation.mjs')).href)) as { gatewayAttestation: Attestation };
    const secret = 'a-bench-secret-of-at-least-32-characters';
    const now = Date.now();
    for (const clientIp of [null, '203.0.113.7']) {
      const headers = peers.gatewayAttestation(secret, clientIp, now);
      expect(headers).toEqual(createGatewaySigner(secret).headers(clientIp, now));
      expect(createGatewayVerifier(secret).verify(headers, now)).toEqual({ clientIp });
    }
  });
});
