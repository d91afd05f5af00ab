import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { defaultSubgraphPorts, subgraphNames, subgraphSdlPath, type SubgraphName } from '@fitgraph/platform';
import { parse } from 'graphql';
import { supergraphPath } from './supergraph';

// Defined with the running gateway's supergraph code, so the gateway never loads @apollo/composition.
export { supergraphPath };

export class CompositionError extends Error {
  constructor(readonly problems: string[]) {
    super(`Composition failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

/**
 * Composes the five subgraphs' SDL files into the supergraph SDL. Routing URLs are the local
 * defaults; the gateway overrides them from env at start-up, so the file is environment-free.
 */
export function composeSupergraph(
  /** SDL per subgraph; default: each subgraph's schema.graphql. */
  sdlOf: (name: SubgraphName) => string = (name) => readFileSync(subgraphSdlPath(name), 'utf8'),
): { supergraphSdl: string; hints: string[] } {
  const result = composeServices(
    subgraphNames.map((name) => ({
      name,
      typeDefs: parse(sdlOf(name)),
      url: `http://localhost:${defaultSubgraphPorts[name]}/graphql`,
    })),
  );
  const hints = (result.hints ?? []).map((hint) => `${hint.definition.code}: ${hint.message}`);
  if (result.errors) {
    throw new CompositionError(result.errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`));
  }
  return { supergraphSdl: `${result.supergraphSdl.trimEnd()}\n`, hints };
}

export const readSupergraph = (): string => readFileSync(supergraphPath, 'utf8');
