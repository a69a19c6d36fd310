// Owns the page's service worker (dist/sw.js, scope /): keeps the app shell so the feed opens while the relay is down.
//
// Runtime caching only, so no bundle name is written here (bundles may be renamed, e.g. content-hashed):
// - navigations: network first, the cached page when the network fails (the relay is down or the device offline);
// - other same-origin GETs (bundles, manifest, icon): cache first, refreshed in the background for the next load;
// - never Socket.IO (/socket.io/), /healthz, other origins or non-GETs: those go to the network untouched.
// On install it fetches the page and caches the same-origin scripts, styles and icons the page names, so the very
// first visit (which this worker does not control yet) is enough to open offline afterwards.

import { CACHE, chunkUrls, isHashed, shellUrls, strategyFor } from './sw-rules.js';

/** The few ServiceWorkerGlobalScope members used (the project compiles against the DOM lib, not WebWorker). */
interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  /** The navigation's own network response, started while the worker was booting (navigation preload). */
  readonly preloadResponse?: Promise<Response | undefined>;
  respondWith(r: Response | Promise<Response>): void;
}
interface WorkerScope {
  readonly registration: { readonly scope: string; readonly navigationPreload?: { enable(): Promise<void> } };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
}

const sw = globalThis as unknown as WorkerScope;

async function precache(): Promise<void> {
  const cache = await caches.open(CACHE);
  const page = new URL('./', sw.registration.scope).href;
  const res = await fetch(page, { cache: 'no-cache' });
  if (!res.ok || res.redirected) return; // a redirected response cannot answer a navigation later
  await cache.put(page, res.clone());
  // A bundle that fails to load now is cached at its first use instead: the install itself must not fail on it.
  const shell = shellUrls(await res.text(), page);
  await Promise.all(shell.map((u) => cache.add(u).catch(() => undefined)));
  // And the chunks those scripts load later (Socket.IO and simple-peer, after first paint): offline needs them too.
  const scripts = await Promise.all(shell.filter((u) => u.endsWith('.js')).map(async (u) => chunkUrls((await (await cache.match(u))?.text()) ?? '', u)));
  await Promise.all([...new Set(scripts.flat())].map((u) => cache.add(u).catch(() => undefined)));
}

const isShell = (url: string) => {
  const path = new URL(url).pathname;
  const root = new URL(sw.registration.scope).pathname;
  return path === root || path === `${root}index.html`;
};

async function networkFirst(req: Request, preload: Promise<Response | undefined> | undefined): Promise<Response> {
  const cache = await caches.open(CACHE);
  try {
    const res = (await preload?.catch(() => undefined)) ?? (await fetch(req));
    // The page at the scope's root (/, /?direct=off, /index.html) is the one page, kept under the scope URL. A full
    // cache must not turn a good answer into a failure, so the write is not awaited.
    if (res.ok && !res.redirected) cache.put(isShell(req.url) ? new URL('./', sw.registration.scope).href : req, res.clone()).catch(() => undefined);
    // A relay behind a proxy that is down answers 502/503/504: the kept page is better than that.
    if (res.status >= 500) return (await cache.match(req, { ignoreSearch: true })) ?? (await cache.match(new URL('./', sw.registration.scope).href)) ?? res;
    return res;
  } catch (e) {
    const hit = (await cache.match(req, { ignoreSearch: true })) ?? (await cache.match(new URL('./', sw.registration.scope).href));
    if (hit) return hit;
    throw e;
  }
}

async function cacheFirst(req: Request, wait: (p: Promise<unknown>) => void): Promise<Response> {
  const cache = await caches.open(CACHE);
  const refresh = () =>
    fetch(req).then(async (res) => {
      if (res.ok && res.type === 'basic' && res.status === 200) await cache.put(req, res.clone()).catch(() => undefined);
      return res;
    });
  const hit = await cache.match(req);
  if (!hit) return refresh();
  // A content-hashed file never changes; anything else is refreshed for the next load, not holding up this one.
  if (!isHashed(req.url)) wait(refresh().catch(() => undefined));
  return hit;
}

sw.addEventListener('install', (e) => e.waitUntil(precache().then(() => sw.skipWaiting())));
sw.addEventListener('activate', (e) =>
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('bw-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      // Navigation preload: the page's request goes out while the worker boots instead of after it, so a worker
      // that only falls back to the cache costs a page load (nearly) nothing.
      .then(() => sw.registration.navigationPreload?.enable().catch(() => undefined))
      .then(() => sw.clients.claim()),
  ),
);
sw.addEventListener('fetch', (e) => {
  const how = strategyFor(e.request, sw.registration.scope);
  if (how === 'page') e.respondWith(networkFirst(e.request, e.preloadResponse));
  else if (how === 'asset') e.respondWith(cacheFirst(e.request, (p) => e.waitUntil(p)));
});
