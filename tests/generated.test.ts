/** Checked-in generated artefacts must match their sources; each test fails when one is stale. */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, CompositionError, readSupergraph } from '@fitgraph/gateway/composition';
import { repoRoot } from '@fitgraph/platform';

const run = promisify(execFile);
const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describe('generated files are up to date', () => {
  it('schema/supergraph.graphql equals a fresh composition (run `pnpm compose`)', () => {
    expect(readSupergraph()).toBe(composeSupergraph().supergraphSdl);
  });

  it('composition reports every error by code instead of writing a broken supergraph', () => {
    const readSdl = (name: string) => readFileSync(join(repoRoot, `subgraphs/${name}/src/schema.graphql`), 'utf8');
    // Two subgraphs disagreeing on a shared type: Gym.name becomes Int in the user subgraph.
    const conflicting = (name: string) =>
      name === 'user'
        ? readSdl(name).replace('type Gym @key(fields: "id", resolvable: false) {\n  id: ID!\n}', 'type Gym @key(fields: "id") {\n  id: ID!\n  name: Int\n}')
        : readSdl(name);
    expect(conflicting('user')).not.toBe(readSdl('user'));
    let failure: unknown;
    try {
      composeSupergraph(conflicting);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(CompositionError);
    const problems = (failure as CompositionError).problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(/^[A-Z_]+: .*Gym\.name/m);
  });

  it('resolver types, client typed documents and the trusted-documents manifest equal a fresh codegen run (run `pnpm codegen`)', async () => {
    const result = await run(bin('graphql-codegen'), ['--config', 'codegen.ts', '--check'], { cwd: repoRoot }).catch(
      (error: { stdout: string; stderr: string }) => error,
    );
    expect(`${result.stdout}${result.stderr}`).not.toContain('stale files');
    expect('code' in result ? result.code : 0).toBe(0);
  });

  it('SQL migrations match the Drizzle schemas (generating again adds nothing; `pnpm db:generate`)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'fitgraph-drizzle-'));
    try {
      cpSync(join(repoRoot, 'drizzle'), copy, { recursive: true });
      const before = listFiles(copy).sort();
      await run(bin('tsx'), ['scripts/db-generate.ts', '--out-root', copy], { cwd: repoRoot });
      expect(listFiles(copy).sort()).toEqual(before);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('.ci/run runs exactly the README test command', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const commands = [...readme.matchAll(/```sh\n(.+)\n```/g)].map((match) => match[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    const [startCommand, testCommand] = commands;
    expect(startCommand).toMatch(/ start$/);
    expect(testCommand).toMatch(/ test$/);
    expect(readFileSync(join(repoRoot, '.ci/run'), 'utf8').split('\n')).toContain(testCommand);
  });
});
