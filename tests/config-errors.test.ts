/**
 * Each process's composition root parses its whole configuration before it opens anything: a
 * wrong environment logs every problem at once (one fatal line) and exits non-zero, for every service.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { envPrefix, repoRoot, subgraphNames } from '@fitgraph/platform';
import { describe, expect, it } from 'vitest';

/** Runs an entrypoint with `env` as its whole environment; resolves with its exit code and output. */
function run(entrypoint: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, entrypoint)],
      { cwd: repoRoot, env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** Wrong in several ways at once: each root must name every one. */
const wrong = { LOG_LEVEL: 'loud', REDIS_URL: 'not a url', AUTH_ACCESS_TOKEN_TTL: '-5' };
const wrongNames = Object.keys(wrong);

const services = [
  { service: 'gateway', entrypoint: 'gateway/src/index.ts', portVariable: 'PORT' },
  ...subgraphNames.map((name) => ({ service: `${name} subgraph`, entrypoint: `subgraphs/${name}/src/index.ts`, portVariable: `${envPrefix(name)}_SUBGRAPH_PORT` })),
];

describe('a wrong environment', () => {
  it.each(services)('stops the $service with every configuration problem and a non-zero exit', async ({ entrypoint, portVariable }) => {
    const { code, output } = await run(entrypoint, { ...wrong, [portVariable]: 'seventy' });
    expect(code, output).not.toBe(0);
    expect(output).toContain('Invalid configuration');
    for (const name of [...wrongNames, portVariable]) expect(output, `${name} in:\n${output}`).toContain(`${name}:`);
    expect(output).not.toMatch(/\n\s+at /); // a list of problems, not a stack trace
  });

  it('stops the all-in-one stack with the problems of every service it would start, each once', async () => {
    const { code, output } = await run('scripts/start-dev.ts', { ...wrong, GYM_SUBGRAPH_PORT: 'seventy', CHAT_SEND_RATE_LIMIT: 'many' });
    expect(code, output).not.toBe(0);
    for (const name of [...wrongNames, 'GYM_SUBGRAPH_PORT', 'CHAT_SEND_RATE_LIMIT']) expect(output, output).toContain(`${name}:`);
    // One fatal log line; each distinct problem listed once, whichever services share it.
    const fatal = output.split('\n').filter((line) => line.startsWith('{') && JSON.parse(line).level === 60);
    expect(fatal, output).toHaveLength(1);
    const { problems } = JSON.parse(fatal[0]!) as { problems: string[] };
    expect(problems.filter((problem) => problem.startsWith('LOG_LEVEL:'))).toHaveLength(1);
  });

  it('stops db:migrate before it touches a database', async () => {
    const { code, output } = await run('scripts/db-migrate.ts', { DATABASE_URL: 'nowhere', DATABASE_NAME_PREFIX: 'Not-A-Prefix' });
    expect(code, output).not.toBe(0);
    for (const name of ['DATABASE_URL', 'DATABASE_NAME_PREFIX']) expect(output, output).toContain(`${name}:`);
  });
});
