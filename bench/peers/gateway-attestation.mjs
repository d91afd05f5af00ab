// The FitGraph subgraphs answer only requests the gateway signed with GATEWAY_SECRET, so the
// peers sign theirs too, as FitGraph's gateway does: the same headers as service-kit
// `createGatewaySigner(secret).headers(clientIp)` (packages/service-kit/src/gateway-attestation.ts),
// in plain JavaScript because the peers run without tsx (tests/unit/bench-peers.test.ts holds them equal).
import { createHmac } from 'node:crypto';

/** `{ 'x-gateway-client-ip', 'x-gateway-signature' }` for a subgraph request on behalf of `clientIp`. */
export function gatewayAttestation(secret, clientIp = null, nowMs = Date.now()) {
  const ip = clientIp ?? '';
  const seconds = Math.floor(nowMs / 1000);
  const mac = createHmac('sha256', secret).update(`v1\n${seconds}\n${ip}`).digest('base64url');
  return { 'x-gateway-client-ip': ip, 'x-gateway-signature': `v1.${seconds}.${mac}` };
}
