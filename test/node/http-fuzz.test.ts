// The relay's HTTP side under hostile input, as a real process: bad encodings, traversal, odd methods, oversized requests, polling garbage, half-open connections. It stays up and serves nothing outside the built client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { startRelay, type RelayProcess } from '../e2e/relay-process.js';
import { connectAs } from './relay-harness.js';
import { tempDir } from '../temp.js';

const SENTINEL = 'SENTINEL-outside-the-client-7f3a';
let relay: RelayProcess;
let port: number;

before(async () => {
  // The client is a copy of dist/ inside a folder that also holds a secret: no request may ever reach it.
  const root = tempDir('bw-fuzz-site');
  cpSync('dist', join(root, 'site'), { recursive: true });
  writeFileSync(join(root, 'secret.txt'), SENTINEL);
  writeFileSync(join(root, 'site.txt'), SENTINEL); // a sibling whose name starts like the client folder's
  relay = await startRelay({ args: ['--static-dir', join(root, 'site')] });
  port = Number(new URL(relay.url).port);
});
after(() => relay?.stop('SIGKILL'));

/** Sends raw bytes and collects whatever comes back until the server closes or `ms` pass. */
function raw(bytes: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect(port, '127.0.0.1', () => s.write(bytes));
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, ms);
    s.on('data', (d) => {
      chunks.push(d);
      // One response is enough: stop at the end of its body when it says how long that is.
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(text.slice(0, head));
      if (head >= 0 && len && text.length >= head + 4 + Number(len[1])) done();
    });
    s.on('error', done);
    s.on('close', done);
  });
}
const request = (method: string, target: string, extra = '') => raw(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`);
const status = (res: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(res)?.[1] ?? 0);

async function assertAlive(why: string) {
  assert.equal(relay.child.exitCode, null, `relay exited after ${why}`);
  const r = await fetch(`${relay.url}/healthz`);
  assert.equal(r.status, 200, `healthz after ${why}`);
}

test('GET /% and other malformed encodings: 400 bad-encoding, relay alive', async () => {
  for (const t of ['/%', '/%%', '/%zz', '/%E0%A4%A', '/%C0%AE%C0%AE/secret.txt', '/%ff%fe']) {
    const res = await request('GET', t);
    assert.equal(status(res), 400, t);
    assert.match(res, /"code":"bad-encoding"/, t);
  }
  await assertAlive('malformed encodings');
});

test('traversal attempts never reach a file outside the client', async () => {
  const targets = [
    '/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/..\\secret.txt',
    '/....//secret.txt', '/%252e%252e/secret.txt', '/./../site.txt', '/%2e%2e/site.txt', '//secret.txt', '/index.html/../../secret.txt',
    '/%00', '/index.html%00', 'http://127.0.0.1/../secret.txt', '/etc/passwd', '/../../../../../../etc/passwd', '/.%2e/.%2e/etc/passwd',
  ];
  for (const t of targets) {
    const res = await request('GET', t);
    assert.doesNotMatch(res, new RegExp(SENTINEL), t);
    assert.doesNotMatch(res, /root:x:0:0/, t);
    assert.ok([200, 400, 404].includes(status(res)), `${t}: ${res.slice(0, 60)}`);
  }
  // A seeded, bounded random walk over the characters that matter for paths.
  const alphabet = ['/', '.', '..', '%2e', '%2f', '%5c', '\\', '%', '%00', 'secret.txt', 'site', 'index.html', '%25', '?', '#', ';', 'a'];
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 300; i++) {
    let t = '/';
    for (let j = rnd(8) + 1; j > 0; j--) t += alphabet[rnd(alphabet.length)];
    const res = await request('GET', t.replace(/[#\s]/g, ''));
    assert.doesNotMatch(res, new RegExp(SENTINEL), t);
    assert.notEqual(status(res), 500, `${t}: ${res.slice(0, 80)}`);
  }
  await assertAlive('traversal');
});

test('odd methods and request targets get named errors', async () => {
  for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND', 'TRACE', 'CONNECT', 'BREW']) {
    const res = await request(m, m === 'CONNECT' ? '127.0.0.1:80' : '/index.html', 'Content-Length: 0\r\n');
    assert.ok([400, 405].includes(status(res)), `${m}: ${res.slice(0, 80)}`);
  }
  assert.match(await request('DELETE', '/'), /"code":"bad-method"/);
  assert.equal(status(await request('OPTIONS', '/bw-feed.js')), 204);
  assert.equal(status(await request('GET', '*')), 400);
  assert.equal(status(await raw('G\u0000T / HTTP/1.1\r\n\r\n')), 400);
  assert.equal(status(await raw('\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003garbage-tls-hello\r\n\r\n')), 400);
  assert.equal(status(await raw(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) & 0xff)))), 400);
  await assertAlive('odd methods');
});

test('oversized URLs and headers: 431, relay alive', async () => {
  assert.equal(status(await request('GET', `/${'a'.repeat(20_000)}`)), 431);
  assert.equal(status(await request('GET', '/', `X-Big: ${'b'.repeat(20_000)}\r\n`)), 431);
  assert.equal(status(await request('GET', '/', Array.from({ length: 3000 }, (_, i) => `X-${i}: y\r\n`).join(''))), 431);
  await assertAlive('oversized requests');
});

test('garbage on the Socket.IO polling transport and a bad WebSocket upgrade', async () => {
  const open = await request('GET', '/socket.io/?EIO=4&transport=polling');
  assert.equal(status(open), 200);
  const sid = /"sid":"([^"]+)"/.exec(open)![1]!;
  for (const body of ['zzz', '4{"x":', '\u0000\u0001\u0002', '42["auth:prove",' + '['.repeat(5000), '1'.repeat(5000)]) {
    const res = await request('POST', `/socket.io/?EIO=4&transport=polling&sid=${sid}`, `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`.slice(0, -2));
    assert.ok(status(res) >= 200 && status(res) < 500, `${JSON.stringify(body.slice(0, 10))}: ${res.slice(0, 80)}`);
  }
  assert.equal(status(await request('POST', '/socket.io/?EIO=4&transport=polling&sid=nope', 'Content-Length: 3\r\n\r\nabc'.slice(0, -2))), 400);
  assert.equal(status(await request('GET', '/socket.io/?EIO=99&transport=polling')), 400);
  assert.equal(status(await request('GET', '/socket.io/?EIO=4&transport=carrier-pigeon')), 400);
  const upgrade = await request('GET', '/socket.io/?EIO=4&transport=websocket', 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: not-base64\r\nSec-WebSocket-Version: 99\r\n');
  assert.ok(status(upgrade) === 400 || upgrade === '', `bad upgrade: ${upgrade.slice(0, 80)}`);
  await assertAlive('polling garbage');
  // Socket.IO still works for an honest client.
  const alice = await connectAs(relay.url, 'alice');
  alice.socket.close();
});

test('many half-open connections do not stop the relay from serving others', async () => {
  const half: Socket[] = [];
  try {
    for (let i = 0; i < 300; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write(i % 2 ? 'GET / HTTP/1.1\r\nHost: x\r\n' : 'POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: 100000\r\n\r\nabc');
      half.push(s);
    }
    await assertAlive('300 half-open connections');
    const bob = await connectAs(relay.url, 'bob');
    bob.socket.close();
  } finally {
    for (const s of half) s.destroy();
  }
  await assertAlive('closing them');
});
