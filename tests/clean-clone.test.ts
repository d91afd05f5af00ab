/**
 * The README's start command on a fresh `git clone` (of what is committed): installs, starts the
 * whole supergraph on the embedded default, and the gateway answers a cross-subgraph query.
 * (The test command is what CI itself runs on a clean clone.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envPrefix, repoRoot, subgraphNames } from '@fitgraph/platform';
import { freePort, graphqlData, startProcess, type StartedProcess } from '@fitgraph/testkit';

describe('a clean clone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fitgraph-clone-'));
  let stack: StartedProcess | undefined;
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the seeded supergraph with the README start command', { timeout: 300_000 }, async () => {
    execFileSync('git', ['clone', '--quiet', repoRoot, dir]);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const startCommand = [...readme.matchAll(/```sh\n(.+)\n```/g)][0]![1]!;

    // Free ports for every listener, internal ones included (their defaults are fixed: 9400–9405).
    const ports: Record<string, string> = { PORT: String(await freePort()), INTERNAL_PORT: String(await freePort()) };
    for (const name of subgraphNames) {
      ports[`${envPrefix(name)}_SUBGRAPH_PORT`] = String(await freePort());
      ports[`${envPrefix(name)}_INTERNAL_PORT`] = String(await freePort());
    }
    const env: NodeJS.ProcessEnv = { ...process.env, ...ports, LOG_LEVEL: 'warn' };
    // The README command runs on the embedded default: no real servers.
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID']) delete env[key];

    stack = await startProcess(startCommand, { cwd: dir, env, ready: /Apollo Sandbox: (\S+)/, timeoutMs: 280_000 });
    const sandboxUrl = /Apollo Sandbox: (\S+)/.exec(stack.output())![1]!;
    expect(sandboxUrl).toBe(`http://127.0.0.1:${ports.PORT}/graphql`);

    const data = await graphqlData(sandboxUrl, '{ gyms { name machines { name gym { name } } } user(id: "6a1b0c9e-0005-4000-8000-000000000001") { displayName homeGym { name } } }');
    expect(data.gyms.length).toBeGreaterThanOrEqual(2);
    expect(data.gyms.map((g: any) => g.name)).toContain(data.user.homeGym.name);
    expect(existsSync(join(dir, '.data', 'gym'))).toBe(true);
  });
});
