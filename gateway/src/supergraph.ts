/**
 * The supergraph the gateway serves: loaded from a file (SUPERGRAPH_PATH), validated, and
 * watched. Any valid supergraph works: subgraph names and URLs come from the file
 * (`@join__graph(name:, url:)`), env may override a URL per name. A changed file is re-read after
 * a short debounce and applied only if its content hash differs and it validates; an invalid
 * one is logged and the previous supergraph stays.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { repoRoot } from '@fitgraph/platform';
import type { Logger } from '@fitgraph/service-kit';

/** The checked-in supergraph (`pnpm compose` writes it; composition.ts), served unless SUPERGRAPH_PATH names another. */
export const supergraphPath = join(repoRoot, 'schema/supergraph.graphql');

export const supergraphHash = (sdl: string): string => createHash('sha256').update(sdl).digest('hex');

/** `GYM`, `MY_SERVICE`: how a subgraph name appears in env names (`<NAME>_SUBGRAPH_URL`, `<NAME>_SUBGRAPH_TIMEOUT_MS`). */
export const subgraphEnvName = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** The per-subgraph setting for `name` from a map keyed by subgraph name or by its env name (lower-cased). */
export function perSubgraph<T>(settings: Record<string, T> | undefined, name: string): T | undefined {
  if (!settings) return undefined;
  return settings[name] ?? settings[subgraphEnvName(name).toLowerCase()];
}

export interface SupergraphFileWatcher {
  close(): void;
}

/**
 * Calls `onContent` with the file's text whenever it changed (debounced, deduplicated by content
 * hash). Watches the directory, not the file: editors and Kubernetes ConfigMaps replace files by
 * rename, which a watch on the old inode would miss.
 */
export function watchSupergraphFile(
  path: string,
  options: { initialSdl: string; logger: Logger; debounceMs?: number; onContent(sdl: string): void },
): SupergraphFileWatcher {
  let lastHash = supergraphHash(options.initialSdl);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const check = async () => {
    let sdl: string;
    try {
      sdl = await readFile(path, 'utf8');
    } catch (error) {
      // Mid-replace (or deleted): the next event brings the new file; keep serving the old one.
      options.logger.warn({ err: error, path }, 'supergraph file unreadable; keeping the current supergraph');
      return;
    }
    const hash = supergraphHash(sdl);
    if (closed || hash === lastHash) return;
    lastHash = hash;
    options.onContent(sdl);
  };
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
    // Kubernetes swaps a `..data` symlink; anything else in the directory is not ours.
    if (filename && filename !== basename(path) && !filename.startsWith('..')) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), options.debounceMs ?? 200);
  });
  watcher.on('error', (error) => options.logger.error({ err: error, path }, 'supergraph file watch failed; reloads stop'));
  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}
