import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** Default internal listener port of each subgraph (`/metrics`, detailed `/readyz`); the gateway's is 9400. */
export const defaultInternalPorts: Record<SubgraphName, number> = {
  user: 9401,
  gym: 9402,
  workout: 9403,
  nutrition: 9404,
  chat: 9405,
};

/**
 * Repository root: the nearest folder above this module with pnpm-workspace.yaml. Searched, not
 * fixed, because this code also runs bundled into `<service>/dist/index.js` (`pnpm build`).
 */
export const repoRoot = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return `${dir}/`;
})();

export const subgraphSdlPath = (name: SubgraphName) => join(repoRoot, `subgraphs/${name}/src/schema.graphql`);
export const migrationsFolder = (name: SubgraphName) => join(repoRoot, `drizzle/${name}`);

/** `GYM_SUBGRAPH_PORT`, `GYM_SUBGRAPH_URL`, `GYM_DATABASE_URL`, ... */
export const envPrefix = (name: SubgraphName) => name.toUpperCase();
