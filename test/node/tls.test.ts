// The relay over TLS (--tls-cert / --tls-key) with a certificate this test makes itself: HTTPS page, WSS login, and clear refusals of a bad setup.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { io } from 'socket.io-client';
import { generateIdentity } from '../../shared/crypto/identity.js';
import { selfSignedCert, startRelay, type RelayProcess } from '../e2e/relay-process.js';
import { call, proveFor, type ClientSocket } from './relay-harness.js';

// Made by openssl (in Debian's base; .ci/run installs it if not).
const { cert, key } = selfSignedCert();
const dir = dirname(cert);
let relay: RelayProcess;

before(async () => {
  relay = await startRelay({ args: ['--tls-cert', cert, '--tls-key', key] });
});
after(() => relay?.stop());

const ca = () => readFileSync(cert);

function get(path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${relay.url}${path}`, { ca: ca(), headers: { 'accept-encoding': 'identity' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

test('the relay serves the page and /healthz over HTTPS, verified against its certificate', async () => {
  assert.match(relay.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<bw-feed>/);
  assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal((await get('/healthz')).status, 200);
  // Plain HTTP to the TLS port gets nothing useful back.
  const plain = await fetch(relay.url.replace('https:', 'http:') + '/healthz').then((r) => r.status, () => 'refused');
  assert.equal(plain, 'refused');
});

test('a client logs in over WSS', async () => {
  const socket: ClientSocket = io(relay.url, { transports: ['websocket'], reconnection: false, forceNew: true, ca: ca().toString() });
  try {
    const challenge = await new Promise<{ nonce: string }>((resolve, reject) => {
      socket.once('auth:challenge', resolve);
      socket.once('connect_error', reject);
    });
    const alice = generateIdentity('alice');
    assert.equal((await call(socket, 'auth:prove', proveFor(alice, alice.sigPub, challenge.nonce))).ok, true);
  } finally {
    socket.close();
  }
});

test('half a TLS setup or an unreadable file is refused at start with a clear message', () => {
  const main = join(import.meta.dirname, '../../signaling/main.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [main, '--port', '0', '--data-dir', ':memory:', ...args], { encoding: 'utf8', timeout: 10_000 });
  const half = run('--tls-cert', cert);
  assert.equal(half.status, 2);
  assert.match(half.stderr, /--tls-cert and --tls-key go together/);
  const missing = run('--tls-cert', join(dir, 'nope.pem'), '--tls-key', key);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--tls-cert .*nope\.pem: ENOENT/);
});

test('a relay that cannot start exits with an error status, not 0 (a supervisor must see it)', () => {
  const main = join(import.meta.dirname, '../../signaling/main.js');
  const r = spawnSync(process.execPath, [main, '--port', '0', '--data-dir', '/dev/null/not-a-dir', '--metrics-port', 'off'], { encoding: 'utf8', timeout: 10_000 });
  assert.notEqual(r.status, 0, `exit ${r.status}: ${r.stderr}${r.stdout}`);
  assert.notEqual(r.status, null, 'it exits by itself');
});
