// The relay as a real child process: durability across kill -9, 10k malformed frames, /healthz and graceful SIGTERM.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { sealPost } from '../../shared/crypto/envelope.js';
import { toB64u } from '../../shared/bytes.js';
import { ERROR_CODES } from '../../shared/errors.js';
import { startRelay, type RelayProcess } from '../e2e/relay-process.js';
import { allow, call, capFor, connectAs, connectRaw, type ClientSocket } from './relay-harness.js';

const running: RelayProcess[] = [];
after(async () => {
  for (const r of running) await r.stop('SIGKILL');
});
const start = async (opts: Parameters<typeof startRelay>[0] = {}) => {
  const r = await startRelay(opts);
  running.push(r);
  return r;
};
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

test('every acknowledged post survives kill -9 and is delivered exactly once', { timeout: 60_000 }, async () => {
  const relay = await start({ args: ['--rate-limit', '100000', '--key-rate-limit', '100000'] });
  const alice = await connectAs(relay.url, 'alice');
  const bob = generateIdentity('bob');
  const bobOnline = await connectAs(relay.url, bob);
  await allow(bobOnline, [alice.id]); // then offline while Alice posts
  bobOnline.socket.close();
  const wrapKey = pairKeys(alice.id, bob).wrap;
  const cap = capFor(alice.id, bob);
  const N = 300;
  const envs = new Map<number, string>();
  // Fire all puts at once (they share group commits) and kill the relay as soon as half are acknowledged.
  const acked: number[] = [];
  const puts = Array.from({ length: N }, (_, i) => {
    const [s] = sealPost(alice.id, { seq: i + 1, ts: i, body: `durable ${i}` }, [{ sigPub: bob.sigPub, wrapKey }]);
    const env = toB64u(s!.envelope);
    return call(alice.socket, 'mailbox:put', { to: peerId(bob.sigPub), env, cap }).then(
      (res) => {
        if (res.ok) {
          envs.set(res.id as number, env);
          acked.push(res.id as number);
          if (acked.length === N / 2) relay.child.kill('SIGKILL');
        }
      },
      () => undefined, // no answer: not acknowledged, so no promise was made
    );
  });
  await Promise.all(puts);
  await relay.stop('SIGKILL');
  alice.socket.close();
  assert.ok(acked.length >= N / 2, `at least half acknowledged before the kill (${acked.length})`);

  const again = await start({ dataDir: relay.dataDir, args: ['--rate-limit', '100000', '--key-rate-limit', '100000'] });
  const { socket, challenge } = await connectRaw(again.url);
  const { proveFor } = await import('./relay-harness.js');
  assert.equal((await call(socket, 'auth:prove', proveFor(bob, bob.sigPub, challenge.nonce))).ok, true);
  const got = new Map<number, string>();
  for (let after = 0; ; ) {
    const page = await call(socket, 'mailbox:fetch', { after, limit: 100 });
    const items = page.items as { id: number; env: string }[];
    if (!items.length) break;
    for (const it of items) {
      assert.ok(!got.has(it.id), `post ${it.id} delivered twice`);
      got.set(it.id, it.env);
    }
    after = items.at(-1)!.id;
  }
  for (const id of acked) assert.equal(got.get(id), envs.get(id), `acknowledged post ${id} must survive the crash intact`);
  // Acknowledge everything fetched: then it is gone, so it is delivered once.
  const ids = [...got.keys()];
  for (let i = 0; i < ids.length; i += 100) await call(socket, 'mailbox:ack', { ids: ids.slice(i, i + 100) });
  assert.deepEqual((await call(socket, 'mailbox:fetch', { after: 0, limit: 100 })).items, []);
  socket.close();
});

