// Relay limits that keep one client from costing everyone else: deep or oversized signals, targets that stop reading,
// per-key cost limits across connections, disconnection of persistent floods, and what the mailbox leaves on disk.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateIdentity } from '../../shared/crypto/identity.js';
import { mailboxAllowTag, pairKeys } from '../../shared/crypto/pairwise.js';
import { sealPost } from '../../shared/crypto/envelope.js';
import { toB64u } from '../../shared/bytes.js';
import { LIMITS } from '../../shared/protocol.js';
import { allow, call, capFor, connectAs, nextEvent, startHarness, type ClientSocket, type Harness } from './relay-harness.js';

/**
 * Sends a hand-written Socket.IO EVENT packet (`2<id>[…]`) and resolves with its ack: for frames the client library
 * cannot encode itself (its own recursive hasBinary overflows on them, as the relay's did).
 */
function rawCall(s: ClientSocket, json: string): Promise<Record<string, unknown>> {
  const id = 1_000_000 + Math.floor(Math.random() * 1_000_000);
  return new Promise((resolve) => {
    (s as unknown as { acks: Record<number, (r: Record<string, unknown>) => void> }).acks[id] = resolve;
    (s.io as unknown as { engine: { write(d: string): void } }).engine.write(`2${id}${json}`);
  });
}

/** A pair of friends who watch each other, so signals between them are forwarded. */
async function friends(h: Harness): Promise<[Awaited<ReturnType<typeof connectAs>>, Awaited<ReturnType<typeof connectAs>>]> {
  const a = await connectAs(h.url, 'a');
  const b = await connectAs(h.url, 'b');
  await call(a.socket, 'presence:watch', { keys: [b.key] });
  await call(b.socket, 'presence:watch', { keys: [a.key] });
  return [a, b];
}

const UNLIMITED = { rateLimit: 1_000_000, keyRateLimit: 1_000_000 };

describe('signal payloads', () => {
  let h: Harness;
  before(async () => (h = await startHarness(UNLIMITED)));
  after(() => h.close());

  test('data nested 30,000 levels deep is a bad frame, not an internal error, and the connection stays up', async () => {
    const [a, b] = await friends(h);
    const depth = 30_000;
    const frame = `["signal:send",{"to":"${b.key}","data":{"kind":"sdp","signal":${'['.repeat(depth)}${']'.repeat(depth)}}}]`;
    assert.ok(frame.length < LIMITS.maxFrameBytes, 'the frame itself is under the frame limit');
    const res = await rawCall(a.socket, frame);
    assert.equal(res.code, 'bad-frame', JSON.stringify(res));
    assert.match(String(res.message), /signal:send: data: must nest at most/);
    assert.equal((await call(a.socket, 'signal:send', { to: b.key, data: { kind: 'sdp', signal: { type: 'offer', sdp: 'x' } } })).ok, true);
    a.socket.close();
    b.socket.close();
  });

  test('data over maxSignalChars as JSON is a bad frame; a large real-sized SDP passes', async () => {
    const [a, b] = await friends(h);
    const big = { kind: 'sdp', signal: { type: 'offer', sdp: 'a'.repeat(LIMITS.maxSignalChars) } };
    const res = await call(a.socket, 'signal:send', { to: b.key, data: big });
    assert.equal(res.code, 'bad-frame');
    assert.match(String(res.message), /signal:send: data: must be at most 16384 chars as JSON/);
    const candidate = { kind: 'sdp', signal: { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host', sdpMLineIndex: 0, sdpMid: '0' } } };
    assert.equal((await call(a.socket, 'signal:send', { to: b.key, data: candidate })).ok, true, 'an ICE candidate (the deepest simple-peer signal) passes');
    const offer = { kind: 'sdp', signal: { type: 'offer', sdp: 'a=candidate:x\r\n'.repeat(600) } }; // ~9 KB, many candidates
    assert.equal((await call(a.socket, 'signal:send', { to: b.key, data: offer })).ok, true);
    a.socket.close();
    b.socket.close();
  });
});

describe('a target that stops reading', () => {
  let h: Harness;
  before(async () => (h = await startHarness({ ...UNLIMITED, maxPendingBytes: 64 * 1024 })));
  after(() => h.close());

  test("signals to it are refused as busy once the relay holds maxPendingBytes for it, and it reads them all when it resumes", async () => {
    const [a, b] = await friends(h);
    let received = 0;
    b.socket.on('signal:recv', () => received++);
    // b's client stops reading its TCP socket: the kernel buffers fill, then the relay's.
    const tcp = (b.socket.io as unknown as { engine: { transport: { ws: { _socket: { pause(): void; resume(): void } } } } }).engine.transport.ws._socket;
    tcp.pause();
    const data = { kind: 'sdp', signal: { type: 'offer', sdp: 'x'.repeat(LIMITS.maxSignalChars - 100) } };
    let sent = 0;
    let busy: Record<string, unknown> | undefined;
    // 4,000 × 16 KB = 64 MB: far beyond loopback's socket buffers, so a relay without a bound never says busy.
    while (!busy && sent < 4000) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => call(a.socket, 'signal:send', { to: b.key, data })));
      sent += batch.filter((r) => r.ok).length;
      busy = batch.find((r) => !r.ok);
    }
    assert.ok(busy, `no refusal after ${sent} signals to a target that does not read`);
    assert.equal(busy.code, 'busy', JSON.stringify(busy));
    // Nothing acknowledged was dropped: once b reads again, every accepted signal arrives.
    const all = new Promise<void>((resolve) => {
      const check = () => received >= sent && (b.socket.off('signal:recv', check), resolve());
      b.socket.on('signal:recv', check);
      check();
    });
    tcp.resume();
    await all;
    assert.equal(received, sent);
    assert.equal((await call(a.socket, 'signal:send', { to: b.key, data })).ok, true, 'a target that reads again is reachable again');
    a.socket.close();
    b.socket.close();
  });
});

