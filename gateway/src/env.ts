import { commonEnv, envPrefix, loadEnv, optionalUrl, port, subgraphNames } from '@fitgraph/service-kit';
import { z } from 'zod';

const booleanFlag = z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).optional());

export const gatewayEnvShape = {
  ...commonEnv,
  /** Gateway port. Default: 4000. */
  PORT: port(4000),
  /** Force introspection on (`true`) or off (`false`); default: on outside production. */
  INTROSPECTION: booleanFlag,
  /** Subgraph endpoints; default http://localhost:<port>/graphql as in the supergraph file. */
  ...Object.fromEntries(subgraphNames.map((name) => [`${envPrefix(name)}_SUBGRAPH_URL`, optionalUrl])),
};

export const loadGatewayEnv = (source: NodeJS.ProcessEnv = process.env) => {
  const env = loadEnv(gatewayEnvShape, source);
  const subgraphUrls = Object.fromEntries(
    subgraphNames.flatMap((name) => {
      const url = (env as Record<string, unknown>)[`${envPrefix(name)}_SUBGRAPH_URL`];
      return typeof url === 'string' ? [[name, url]] : [];
    }),
  );
  return { ...env, subgraphUrls };
};
