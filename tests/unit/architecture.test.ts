/**
 * The layout ARCHITECTURE.md describes, held against the code: imports only point down, the
 * infrastructure kit names nothing of FitGraph, only composition roots read the environment,
 * and the map names what exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Every file below `dir` (repository-relative), skipping dependencies and generated code. */
function filesUnder(dir: string, ending = '.ts'): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(join(root, path))) {
      if (entry === 'node_modules' || entry === 'generated' || entry.startsWith('.')) continue;
      const child = path ? `${path}/${entry}` : entry;
      if (statSync(join(root, child)).isDirectory()) walk(child);
      else if (child.endsWith(ending)) out.push(child);
    }
  };
  if (existsSync(join(root, dir))) walk(dir);
  return out;
}

/** The workspace packages: folder -> package name, from pnpm-workspace.yaml. */
function workspacePackages(): Map<string, string> {
  const globs = [...read('pnpm-workspace.yaml').matchAll(/^\s+-\s+(\S+)\s*$/gm)].map((m) => m[1]!);
  const packages = new Map<string, string>();
  for (const glob of globs.filter((g) => !g.includes(':'))) {
    const dirs = glob.endsWith('/*')
      ? readdirSync(join(root, glob.slice(0, -2))).map((entry) => `${glob.slice(0, -2)}/${entry}`)
      : [glob];
    for (const dir of dirs) {
      if (existsSync(join(root, dir, 'package.json'))) packages.set(dir, JSON.parse(read(`${dir}/package.json`)).name as string);
    }
  }
  return packages;
}

const packages = workspacePackages();

/**
 * Where a workspace folder stands (ARCHITECTURE.md's table): the server's levels, the clients'
 * own column (they know the server only over the network), and the tooling above both.
 */
function placeOf(dir: string): { side: 'server' | 'client' | 'tooling'; level: number } {
  if (dir === 'packages/service-kit') return { side: 'server', level: 0 };
  if (dir === 'packages/platform') return { side: 'server', level: 1 };
  if (dir === 'gateway' || dir.startsWith('subgraphs/')) return { side: 'server', level: 2 };
  if (dir === 'stack') return { side: 'server', level: 3 };
  if (dir === 'clients/sdk') return { side: 'client', level: 0 };
  if (dir.startsWith('clients/')) return { side: 'client', level: 1 };
  if (dir === 'testkit') return { side: 'tooling', level: 4 };
  if (dir === 'scripts' || dir === 'bench' || dir === 'tests') return { side: 'tooling', level: 5 };
  throw new Error(`${dir} has no level in ARCHITECTURE.md`);
}
const levelOf = (dir: string) => placeOf(dir).level;
/** An import from `from` to `to` points down: to a lower level of the same side, or from tooling to anything below it. */
function pointsDown(from: string, to: string): boolean {
  const [a, b] = [placeOf(from), placeOf(to)];
  if (a.side !== 'tooling' && a.side !== b.side) return false;
  return b.level < a.level;
}
const dirOfPackage = new Map([...packages].map(([dir, name]) => [name, dir]));

const importsOf = (source: string): string[] =>
  [...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)].map(
    (m) => (m[1] ?? m[2] ?? m[3])!,
  );

/** Source folders checked, by owner: each workspace package's src, scripts/ and bench/. */
const owners = [
  ...[...packages.keys()].map((dir) => ({ dir, files: filesUnder(`${dir}/src`) })),
  { dir: 'scripts', files: filesUnder('scripts') },
  { dir: 'bench', files: filesUnder('bench') },
];

describe('levels', () => {
  it('every workspace package has a level', () => {
    for (const dir of packages.keys()) expect(() => levelOf(dir), dir).not.toThrow();
  });

  it('no source file imports a package above its own level, or a neighbour on its level', () => {
    const violations: string[] = [];
    for (const { dir, files } of owners) {
      for (const file of files) {
        for (const specifier of importsOf(readFileSync(join(root, file), 'utf8'))) {
          if (specifier.startsWith('.')) {
            const target = relative(root, resolve(root, dirname(file), specifier));
            if (!`${target}${sep}`.startsWith(`${dir}${sep}`)) violations.push(`${file} reaches out of ${dir} by path: ${specifier}`);
            continue;
          }
          const name = /^@fitgraph\/[^/]+/.exec(specifier)?.[0];
          const targetDir = name && dirOfPackage.get(name);
          if (!name) continue;
          if (!targetDir) {
            violations.push(`${file} imports ${specifier}, which is no workspace package`);
            continue;
          }
          if (targetDir === dir) continue;
          if (!pointsDown(dir, targetDir)) violations.push(`${file} (${placeOf(dir).side} level ${levelOf(dir)}) imports ${name} (${placeOf(targetDir).side} level ${levelOf(targetDir)})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  // devDependencies serve a package's own tests, which stand with the tooling on top.
  it('no package.json depends on a workspace package above it or beside it', () => {
    const violations: string[] = [];
    for (const [dir, name] of packages) {
      const manifest = JSON.parse(read(`${dir}/package.json`)) as Record<string, Record<string, string> | undefined>;
      for (const dependency of Object.keys({ ...manifest.dependencies })) {
        const targetDir = dirOfPackage.get(dependency);
        if (targetDir && !pointsDown(dir, targetDir)) violations.push(`${name} depends on ${dependency}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the infrastructure kit names nothing of FitGraph', () => {
    const named = filesUnder('packages/service-kit/src').filter((file) => /fitgraph/i.test(read(file)));
    expect(named).toEqual([]);
  });
});

describe('composition roots', () => {
  /** Entry points and tools own the process; tests and test tooling own theirs. */
  const roots = [/^gateway\/src\/index\.ts$/, /^subgraphs\/[^/]+\/src\/index\.ts$/, /^scripts\//, /^bench\//, /^testkit\//, /^tests\//, /\/test\//, /^[^/]+\.ts$/];

  it('no module outside the composition roots reads process.env', () => {
    const sources = ['packages', 'gateway', 'subgraphs', 'stack', 'scripts', 'bench', 'testkit', 'tests'].flatMap((dir) => filesUnder(dir));
    const readers = sources.filter((file) => !roots.some((pattern) => pattern.test(file)) && /process\.env\b/.test(read(file)));
    expect(readers).toEqual([]);
  });
});

describe('ARCHITECTURE.md', () => {
  const map = read('ARCHITECTURE.md');
  const subgraphs = readdirSync(join(root, 'subgraphs'));

  it('names every workspace package, and only packages that exist', () => {
    for (const name of packages.values()) expect(map, name).toContain(`\`${name}\``);
    const named = [...map.matchAll(/`(@fitgraph\/[a-z-]+)`/g)].map((m) => m[1]!);
    expect(named.filter((name) => !dirOfPackage.has(name))).toEqual([]);
  });

  it('names only folders and files that exist', () => {
    const paths = [...map.matchAll(/`([a-z][\w.-]*(?:\/[\w.<>-]+)+|gateway|stack|scripts|testkit|tests|clients)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(10);
    const missing = paths.flatMap((path) => {
      if (path.includes('<package>')) return [];
      // `subgraphs/<name>/...` must exist in every subgraph; a bare `src/...` (a subgraph's own file) in one at least.
      if (path.startsWith('src/')) return subgraphs.some((name) => existsSync(join(root, 'subgraphs', name, path))) ? [] : [path];
      const concrete = path.includes('<name>') ? subgraphs.map((name) => path.replace('<name>', name)) : [path];
      return concrete.filter((candidate) => !existsSync(join(root, candidate)));
    });
    expect(missing).toEqual([]);
  });
});
