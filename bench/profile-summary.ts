/**
 * `tsx bench/profile-summary.ts <file.cpuprofile>`: where a `node --cpu-prof` profile spends its
 * time — self time grouped by package (node_modules/<name>, FitGraph's own code, Node internals,
 * GC) and the top functions. Used for the "where the time goes" notes in bench/README.md.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile>');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const packageOf = (url: string, name: string): string => {
  if (name === '(garbage collector)') return '(gc)';
  if (name === '(idle)' || name === '(program)') return name;
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pnpm) return pnpm[1]!;
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (plain) return plain[1]!;
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url.replace(/^node:internal\/deps\/([^/]+).*$/, 'node: $1 (bundled)').replace(/^node:internal\/([^/.]+).*$/, 'node: $1');
  return `fitgraph: ${url.replace(/^.*?\/(gateway|subgraphs|packages)\//, '$1/').replace(/:\d+$/, '')}`;
};

const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const busy = [...selfUs.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName !== '(idle)').reduce((a, [, us]) => a + us, 0);
const packages = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') continue;
  const pkg = packageOf(url, functionName);
  packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  const fn = `${functionName || '(anonymous)'} ${pkg}:${lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
console.log(`profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`);
console.log('\nself time by package (share of busy time):');
for (const [pkg, us] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(us).padStart(6)}  ${pkg}`);
console.log('\ntop functions (self):');
for (const [fn, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(us).padStart(6)}  ${fn}`);
