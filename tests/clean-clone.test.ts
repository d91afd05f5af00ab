/**
 * The README's start command on a fresh `git clone` (of what is committed): installs, starts the
 * whole supergraph on the embedded default, and the gateway answers a cross-subgraph query.
 * (The test command is what CI itself runs on a clean clone.)
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envPrefix, repoRoot, subgraphNames } from '@fitgraph/service-kit';
import { graphqlData } from '@fitgraph/testkit';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output.slice(-4000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start command exited with ${code}; output:\n${output.slice(-4000)}`));
    });
  });
}

describe('a clean clone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fitgraph-clone-'));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the seeded supergraph with the README start command', { timeout: 300_000 }, async () => {
    execFileSync('git', ['clone', '--quiet', repoRoot, dir]);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const startCommand = [...readme.matchAll(/```sh\n(.+)\n```/g)][0]![1]!;

    const ports: Record<string, string> = { PORT: String(await freePort()) };
    for (const name of subgraphNames) ports[`${envPrefix(name)}_SUBGRAPH_PORT`] = String(await freePort());
    const env: NodeJS.ProcessEnv = { ...process.env, ...ports, LOG_LEVEL: 'warn' };
    // The README command runs on the embedded default: no real servers.
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID']) delete env[key];

    child = spawn('bash', ['-c', startCommand], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = await waitForOutput(child, /Apollo Sandbox: (\S+)/, 280_000);
    const sandboxUrl = /Apollo Sandbox: (\S+)/.exec(output)![1]!;
    expect(sandboxUrl).toBe(`http://127.0.0.1:${ports.PORT}/graphql`);

    const data = await graphqlData(sandboxUrl, '{ gyms { name machines { name gym { name } } } user(id: "6a1b0c9e-0005-4000-8000-000000000001") { displayName homeGym { name } } }');
    expect(data.gyms.length).toBeGreaterThanOrEqual(2);
    expect(data.user.homeGym.name).toBe(data.gyms.find((g: any) => g.name === data.user.homeGym.name)?.name);
    expect(existsSync(join(dir, '.data', 'gym'))).toBe(true);
  });
});
