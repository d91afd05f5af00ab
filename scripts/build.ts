/**
 * `pnpm build [service ...]`: compiles each service's entrypoint with esbuild into one ES module,
 * `<package>/dist/index.js`, which production runs with plain `node` (Dockerfile, docker-compose):
 * no TypeScript loader at start-up or in memory. Workspace code (service-kit, the service's own
 * src) is bundled in; npm packages stay external, imported from where pnpm installed them for the
 * package that uses them (a relative path), so each resolves exactly as it does under tsx.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { repoRoot, subgraphNames } from '@fitgraph/platform';

const services = ['gateway', ...subgraphNames] as const;
type Service = (typeof services)[number];
const packageDir = (service: Service) => join(repoRoot, service === 'gateway' ? 'gateway' : `subgraphs/${service}`);

/** npm packages stay external, as a path relative to the bundle (the file Node itself would load). */
const externalPackages = (outdir: string): Plugin => ({
  name: 'external-packages',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@fitgraph/') || args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
      const resolved = await pluginBuild.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
      if (resolved.errors.length > 0 || !resolved.path || !resolved.path.includes('/node_modules/')) return undefined;
      let path = relative(outdir, resolved.path);
      if (!path.startsWith('.')) path = `./${path}`;
      return { path, external: true };
    });
  },
});

async function buildServices(which: readonly Service[]): Promise<void> {
  await Promise.all(
    which.map(async (service) => {
      const outdir = join(packageDir(service), 'dist');
      mkdirSync(outdir, { recursive: true });
      await build({
        entryPoints: [join(packageDir(service), 'src/index.ts')],
        outfile: join(outdir, 'index.js'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        // Resolve npm packages as Node does: without esbuild's default `module` condition, which
        // picks bundler-only builds (e.g. @opentelemetry/api's build/esm, extension-less imports).
        conditions: ['node'],
        sourcemap: 'linked',
        logLevel: 'warning',
        plugins: [externalPackages(outdir)],
      });
    }),
  );
}

const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = requested.filter((name) => !services.includes(name as Service));
if (unknown.length > 0) throw new Error(`unknown service(s): ${unknown.join(', ')} (known: ${services.join(', ')})`);
const chosen = requested.length > 0 ? (requested as Service[]) : services;
await buildServices(chosen);
process.stderr.write(`built ${chosen.join(', ')} -> <package>/dist/index.js\n`);
