// Hive Gateway with its defaults (in-flight request merging on); the only additions, as for plain
// Apollo: the client's Authorization header is forwarded to the subgraphs, with the gateway
// attestation the subgraphs require (GATEWAY_SECRET).
// HIVE_DEDUPE=off turns its merging off (for the CPU-per-request comparison).
import { defineConfig } from '@graphql-hive/gateway';
import { gatewayAttestation } from './gateway-attestation.mjs';

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const authorization = request.headers.get('authorization');
      return { ...(authorization ? { authorization } : {}), ...gatewayAttestation(process.env.GATEWAY_SECRET) };
    },
  },
  ...(process.env.HIVE_DEDUPE === 'off'
    ? { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } }
    : {}),
});
