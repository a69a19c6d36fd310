// Owns serving the built client: dist/ read once into a table of files (precompressed copies, ETags, cache policy, security headers); only a file in that table can ever be served.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { ErrorCode } from '../shared/errors.js';
import { COMMON_HEADERS, PAGE_HEADERS } from '../shared/page-policy.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = /\.(html|m?js|css|svg|json|webmanifest|txt)$/;
/** Rollup's `[name].[hash]` names: their bytes never change, so browsers may keep them for a year without asking. */
const HASHED = /^[^.]+\.[A-Za-z0-9_-]{8,}\.[a-z]+$/; // not their .map: the hash covers the code, not the map
const IMMUTABLE = 'public, max-age=31536000, immutable';

type Coding = 'br' | 'gzip' | 'identity';
interface Asset {
  headers: Record<string, string>;
  etag: string;
  bodies: Partial<Record<Coding, Buffer>>;
}

/** The built client as served: file name (flat, as in dist/) → asset. Empty when there is no client. */
export type Site = ReadonlyMap<string, Asset>;

/** Reads every file of `dir` once. Precompressed `x.br` / `x.gz` from the build are used; missing ones are made here. */
export function loadSite(dir: string): Site {
  const site = new Map<string, Asset>();
  if (!dir || !existsSync(dir)) return site;
  for (const name of readdirSync(dir)) {
    // lstat: a symlink is not followed, so nothing outside the folder gets into the table.
    if (/\.(br|gz)$/.test(name) || !lstatSync(join(dir, name)).isFile()) continue;
    const identity = readFileSync(join(dir, name));
    const bodies: Asset['bodies'] = { identity };
    if (COMPRESSIBLE.test(name) && identity.length > 512) {
      // Quality 5 when the build did not precompress: a second of brotli-11 per start is not worth it here.
      // A precompressed copy older than its file is stale (say, index.html re-pointed at another relay by setRelay).
      const fresh = (copy: string) => existsSync(copy) && lstatSync(copy).mtimeMs >= lstatSync(join(dir, name)).mtimeMs;
      bodies.br = fresh(join(dir, `${name}.br`)) ? readFileSync(join(dir, `${name}.br`)) : brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } });
      bodies.gzip = fresh(join(dir, `${name}.gz`)) ? readFileSync(join(dir, `${name}.gz`)) : gzipSync(identity);
    }
    const html = extname(name) === '.html';
    site.set(name, {
      etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
      bodies,
      headers: {
        ...COMMON_HEADERS,
        ...(html ? PAGE_HEADERS : {}),
        'content-type': TYPES[extname(name)] ?? (name === 'SHA256SUMS' ? 'text/plain; charset=utf-8' : 'application/octet-stream'),
        'cache-control': HASHED.test(name) ? IMMUTABLE : 'no-cache',
        // Other sites load bw-feed.js as a cross-origin module script (fetched with CORS).
        ...(html ? {} : { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' }),
        ...(bodies.gzip ? { vary: 'accept-encoding' } : {}),
      },
    });
  }
  return site;
}

/** A response as data: what the HTTP edge writes. `error` is set for 4xx/5xx answers (a named error). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
  error?: { code: ErrorCode; message: string };
}

export const failure = (status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { ...COMMON_HEADERS, 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify({ ok: false, code, message }),
  error: { code, message },
});

/** Picks the smallest coding the client accepts (RFC 9110 §12.5.3, q=0 honoured). */
export function pickCoding(accept: string | undefined, have: Asset['bodies']): Coding {
  const q = new Map<string, number>();
  for (const part of (accept ?? '').toLowerCase().split(',')) {
    const [raw, ...params] = part.split(';');
    const name = raw!.trim();
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name) q.set(name, qp ? Number(qp.slice(2)) || 0 : 1);
  }
  const ok = (c: string) => (q.get(c) ?? q.get('*') ?? 0) > 0;
  if (have.br && ok('br')) return 'br';
  if (have.gzip && ok('gzip')) return 'gzip';
  return 'identity';
}

/** RFC 9110 §13.1.2: does If-None-Match name this representation? */
const matches = (ifNoneMatch: string | undefined, etag: string): boolean =>
  !!ifNoneMatch && (ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag));

/** Decodes a request path, or undefined when its percent-encoding is malformed (`/%`, `/%E0%A4`). */
function decodePath(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** Answers one GET/HEAD for the client files: a pure function of the site and the request. */
export function serveFile(site: Site, req: { method: string; path: string; headers: Record<string, string | string[] | undefined> }): Reply {
  const path = decodePath(req.path);
  if (path === undefined) return failure(400, 'bad-encoding', 'malformed percent-encoding in the path');
  const name = path === '/' ? 'index.html' : path.slice(1);
  const asset = site.get(name);
  if (!asset) {
    if (name === 'index.html') return failure(404, 'not-found', 'This relay serves no client page (build it with `npm run build`; npm start does).');
    return failure(404, 'not-found', 'no such file');
  }
  const coding = pickCoding(String(req.headers['accept-encoding'] ?? ''), asset.bodies);
  const etag = coding === 'identity' ? asset.etag : `${asset.etag.slice(0, -1)}-${coding}"`;
  const headers: Record<string, string> = { ...asset.headers, etag, ...(coding === 'identity' ? {} : { 'content-encoding': coding }) };
  if (matches(String(req.headers['if-none-match'] ?? ''), etag)) return { status: 304, headers };
  const body = asset.bodies[coding]!;
  return { status: 200, headers: { ...headers, 'content-length': String(body.length) }, body: req.method === 'HEAD' ? undefined : body };
}
