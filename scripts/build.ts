/**
 * `pnpm build [service ...]`: compiles each service's entrypoint with esbuild into one ES module,
 * `<package>/dist/index.js`, which production runs with plain `node` (Dockerfile, docker-compose):
 * no TypeScript loader at start-up or in memory. Workspace code (service-kit, the service's own
 * src) is bundled in. The subgraphs' npm packages stay external, imported from where pnpm installed
 * them for the package that uses them (a relative path), so each resolves exactly as it does under
 * tsx (PGlite, for one, loads its WebAssembly and data files from next to its own module).
 *
 * The gateway bundles its npm packages too: loading ~1,800 separate module files cost it ~100 MiB
 * of allocations at start-up (path resolution, package.json reads, one source string and module
 * record per file), which left its heap ~20 MiB larger than plain Apollo Gateway's when idle. One
 * file, tree-shaken and without comments, starts with a smaller heap (bench/README.md). Its CPU
 * profiles name the bundle for every frame; `index.js.map` maps them back.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { repoRoot, subgraphNames } from '@fitgraph/platform';

const services = ['gateway', ...subgraphNames] as const;
/** Services whose npm packages are bundled in (see above); the others import them from node_modules. */
const bundlesNpmPackages = new Set<Service>(['gateway']);
/**
 * CommonJS packages bundled into an ES module still call `require` (Node built-ins, optional
 * dependencies) and read `__dirname`/`__filename`, which an ES module does not have.
 */
const commonJsGlobals = [
  "import { createRequire as __bundleCreateRequire } from 'node:module';",
  "import { dirname as __bundleDirname } from 'node:path';",
  "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
  'const require = __bundleCreateRequire(import.meta.url);',
  'const __filename = __bundleFileURLToPath(import.meta.url);',
  'const __dirname = __bundleDirname(__filename);',
].join(' ');
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

/**
 * Workspace packages' modules do nothing at import time that another module relies on (none is
 * imported for its side effects), so esbuild may drop the ones a service does not use, and with
 * them their npm imports: through the barrels (`@fitgraph/service-kit`, `@fitgraph/platform`) the
 * gateway otherwise loaded drizzle, postgres-backed migrations, PGlite and @apollo/subgraph.
 */
const workspaceWithoutSideEffects = (): Plugin => ({
  name: 'workspace-without-side-effects',
  setup(pluginBuild) {
    const workspacePackages = join(repoRoot, 'packages') + sep;
    pluginBuild.onResolve({ filter: /^(@fitgraph\/|\.)/ }, async (args) => {
      if (args.pluginData === 'resolving' || args.kind === 'entry-point') return undefined;
      const resolved = await pluginBuild.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
      if (resolved.errors.length > 0 || !resolved.path.startsWith(workspacePackages) || resolved.path.includes(`${sep}node_modules${sep}`)) return undefined;
      return { path: resolved.path, sideEffects: false };
    });
  },
});

async function buildServices(which: readonly Service[], folder: string): Promise<void> {
  await Promise.all(
    which.map(async (service) => {
      const outdir = join(packageDir(service), folder);
      // Chunk names carry a content hash: drop the previous build's instead of piling them up.
      rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
      mkdirSync(outdir, { recursive: true });
      const bundled = bundlesNpmPackages.has(service);
      await build({
        entryPoints: [join(packageDir(service), 'src/index.ts')],
        outdir,
        entryNames: '[name]',
        // Modules loaded with import() (the tracing SDK, only when traces are exported) become
        // chunks of their own, read only if the process asks for them.
        splitting: true,
        chunkNames: 'chunks/[name]-[hash]',
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        // Resolve npm packages as Node does: without esbuild's default `module` condition, which
        // picks bundler-only builds (e.g. @opentelemetry/api's build/esm, extension-less imports).
        conditions: ['node'],
        sourcemap: 'linked',
        logLevel: 'warning',
        plugins: bundled ? [workspaceWithoutSideEffects()] : [workspaceWithoutSideEffects(), externalPackages(outdir)],
        ...(bundled ? { banner: { js: commonJsGlobals }, minifyWhitespace: true, legalComments: 'none' as const } : {}),
      });
    }),
  );
}

/** `--dist=<folder>`: build into `<package>/<folder>` instead of `dist` (a test's own bundles, beside a running build). */
const folder = process.argv.find((arg) => arg.startsWith('--dist='))?.slice('--dist='.length) ?? 'dist';
if (!/^dist(-[a-z0-9-]+)?$/.test(folder)) throw new Error(`--dist must be dist or dist-<name>, not ${folder}`);
const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = requested.filter((name) => !services.includes(name as Service));
if (unknown.length > 0) throw new Error(`unknown service(s): ${unknown.join(', ')} (known: ${services.join(', ')})`);
const chosen = requested.length > 0 ? (requested as Service[]) : services;
await buildServices(chosen, folder);
process.stderr.write(`built ${chosen.join(', ')} -> <package>/${folder}/index.js\n`);
