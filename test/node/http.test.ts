// The relay's HTTP edge in-process: file table, codings, ETags, named errors, and the guard that keeps a throwing handler from taking the relay down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { io } from 'socket.io-client';
import { DEFAULTS } from '../../signaling/config.js';
import { clientHandler, createRelayServer, guardServer, requestPath } from '../../signaling/http.js';
import { createLogger } from '../../signaling/log.js';
import { createRelay } from '../../signaling/server.js';
import { loadSite, pickCoding, serveFile } from '../../signaling/static.js';
import { openSqliteStore } from '../../signaling/store/sqlite.js';
import { connectAs, call } from './relay-harness.js';
import { tempDir } from '../temp.js';

const quiet = createLogger('silent');
const APP = 'app.AbCd_123.js';
const code = `export const x = ${JSON.stringify('brainwaves '.repeat(200))};\n`;

function site() {
  const root = tempDir('bw-site');
  writeFileSync(join(root, 'secret.txt'), 'SENTINEL: outside the client');
  const dir = join(root, 'dist');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>BrainWaves</title>'.padEnd(600));
  writeFileSync(join(dir, APP), code);
  writeFileSync(join(dir, 'bw-feed.js'), code);
  writeFileSync(join(dir, `${APP}.map`), '{"version":3}');
  symlinkSync('../secret.txt', join(dir, 'leak.txt')); // a link out of the folder must not be served
  // A precompressed copy older than its file (index.html re-pointed by setRelay after the build) is stale.
  writeFileSync(join(dir, 'index.html.br'), brotliCompressSync('<!doctype html><title>STALE</title>'.padEnd(600)));
  utimesSync(join(dir, 'index.html.br'), new Date(0), new Date(0));
  return loadSite(dir);
}
const get = (path: string, headers: Record<string, string> = {}) => serveFile(site(), { method: 'GET', path, headers });

test('the page: CSP with frame-ancestors, revalidated by ETag (304 on a repeat visit)', () => {
  const r = get('/');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-security-policy']!, /script-src 'self'/);
  assert.match(r.headers['content-security-policy']!, /frame-ancestors 'none'/);
  assert.doesNotMatch(r.headers['content-security-policy']!, /unsafe-inline|unsafe-eval/);
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers['referrer-policy'], 'no-referrer');
  assert.ok(r.headers['permissions-policy']);
  const again = get('/', { 'if-none-match': r.headers.etag! });
  assert.equal(again.status, 304);
  assert.equal(again.body, undefined);
  assert.equal(get('/', { 'if-none-match': `W/${r.headers.etag}, "other"` }).status, 304, 'weak comparison, lists');
  assert.equal(get('/', { 'if-none-match': '"stale"' }).status, 200);
});

