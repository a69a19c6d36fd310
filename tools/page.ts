// Owns the built page's HTML: the index.html template filled with hashed asset names, their SRI hashes, the relay URL and the meta CSP.
import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { parse } from '../shared/validate.js';
import { pageCsp, relayConnectSources } from '../shared/page-policy.js';

/** Subresource Integrity value (W3C SRI §3.1) of a file's exact bytes. */
export const sri = (bytes: Uint8Array | string): string => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

/** A relay base URL: http(s), an origin with no path, query or fragment; '' means the page's own origin. */
const isRelayUrl = (s: string): boolean => {
  if (s === '') return true;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && /^[\w.:[\]-]+$/.test(u.host);
  } catch {
    return false;
  }
};
const RelayUrlSchema = v.pipe(
  v.string(),
  v.check(isRelayUrl, 'must be empty or an http:// or https:// address such as https://relay.example'),
  v.transform((s) => (s ? new URL(s).origin : '')),
);

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * Points a built page at a relay: rewrites its `bw-relay` meta tag and its meta CSP's connect-src. Used by the
 * build (env BW_RELAY_URL) and by anyone hosting dist/ on a static host. Scripts are untouched, so their SRI holds.
 */
export function setRelay(html: string, relay: string): string {
  const origin = parse(RelayUrlSchema, relay, 'relay URL');
  const csp = pageCsp({ connect: relayConnectSources(origin) });
  const out = html
    .replace(/<meta name="bw-relay" content="[^"]*"/, `<meta name="bw-relay" content="${escapeAttr(origin)}"`)
    .replace(/<meta http-equiv="Content-Security-Policy" content="[^"]*"/, `<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}"`);
  if (!out.includes('name="bw-relay"') || !out.includes('http-equiv="Content-Security-Policy"')) throw new Error('page template lacks the bw-relay or CSP meta tag');
  return out;
}

export interface PageAssets {
  /** File name of the app bundle and of the stylesheet, relative to the page, and their bytes. */
  app: { name: string; bytes: Uint8Array };
  css: { name: string; bytes: Uint8Array };
}

/** Fills client/index.html's %APP%, %APP_SRI%, %CSS%, %CSS_SRI% and sets the relay. */
export function renderPage(template: string, assets: PageAssets, relay: string): string {
  const filled = template
    .replaceAll('%APP%', `./${assets.app.name}`)
    .replaceAll('%APP_SRI%', sri(assets.app.bytes))
    .replaceAll('%CSS%', `./${assets.css.name}`)
    .replaceAll('%CSS_SRI%', sri(assets.css.bytes));
  return setRelay(filled, relay);
}
