// Relay configuration parsing and TURN credentials (checked against the coturn REST scheme with an independent vector).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, helpText, parseConfig } from '../../signaling/config.js';
import { iceServersFor, turnCredential } from '../../signaling/turn.js';
import { BwError } from '../../shared/errors.js';
import { MAX_BLOB_BYTES } from '../../shared/crypto/blob.js';

test('defaults, env and flags: flags win over env', () => {
  assert.deepEqual(parseConfig([], {}), DEFAULTS);
  const c = parseConfig(['--port', '9000', '--host=0.0.0.0'], { BW_PORT: '8000', BW_DATA_DIR: '/tmp/x' });
  assert.ok(c !== 'help');
  assert.equal(c.port, 9000);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.dataDir, '/tmp/x');
  assert.equal(parseConfig(['--help'], {}), 'help');
  assert.match(helpText(), /--turn-secret/);
});

test('--sender-quota / BW_SENDER_QUOTA: a whole number, default 1000, listed in --help', () => {
  assert.equal(DEFAULTS.senderQuota, 1000);
  const fromEnv = parseConfig([], { BW_SENDER_QUOTA: '50' });
  assert.ok(fromEnv !== 'help');
  assert.equal(fromEnv.senderQuota, 50);
  assert.equal(fromEnv.queueQuota, DEFAULTS.queueQuota, 'the recipient quota is a separate setting');
  const fromFlag = parseConfig(['--sender-quota', '7'], { BW_SENDER_QUOTA: '50' });
  assert.ok(fromFlag !== 'help');
  assert.equal(fromFlag.senderQuota, 7);
  const inline = parseConfig(['--sender-quota=0'], {});
  assert.ok(inline !== 'help');
  assert.equal(inline.senderQuota, 0);
  assert.match(helpText(), /--sender-quota <value> +stored posts from one sender to one recipient \[env BW_SENDER_QUOTA, default 1000\]/);
  for (const bad of ['x', '1.5', '-1', '', ' ', '1e3', '0x10']) {
    assert.throws(() => parseConfig(['--sender-quota', bad], {}), (e) => e instanceof BwError && e.code === 'bad-frame' && /--sender-quota/.test(e.message), `flag "${bad}"`);
  }
  assert.throws(() => parseConfig([], { BW_SENDER_QUOTA: 'lots' }), (e) => e instanceof BwError && e.code === 'bad-frame');
});

test('--redis-url and --database-url (BW_REDIS_URL, BW_DATABASE_URL): empty by default, one process on SQLite; flags win over env', () => {
  const d = parseConfig([], {});
  assert.ok(d !== 'help');
  assert.deepEqual([d.redisUrl, d.databaseUrl], ['', '']);
  const c = parseConfig(['--redis-url', 'redis://127.0.0.1:7000'], { BW_REDIS_URL: 'redis://127.0.0.1:6379', BW_DATABASE_URL: 'postgres://bw@127.0.0.1:5432/bw' });
  assert.ok(c !== 'help');
  assert.deepEqual([c.redisUrl, c.databaseUrl], ['redis://127.0.0.1:7000', 'postgres://bw@127.0.0.1:5432/bw']);
  assert.match(helpText(), /--redis-url <value>.*BW_REDIS_URL/);
  assert.match(helpText(), /--database-url <value>.*BW_DATABASE_URL/);
});

test('bad flags are named errors', () => {
  const code = (f: () => unknown) => assert.throws(f, (e) => e instanceof BwError && e.code === 'bad-frame');
  code(() => parseConfig(['--port', 'x'], {}));
  code(() => parseConfig(['--nope', '1'], {}));
  code(() => parseConfig(['--port'], {}));
  code(() => parseConfig(['--ice-servers', '{"urls":1}'], {}));
  code(() => parseConfig(['--turn-urls', 'turn:127.0.0.1'], {}));
});

test('TURN credentials follow coturn use-auth-secret: user "expiry:id", password base64 HMAC-SHA1', () => {
  // Independent vector: echo -n "1700003600:alice" | openssl dgst -sha1 -hmac north -binary | base64
  assert.deepEqual(turnCredential('north', 'alice', 1_700_000_000_000, 3600), { username: '1700003600:alice', credential: 'wjwSXO2ch1B6VaLTLMy2Avn5O9o=' });
  const c = parseConfig(['--ice-servers', '[{"urls":"stun:127.0.0.1:3478"}]', '--turn-urls', 'turn:127.0.0.1:3478', '--turn-secret', 'north'], {});
  assert.ok(c !== 'help');
  const ice = iceServersFor(c, 'alice', 1_700_000_000_000);
  assert.deepEqual(ice[0], { urls: 'stun:127.0.0.1:3478' });
  assert.equal(ice[1]!.username, '1700003600:alice');
  assert.ok(!JSON.stringify(ice).includes('north'), 'the shared secret never reaches a client');
});

test('image blob limits: flags and env, defaults from shared/crypto/blob.ts, listed in --help', () => {
  assert.equal(DEFAULTS.blobMaxBytes, MAX_BLOB_BYTES);
  const c = parseConfig(['--blob-max-bytes', '1000', '--blob-sender-quota=5000'], { BW_BLOB_PENDING_BYTES: '2000', BW_BLOB_PENDING_TOTAL_BYTES: '9000' });
  assert.ok(c !== 'help');
  assert.deepEqual([c.blobMaxBytes, c.blobSenderQuota, c.blobPendingBytes, c.blobPendingTotalBytes], [1000, 5000, 2000, 9000]);
  for (const flag of ['--blob-max-bytes', '--blob-sender-quota', '--blob-pending-bytes', '--blob-pending-total-bytes']) assert.match(helpText(), new RegExp(flag));
  assert.throws(() => parseConfig(['--blob-max-bytes', 'lots'], {}), (e) => e instanceof BwError && e.code === 'bad-frame');
});