test('bundles: content-hashed names are immutable, compressed as the client accepts, and embeddable cross-site', () => {
  const br = get(`/${APP}`, { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(brotliDecompressSync(br.body as Buffer).toString(), code);
  assert.equal(br.headers.vary, 'accept-encoding');
  assert.equal(br.headers['access-control-allow-origin'], '*');
  assert.equal(br.headers['content-security-policy'], undefined, 'the page policy is for the page');
  const gz = get(`/${APP}`, { 'accept-encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.body as Buffer).toString(), code);
  assert.notEqual(gz.headers.etag, br.headers.etag, 'each representation has its own ETag');
  assert.equal(get(`/${APP}`, { 'accept-encoding': 'br;q=0, gzip;q=0' }).headers['content-encoding'], undefined);
  assert.equal(get('/bw-feed.js').headers['cache-control'], 'no-cache', 'the stable name must be revalidated');
  assert.equal(get(`/${APP}.map`).headers['cache-control'], 'no-cache', 'a map is not covered by its bundle\'s hash');
  const page = get('/', { 'accept-encoding': 'br' });
  assert.match(brotliDecompressSync(page.body as Buffer).toString(), /BrainWaves/, 'a stale precompressed copy is not served');
});

test('pickCoding honours q-values and wildcards', () => {
  const have = { identity: Buffer.alloc(1), br: Buffer.alloc(1), gzip: Buffer.alloc(1) };
  assert.equal(pickCoding('', have), 'identity');
  assert.equal(pickCoding('*', have), 'br');
  assert.equal(pickCoding('br;q=0, *', have), 'gzip');
  assert.equal(pickCoding('GZIP', have), 'gzip');
  assert.equal(pickCoding('br ;q=0, *', have), 'gzip', 'whitespace before the parameter');
});

test('malformed or hostile paths get named errors and never a file outside the client', () => {
  assert.deepEqual(get('/%').error?.code, 'bad-encoding');
  assert.deepEqual(get('/%E0%A4%A').error?.code, 'bad-encoding');
  for (const p of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/..\\secret.txt', '/%2e%2e%5csecret.txt', '/dist/../secret.txt', `/${APP}%00.html`, '/.', '/index.html/']) {
    const r = get(p);
    assert.equal(r.status, 404, p);
    assert.equal(r.error?.code, 'not-found', p);
    assert.doesNotMatch(String(r.body), /SENTINEL/, p);
  }
  assert.equal(get('/index.html').status, 200);
  assert.equal(get('/leak.txt').error?.code, 'not-found', 'a symlink out of the folder is not in the table');
  assert.equal(serveFile(loadSite(''), { method: 'GET', path: '/', headers: {} }).error?.code, 'not-found');
});

test('requestPath takes origin-form and absolute-form targets and refuses the rest', () => {
  assert.equal(requestPath('/a?b=1#c'), '/a');
  assert.equal(requestPath('http://evil.example/index.html'), '/index.html');
  assert.equal(requestPath('*'), undefined);
  assert.equal(requestPath(''), undefined);
  assert.equal(requestPath('http://'), undefined);
  assert.equal(requestPath('x:aindex.html'), undefined);
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('a handler that throws answers 500 internal and the relay keeps serving', async () => {
  let throwNow = true;
  const server = createRelayServer({
    log: quiet,
    onRequest: clientHandler(site(), () => {
      if (throwNow) throw new Error('boom in /healthz');
      return {};
    }, quiet),
  });
  // A second listener that throws asynchronously, as a library's (Socket.IO's engine's) could.
  server.on('request', (req) => {
    if (req.url === '/async-throw') return Promise.reject(new Error('async boom'));
  });
  guardServer(server, quiet);
  const url = await listen(server);
  try {
    const r = await fetch(`${url}/healthz`);
    assert.equal(r.status, 500);
    assert.deepEqual(await r.json(), { ok: false, code: 'internal', message: 'internal error' });
    throwNow = false;
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/async-throw`)).status, 404);
    assert.equal((await fetch(`${url}/`)).status, 200, 'still serving after both');
  } finally {
    server.close();
  }
});

test('a Socket.IO handler whose store throws answers internal; the connection and the relay live on', async () => {
  const dataDir = tempDir('bw-guard');
  const real = openSqliteStore({ dataDir, queueQuota: 10, senderQuota: 10 });
  let broken = true;
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (broken && (prop === 'setAllowed' || prop === 'purgeExpired')) throw new Error(`disk on fire in ${String(prop)}`);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const server = createRelayServer({ log: quiet, onRequest: clientHandler(site(), () => ({}), quiet) });
  const relay = createRelay({ httpServer: server, config: { ...DEFAULTS, dataDir, staticDir: '', logLevel: 'silent' }, store, log: quiet });
  guardServer(server, quiet);
  const url = await listen(server);
  try {
    const alice = await connectAs(url, 'alice');
    const res = await call(alice.socket, 'mailbox:allow', { tags: [] });
    assert.deepEqual(res, { ok: false, code: 'internal', message: 'internal error' });
    broken = false;
    assert.equal((await call(alice.socket, 'mailbox:allow', { tags: [] })).ok, true, 'the same connection still works');
    const raw = io(url, { transports: ['polling'], reconnection: false, forceNew: true });
    await new Promise((r) => raw.once('auth:challenge', r));
    raw.close();
    alice.socket.close();
  } finally {
    await relay.close();
    server.close();
  }
});
