/**
 * `pnpm db:generate [--name NAME] [--out-root DIR] [subgraph...]`: drizzle-kit generates SQL migrations for each
 * subgraph's Drizzle schema into drizzle/<subgraph>/. Tests run it into a copy to prove the
 * checked-in migrations are current.
 */
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, subgraphNames, type SubgraphName } from '@fitgraph/platform';

const { values, positionals } = parseArgs({
  options: {
    'out-root': { type: 'string', default: join(repoRoot, 'drizzle') },
    /** Migration file name suffix, e.g. `--name identity`. */
    name: { type: 'string' },
  },
  allowPositionals: true,
});
const names = positionals.length > 0 ? (positionals as SubgraphName[]) : subgraphNames;

for (const name of names) {
  execFileSync(
    'drizzle-kit',
    [
      'generate',
      '--dialect=postgresql',
      `--schema=subgraphs/${name}/src/db/schema.ts`,
      // drizzle-kit prefixes `./` to the out path, so it must be relative to the cwd.
      `--out=${relative(repoRoot, join(values['out-root'], name)) || '.'}`,
      ...(values.name ? [`--name=${values.name}`] : []),
    ],
    { cwd: repoRoot, stdio: 'inherit' },
  );
}
