// Hive Gateway with its defaults (in-flight request merging on); the only addition, as for plain
// Apollo: the client's Authorization header is forwarded to the subgraphs.
// HIVE_DEDUPE=off turns its merging off (for the CPU-per-request comparison).
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const authorization = request.headers.get('authorization');
      return authorization ? { authorization } : {};
    },
  },
  ...(process.env.HIVE_DEDUPE === 'off'
    ? { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } }
    : {}),
});