describe('per-key limits', () => {
  let h: Harness;
  before(async () => (h = await startHarness({ rateLimit: 200, keyRateLimit: 200 })));
  after(() => h.close());

  const tagsFor = (n: number, salt: number) => Array.from({ length: n }, (_, i) => mailboxAllowTag(new Uint8Array(16).fill((i + salt) % 256), new Uint8Array(32).fill(salt % 256)));

  test('one key on 4 connections shares one budget, and an allow list costs more than a frame', async () => {
    const id = generateIdentity('k');
    const conns = await Promise.all([1, 2, 3, 4].map(() => connectAs(h.url, id)));
    const calm = await connectAs(h.url, 'calm');
    // Each connection stays under its own frame limit (20 frames against a burst of 400)…
    const results = await Promise.all(conns.flatMap((c, k) => Array.from({ length: 20 }, (_, i) => call(c.socket, 'mailbox:allow', { tags: tagsFor(3, k * 20 + i) }))));
    const limited = results.filter((r) => r.code === 'rate-limited');
    // …but together they spend the key's: a burst of 400 units buys 8 allow lists of 50, whatever the connection.
    assert.ok(results.length - limited.length <= 10, `expected at most ~8 of 80 allow lists to pass, ${results.length - limited.length} did`);
    assert.match(String(limited[0]?.message), /this key's share/);
    assert.equal((await call(calm.socket, 'mailbox:allow', { tags: tagsFor(3, 99) })).ok, true, 'another key is not affected');
    for (const c of [...conns, calm]) c.socket.close();
  });

  // The timeout only turns "never disconnected" (a relay without the rule) into a failure instead of a hang.
  test('a connection that keeps flooding after being refused is told why and disconnected; others stay', { timeout: 30_000 }, async () => {
    const flooder = await connectAs(h.url, 'f');
    const calm = await connectAs(h.url, 'c');
    const told = nextEvent(flooder.socket, 'relay:error');
    const gone = new Promise<string>((resolve) => flooder.socket.once('disconnect', resolve));
    // Without waiting for acks, as a flood does; the relay stops answering once it disconnects.
    for (let i = 0; i < 3000 && flooder.socket.connected; i++) flooder.socket.emit('mailbox:fetch', { after: 0, limit: 1 }, () => {});
    const err = await told;
    assert.equal(err.code, 'rate-limited');
    assert.match(err.message, /disconnected/);
    assert.equal(await gone, 'io server disconnect');
    assert.equal((await call(calm.socket, 'mailbox:fetch', { after: 0, limit: 1 })).ok, true);
    calm.socket.close();
  });
});

describe('what the mailbox keeps on disk', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(() => h.close());

  test('stored expiry times are whole hours, not the put time to the millisecond', async () => {
    const a = await connectAs(h.url, 'a');
    const b = await connectAs(h.url, 'b');
    await allow(b, [a.id]);
    const [s] = sealPost(a.id, { seq: 1, ts: 1, body: 'hi' }, [{ sigPub: b.id.sigPub, wrapKey: pairKeys(a.id, b.id).wrap }]);
    const put = await call(a.socket, 'mailbox:put', { to: b.key, env: toB64u(s!.envelope), cap: capFor(a.id, b.id) });
    assert.equal(put.ok, true);
    const db = new Database(join(h.dataDir, 'mailbox.db'), { readonly: true });
    const { expires } = db.prepare('SELECT expires FROM mailbox WHERE id = ?').get(put.id) as { expires: number };
    db.close();
    assert.equal(expires % 3_600_000, 0, `expires ${expires} is not a whole hour`);
    assert.ok(expires >= Date.now() + 30 * 24 * 3600 * 1000 - 1000, 'and never earlier than the TTL');
    a.socket.close();
    b.socket.close();
  });

  test('an acknowledged post leaves no readable ciphertext in the database files', async () => {
    const a = await connectAs(h.url, 'a');
    const b = await connectAs(h.url, 'b');
    await allow(b, [a.id]);
    const [s] = sealPost(a.id, { seq: 7, ts: 1, body: 'secret' }, [{ sigPub: b.id.sigPub, wrapKey: pairKeys(a.id, b.id).wrap }]);
    const env = toB64u(s!.envelope);
    const put = await call(a.socket, 'mailbox:put', { to: b.key, env, cap: capFor(a.id, b.id) });
    assert.equal(put.ok, true);
    assert.equal((await call(b.socket, 'mailbox:ack', { ids: [put.id] })).deleted, 1);
    await h.store.purgeExpired(Date.now()); // what the relay runs every minute: expiry purge and a WAL checkpoint
    const needle = env.slice(100, 164); // 64 chars of the ciphertext as stored
    for (const f of ['mailbox.db', 'mailbox.db-wal']) {
      let bytes = '';
      try {
        bytes = readFileSync(join(h.dataDir, f), 'latin1');
      } catch {
        continue; // no WAL file at all: nothing in it
      }
      assert.ok(!bytes.includes(needle), `${f} still holds the deleted post's ciphertext`);
    }
    a.socket.close();
    b.socket.close();
  });
});
