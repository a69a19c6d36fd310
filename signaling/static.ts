// Owns serving the built client (index.html and bundles) and /healthz over plain node:http.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

export function staticHandler(dir: string, health: () => Record<string, unknown>) {
  const root = dir ? resolve(dir) : '';
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://relay');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ ok: true, ...health() }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (!root) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('This relay serves no client page.\n');
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
    const file = join(root, rel);
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
        // Other sites load bw-feed.js as a module script, which browsers fetch with CORS.
        'access-control-allow-origin': '*',
        'x-content-type-options': 'nosniff',
      }).end(req.method === 'HEAD' ? undefined : body);
    } catch {
      const hint = rel === 'index.html' ? 'The client is not built: run `npm run build` (npm start does it for you).\n' : 'Not found.\n';
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(hint);
    }
  };
}
