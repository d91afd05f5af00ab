import { fileURLToPath } from 'node:url';

/** The five subgraphs of the supergraph, with their default ports. */
export const subgraphNames = ['user', 'gym', 'workout', 'nutrition', 'chat'] as const;
export type SubgraphName = (typeof subgraphNames)[number];

export const defaultSubgraphPorts: Record<SubgraphName, number> = {
  user: 4001,
  gym: 4002,
  workout: 4003,
  nutrition: 4004,
  chat: 4005,
};

/** Repository root (this file lives at packages/service-kit/src). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const subgraphSdlPath = (name: SubgraphName) =>
  fileURLToPath(new URL(`../../../subgraphs/${name}/src/schema.graphql`, import.meta.url));
export const migrationsFolder = (name: SubgraphName) =>
  fileURLToPath(new URL(`../../../drizzle/${name}`, import.meta.url));

/** `GYM_SUBGRAPH_PORT`, `GYM_SUBGRAPH_URL`, `GYM_DATABASE_URL`, ... */
export const envPrefix = (name: SubgraphName) => name.toUpperCase();
