// Owns loading a chunk the build split off the entry and pinned by SRI hash (rollup.config.mjs pinChunks): the check before the import, and one load shared by every caller.
import { BwError } from '../shared/errors.js';

/**
 * Loads a pinned chunk once (and again after a failed attempt). `file` and `integrity` are the placeholders the build
 * writes the chunk's name and SRI hash over (W3C SRI §3.1), so the entry an embed snippet pins by its own hash pins
 * the chunk too; `base` is the entry's import.meta.url. The chunk is fetched as a module preload with its integrity
 * first: the module map then holds the checked module, and `load` gets that one (HTML §4.2.4 modulepreload; a failed
 * check leaves no module to import). Unbuilt sources (the browser tests) keep the placeholders and just import.
 */
export function pinnedChunk<T>(file: string, integrity: string, base: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= preloadChecked(file, integrity, base)
      .then(load)
      .catch((e: unknown) => {
        loading = undefined;
        throw e;
      }));
}

async function preloadChecked(file: string, integrity: string, base: string): Promise<void> {
  if (integrity.includes('_')) return; // not built: there is no hash to check against
  const href = new URL(file, base).href;
  const link = document.createElement('link');
  Object.assign(link, { rel: 'modulepreload', href, integrity, crossOrigin: 'anonymous' });
  try {
    await new Promise<void>((loaded, failed) => {
      link.onload = () => loaded();
      link.onerror = () => failed(new BwError('unavailable', `could not load ${href}: unreachable, or not the bytes this build pinned (SRI)`));
      document.head.append(link);
    });
  } finally {
    link.remove();
  }
}
