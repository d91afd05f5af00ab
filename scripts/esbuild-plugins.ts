/** esbuild plugins shared by `pnpm build` (scripts/build.ts) and the bench's own bundles (bench/subscription-memory.ts). */
import { relative } from 'node:path';
import type { Plugin } from 'esbuild';

/** npm packages stay external, as a path relative to the bundle (the file Node itself would load). */
export const externalPackages = (outdir: string): Plugin => ({
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
