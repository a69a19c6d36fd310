// Owns the service worker's pure rules: which requests it answers and how, and which URLs a page names (client/sw.ts).

/** Bump when the caching scheme changes; older caches are deleted on activate. */
export const CACHE = 'bw-shell-v1';
/** Paths under the scope that are live, never cached. */
export const NEVER_CACHED = [/^\/socket\.io\//, /^\/healthz$/];

/** Whether the worker answers this request at all, and how. */
export function strategyFor(req: { method: string; url: string; mode: string }, scope: string): 'page' | 'asset' | 'network' {
  if (req.method !== 'GET') return 'network';
  const url = new URL(req.url);
  const base = new URL(scope);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return 'network';
  if (NEVER_CACHED.some((re) => re.test(url.pathname))) return 'network';
  return req.mode === 'navigate' ? 'page' : 'asset';
}

/** Rollup's `name.<hash>.ext` files (see rollup.config.mjs): their bytes never change under that name. */
export const isHashed = (url: string): boolean => /\/[^/.]+\.[A-Za-z0-9_-]{8,}\.[a-z]+$/.test(new URL(url).pathname);

/** Same-origin URLs of the scripts, module preloads, styles, icons and manifest an HTML page names. */
export function shellUrls(html: string, page: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)) {
    const u = new URL(m[1]!, page);
    if (u.origin === new URL(page).origin && !u.protocol.startsWith('data')) out.add(u.href);
  }
  return [...out];
}

/** The sibling chunks a built module names by content-hashed name (rollup's import() chunks, client/lazy-net.ts), as URLs. */
export function chunkUrls(js: string, moduleUrl: string): string[] {
  const out = new Set<string>();
  for (const m of js.matchAll(/["']\.\/([^"'/]+\.[A-Za-z0-9_-]{8,}\.js)["']/g)) out.add(new URL(m[1]!, moduleUrl).href);
  return [...out];
}
