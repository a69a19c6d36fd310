// Owns registering the page's service worker (client/sw.ts), so the app opens while the relay or the network is down.

/** Registers ./sw.js (scope: the page's directory). Where service workers are unavailable the page simply stays online-only. */
export function registerServiceWorker(): void {
  const sw = globalThis.navigator?.serviceWorker;
  if (!sw || !globalThis.isSecureContext) return;
  sw.register(new URL('./sw.js', location.href)).catch((e: unknown) => console.warn('[bw] service worker not registered', (e as Error).message ?? e));
}