/** A bounded, seeded generator of malformed values. */
function* junk(seed: number, count: number): Generator<[string, unknown]> {
  let x = seed >>> 0 || 1;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
  const events = ['auth:prove', 'signal:send', 'presence:watch', 'mailbox:allow', 'mailbox:put', 'mailbox:fetch', 'mailbox:ack', 'nope', '', 'x'.repeat(300)];
  const values = (d: number): unknown => {
    const k = Math.floor(rnd() * 10);
    if (d > 3) return null;
    return [
      null, 42, -1.5, 'str', 'A'.repeat(Math.floor(rnd() * 12_000)) /* ≤ 4 per frame: stays under the 64 KB frame limit */, true,
      [values(d + 1), values(d + 1)],
      { to: values(d + 1), data: values(d + 1), env: values(d + 1), keys: values(d + 1) },
      { after: rnd() * 1e12, limit: -rnd() * 5, ids: ['1', 2.5, null] },
      { key: 'A'.repeat(43), sig: '!!!' },
    ][k];
  };
  for (let i = 0; i < count; i++) yield [events[Math.floor(rnd() * events.length)]!, values(0)];
}

test('10,000 malformed frames: each gets a named error, a well-behaved client is served throughout, memory stays bounded', { timeout: 120_000 }, async () => {
  const relay = await start({ args: ['--rate-limit', '1000000', '--key-rate-limit', '1000000'] });
  const good = await connectAs(relay.url, 'good');
  const fuzzers = await Promise.all([connectAs(relay.url, 'f1'), connectRaw(relay.url)]); // one authenticated, one not
  const sockets: ClientSocket[] = [fuzzers[0].socket, fuzzers[1].socket];
  const rss0 = rssKb(relay.child.pid!);
  const codes = new Map<string, number>();
  let goodCalls = 0;
  let i = 0;
  const BATCH = 250;
  const frames = [...junk(0xb1a1, 10_000)];
  for (; i < frames.length; i += BATCH) {
    await Promise.all(frames.slice(i, i + BATCH).map(([event, value], j) => {
      const s = sockets[j % 2]!;
      return (s.timeout(10_000).emitWithAck as (e: string, v: unknown) => Promise<{ ok: boolean; code?: string }>)(event, value).then((r) => {
        const code = r.ok ? 'ok' : r.code!;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      });
    }));
    const res = await call(good.socket, 'mailbox:fetch', { after: 0, limit: 1 });
    assert.equal(res.ok, true, `well-behaved client refused after ${i} frames`);
    goodCalls++;
  }
  // Unknown events are answered on relay:error, the rest through their acks: every answer has a named code.
  const answered = [...codes.values()].reduce((a, b) => a + b, 0);
  assert.ok(answered >= 9_000, `most frames answered through acks (${answered}); unknown events get relay:error`);
  for (const code of codes.keys()) assert.ok(code === 'ok' || (ERROR_CODES as readonly string[]).includes(code), `unnamed code ${code}`);
  assert.ok(!codes.has('internal'), `no frame may cause an internal error: ${JSON.stringify([...codes])}`);
  assert.equal(goodCalls, 10_000 / BATCH);

  // Oversized frames close the offending connection only.
  const big = await connectAs(relay.url, 'big');
  const closed = new Promise((r) => big.socket.once('disconnect', r));
  (big.socket.emit as (e: string, v: unknown) => void)('signal:send', { to: 'x', data: { kind: 'sdp', pad: 'x'.repeat(200_000) } });
  await closed;
  assert.equal((await call(good.socket, 'mailbox:fetch', { after: 0, limit: 1 })).ok, true);

  const growthMb = (rssKb(relay.child.pid!) - rss0) / 1024;
  assert.ok(growthMb < 64, `relay memory grew ${growthMb.toFixed(1)} MB over the fuzz run`);
  for (const s of [good.socket, ...sockets]) s.close();
});

test('/healthz answers, and SIGTERM closes clients and exits cleanly', { timeout: 30_000 }, async () => {
  const relay = await start();
  const health = await (await fetch(`${relay.url}/healthz`)).json();
  assert.equal(health.ok, true);
  const c = await connectAs(relay.url, 'c');
  assert.equal((await (await fetch(`${relay.url}/healthz`)).json()).online, 1);
  const gone = new Promise((r) => c.socket.once('disconnect', r));
  relay.child.kill('SIGTERM');
  const [code] = (await Promise.all([new Promise((r) => relay.child.once("exit", (code) => r(code))), gone])) as unknown as [number];
  assert.equal(code, 0);
});
