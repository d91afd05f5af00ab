import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@fitgraph/platform';
import { nginxInstalled } from '@fitgraph/testkit';

/**
 * The production tests' bundles, in a folder of their own: a `pnpm build` elsewhere
 * (tests/bench.test.ts) cannot swap them mid-run, and a developer's older `dist` is never tested.
 */
export const productionBundleDir = 'dist-production-test';

/**
 * Why the production tests cannot run here (null: they can): they need nginx, and the real
 * PostgreSQL and Redis. CI (.ci/run) installs nginx and sets FITGRAPH_REQUIRE_NGINX, so there a
 * missing one fails instead.
 */
export function productionTestsMissing(): string | null {
  if (!nginxInstalled() && process.env.FITGRAPH_REQUIRE_NGINX !== '1') return 'nginx is not installed (apt-get install nginx)';
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) return 'DATABASE_URL and REDIS_URL are not set';
  return null;
}

/** Builds every service once per run (scripts/build.ts, ~15 s), before any production test starts one. */
export default function setup(): void {
  if (!nginxInstalled() && process.env.FITGRAPH_REQUIRE_NGINX === '1') throw new Error('FITGRAPH_REQUIRE_NGINX=1 but nginx is not installed (apt-get install nginx)');
  if (productionTestsMissing()) return;
  execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/build.ts'), `--dist=${productionBundleDir}`], { cwd: repoRoot, stdio: 'pipe' });
}
