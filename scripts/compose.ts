/** `pnpm compose`: writes schema/supergraph.graphql from the subgraphs' SDL, or prints every error and exits 1. */
import { writeFileSync } from 'node:fs';
import { composeSupergraph, CompositionError, supergraphPath } from '@fitgraph/gateway/composition';

try {
  const { supergraphSdl, hints } = composeSupergraph();
  for (const hint of hints) console.warn(`hint: ${hint}`);
  writeFileSync(supergraphPath, supergraphSdl);
  console.log(`wrote ${supergraphPath}`);
} catch (error) {
  if (!(error instanceof CompositionError)) throw error;
  console.error(error.message);
  process.exit(1);
}
