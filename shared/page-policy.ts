// Owns the browser security policy of the BrainWaves page: its Content-Security-Policy and companion headers, one definition for the relay and the build.

/**
 * The page's Content-Security-Policy. No inline script or style, no eval, nothing from another origin but
 * the relay: a script injected into the page can neither run nor send keys anywhere else.
 * `connect` lists the relay's origins (http(s) for polling and ws(s) for the WebSocket; CSP3 matches
 * neither from the other), or `'self'` when the relay serves the page. `frameAncestors` can only be
 * enforced from a header (a `<meta>` policy ignores it), so the relay adds it and the meta copy leaves it out.
 */
export function pageCsp(opts: { connect: readonly string[]; frameAncestors?: boolean }): string {
  const directives = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'", // Lit's styles are constructed stylesheets, which style-src does not govern
    "img-src 'self' data: blob:",
    `connect-src ${opts.connect.join(' ')}`,
    "manifest-src 'self'",
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ];
  if (opts.frameAncestors) directives.push("frame-ancestors 'none'");
  return directives.join('; ');
}

/** The origins a page must be allowed to connect to for a relay at `relay` ('' = the page's own origin). */
export function relayConnectSources(relay: string): string[] {
  if (!relay) return ["'self'"];
  const u = new URL(relay);
  const ws = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return [u.origin, `${ws}//${u.host}`];
}

/** Headers every response of the relay carries. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Headers for the page itself (HTML). The page uses no location, payment or USB. Camera and microphone are left
 * at their default ('self'): Chromium offers WebRTC host candidates (loopback in the tests' namespace, the LAN
 * address between two laptops) only to a page that may hold media permission (test/chromium-flags.json).
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': pageCsp({ connect: ["'self'"], frameAncestors: true }),
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'geolocation=(), payment=(), usb=()',
};
