// Two relay processes as one network (issue 13): real redis-server and PostgreSQL, started by this file on loopback.
// Presence, consent, signals, mailbox notices and image blobs across nodes; kill -9 of a node under load behind a plain TCP balancer;
// a Redis restart mid-run. Fails with how to install the servers when they are missing (test/db-servers.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { Redis } from 'ioredis';
import { generateIdentity, type Identity } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { sealPost } from '../../shared/crypto/envelope.js';
import { inviteTag } from '../../shared/crypto/invite.js';
import { toB64u } from '../../shared/bytes.js';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '../db-servers.js';
import { startRelay, type RelayProcess } from '../e2e/relay-process.js';
import { startBalancer, type Balancer } from '../tcp-balancer.js';
import { allow, call, capFor, connectAs, download, nextEvent, proveFor, upload, type ClientSocket } from './relay-harness.js';
import { blobId } from '../../shared/crypto/blob.js';
import { LIMITS } from '../../shared/protocol.js';
import { Xorshift } from '../cases/util.js';

let redis: RedisServer;
let postgres: PostgresServer;
let databaseUrl: string;
const relays: RelayProcess[] = [];
const sockets: ClientSocket[] = [];
let balancer: Balancer | undefined;

async function node(): Promise<RelayProcess> {
  const r = await startRelay({ args: ['--redis-url', redis.url, '--database-url', databaseUrl, '--static-dir', '', '--log-level', 'info', '--rate-limit', '100000', '--key-rate-limit', '100000'] });
  relays.push(r);
  return r;
}

before(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  databaseUrl = await postgres.createDatabase('cluster');
});
after(async () => {
  for (const s of sockets) s.close();
  await balancer?.close();
  for (const r of relays) await r.stop();
  await redis?.stop();
  await postgres?.stop();
});

function envelope(from: Identity, to: Identity, seq: number): string {
  const [s] = sealPost(from, { seq, ts: 1, body: `post ${seq}` }, [{ sigPub: to.sigPub, wrapKey: pairKeys(from, to).wrap }]);
  return toB64u(s!.envelope);
}

async function user(url: string, name: string | Identity) {
  const u = await connectAs(url, name);
  sockets.push(u.socket);
  return u;
}

/** Replaces `socket`'s watch list and resolves once `key` shows online: in the answer, or in a note that may come before it. */
async function watchUntilOnline(socket: ClientSocket, list: object, key: string): Promise<void> {
  let onNote = (_c: { key: string; online: boolean }) => {};
  const noted = new Promise<void>((resolve) => (onNote = (c) => c.key === key && c.online && resolve()));
  socket.on('presence:change', onNote);
  try {
    const res = await call(socket, 'presence:watch', list);
    assert.equal(res.ok, true);
    if (!(res.online as string[]).includes(key)) await noted;
  } finally {
    socket.off('presence:change', onNote);
  }
}

/**
 * Sends a signal until one is delivered, as a client retries a negotiation: the other node may not have heard of the
 * target yet ('offline'), Redis may be away ('unavailable'), or a message may be lost in a Redis restart (no delivery).
 */
async function signalUntilDelivered(from: ClientSocket, to: string, inbox: ClientSocket, data: object): Promise<void> {
  let delivered = false;
  const got = new Promise<void>((r) => inbox.once('signal:recv', () => r()));
  void got.then(() => (delivered = true));
  while (!delivered) {
    const res = await call(from, 'signal:send', { to, data });
    if (!res.ok) assert.ok(res.code === 'offline' || res.code === 'unavailable', `signal refused: ${res.code} ${String(res.message)}`);
    await Promise.race([got, new Promise((r) => setTimeout(r, res.ok ? 500 : 100))]); // a retry's pace, not an assertion
  }
}

test('friends on two nodes see each other come and go, signal, and leave mailbox posts; a stranger sees nothing', { timeout: 60_000 }, async () => {
  const [n1, n2] = await Promise.all([node(), node()]);
  // WebSocket only: a long-polling session would need every request to reach the same process (sticky sessions).
  const polling = await fetch(`${n1.url}/socket.io/?EIO=4&transport=polling`);
  assert.equal(polling.status, 400, 'a clustered relay refuses the long-polling transport');
  await polling.body?.cancel();
  const alice = await user(n1.url, 'alice');
  const bob = await user(n2.url, 'bob');
  // Alice watches Bob first: Bob is not online to her until he watches her back (consent), then she is told.
  assert.deepEqual((await call(alice.socket, 'presence:watch', { keys: [bob.key] })).online, []);
  const seen = nextEvent(alice.socket, 'presence:change');
  // Bob's own answer may predate node 2 hearing of alice's list; either way he learns it, by the answer or a note.
  await watchUntilOnline(bob.socket, { keys: [alice.key] }, alice.key);
  assert.deepEqual(await seen, { key: bob.key, online: true }, 'alice (node 1) is told bob (node 2) came online');

  await signalUntilDelivered(alice.socket, bob.key, bob.socket, { kind: 'offer', sdp: 'v=0' });
  const back = nextEvent(alice.socket, 'signal:recv');
  assert.equal((await call(bob.socket, 'signal:send', { to: alice.key, data: { kind: 'answer', sdp: 'v=0' } })).ok, true);
  assert.deepEqual(await back, { from: bob.key, data: { kind: 'answer', sdp: 'v=0' } }, 'the relay stamps the sender across nodes too');

  // A stranger on node 2 watching alice learns nothing, and its signals are answered as if alice were offline.
  const mallory = await user(n2.url, 'mallory');
  assert.deepEqual((await call(mallory.socket, 'presence:watch', { keys: [alice.key] })).online, []);
  const refused = await call(mallory.socket, 'signal:send', { to: alice.key, data: { kind: 'offer', sdp: 'x' } });
  assert.equal(refused.code, 'offline');

  // An invite tag alice accepts (node 1) shows her to carol presenting it (node 2), and to no one else.
  const tag = inviteTag(new Uint8Array(16).fill(7));
  await call(alice.socket, 'presence:watch', { keys: [bob.key], accept: [tag] });
  const carol = await user(n2.url, 'carol');
  await watchUntilOnline(carol.socket, { keys: [alice.key], present: [tag] }, alice.key);

  // Mailbox: bob allows alice; her post through node 1 is announced to bob on node 2, and he fetches it there.
  await allow(bob, [alice.id]);
  const ready = nextEvent(bob.socket, 'mailbox:ready');
  const env = envelope(alice.id, bob.id, 1);
  const put = await call(alice.socket, 'mailbox:put', { to: bob.key, env, cap: capFor(alice.id, bob.id) });
  assert.equal(put.ok, true, `put: ${String(put.message)}`);
  assert.deepEqual(await ready, { count: 1 });
  const items = (await call(bob.socket, 'mailbox:fetch', { after: 0, limit: 10 })).items as { env: string }[];
  assert.deepEqual(items.map((i) => i.env), [env]);

  // Bob leaves: alice (other node) is told.
  const gone = nextEvent(alice.socket, 'presence:change');
  bob.socket.close();
  assert.deepEqual(await gone, { key: bob.key, online: false });
});

test("bad deliveries on a node's own Redis channel are refused with a warning, and signals go on", { timeout: 60_000 }, async () => {
  const [n1, n2] = relays.length >= 2 ? [relays[0]!, relays[1]!] : await Promise.all([node(), node()]);
  const alice = await user(n1.url, 'alice-bad');
  const bob = await user(n2.url, 'bob-bad');
  await call(alice.socket, 'presence:watch', { keys: [bob.key] });
  await call(bob.socket, 'presence:watch', { keys: [alice.key] });
  await signalUntilDelivered(alice.socket, bob.key, bob.socket, { kind: 'before' });
  // Redis is shared infrastructure, not the relay: anyone who reaches it can publish on a node's channel.
  const r = new Redis(redis.url);
  try {
    const channels = (await r.pubsub('CHANNELS', 'bw-node#*')) as string[];
    assert.ok(channels.length >= 2, `each node listens on its own channel: ${channels.join(', ')}`);
    const warned = [n1, n2].map((n) => n.waitFor(/"msg":"bad message from another relay node","err":"delivery: payload\.from: /));
    const bad = { node: 'x', to: bob.key, event: 'signal:recv', payload: { from: 'not-a-key', data: { kind: 'offer' } } };
    for (const c of channels) {
      await r.publish(c, 'not json');
      await r.publish(c, JSON.stringify({ ...bad, payload: { ...bad.payload, data: { kind: 'x', pad: 'y'.repeat(LIMITS.maxSignalChars) } } }));
      await r.publish(c, JSON.stringify(bad));
    }
    await Promise.all(warned); // the last of the three, so the first two were refused without stopping the node
  } finally {
    r.disconnect();
  }
  await signalUntilDelivered(alice.socket, bob.key, bob.socket, { kind: 'after' });
  await signalUntilDelivered(bob.socket, alice.key, alice.socket, { kind: 'after' });
});

test('an image put through node 1 is fetched by its recipient on node 2, not by a stranger there, and acked away from either', { timeout: 60_000 }, async () => {
  const [n1, n2] = relays.length >= 2 ? [relays[0]!, relays[1]!] : await Promise.all([node(), node()]);
  const alice = await user(n1.url, 'alice-img');
  const bob = await user(n2.url, 'bob-img');
  const carol = await user(n2.url, 'carol-img');
  const mallory = await user(n2.url, 'mallory-img');
  await allow(bob, [alice.id]);
  await allow(carol, [alice.id]);
  // Three chunks' worth, so the reads on node 2 are several blob:get frames.
  const data = new Xorshift(13).bytes(LIMITS.blobChunkBytes * 2 + 1000);
  const id = blobId(data);
  assert.deepEqual(await upload(alice, data, [bob, carol]), { ok: true, done: true }, 'stored through node 1');
  assert.deepEqual(await download(bob, id), data, "bob reads it through node 2: it is in the cluster's database, not node 1's disk");
  assert.equal(await download(mallory, id), 'not-found', 'a stranger on node 2 gets what a missing blob gets');
  // Announced again through node 1, it is already stored: the bytes are not sent twice.
  assert.deepEqual(await call(alice.socket, 'blob:put', { id, bytes: data.length, to: [{ to: bob.key, cap: capFor(alice.id, bob.id) }] }), { ok: true, have: true, refused: [] });
  assert.deepEqual(await call(bob.socket, 'blob:ack', { ids: [id] }), { ok: true, deleted: 1 });
  assert.deepEqual(await download(carol, id), data, "bob's ack on node 2 leaves carol's");
  assert.deepEqual(await call(carol.socket, 'blob:ack', { ids: [id] }), { ok: true, deleted: 1 });
  // The last recipient acked: gone for the cluster, so announcing it again through node 1 asks for the bytes.
  assert.deepEqual(await call(alice.socket, 'blob:put', { id, bytes: data.length, to: [{ to: bob.key, cap: capFor(alice.id, bob.id) }] }), { ok: true, have: false, refused: [] });
});

test('Redis restarted mid-run: signaling across nodes resumes by itself', { timeout: 90_000 }, async () => {
  const [n1, n2] = relays.length >= 2 ? [relays[0]!, relays[1]!] : await Promise.all([node(), node()]);
  const alice = await user(n1.url, 'alice2');
  const bob = await user(n2.url, 'bob2');
  await call(alice.socket, 'presence:watch', { keys: [bob.key] });
  await call(bob.socket, 'presence:watch', { keys: [alice.key] });
  await signalUntilDelivered(alice.socket, bob.key, bob.socket, { kind: 'before' });

  await redis.stop();
  // Presence changes made while Redis is away reach the other node once it is back (the gap makes it ask for a snapshot).
  const dave = await user(n2.url, 'dave');
  await call(dave.socket, 'presence:watch', { keys: [alice.key] });
  await call(alice.socket, 'presence:watch', { keys: [bob.key, dave.key] });
  // Refused, not dropped silently, once the relay has noticed the lost connection (a signal sent before that is lost).
  for (;;) {
    const res = await call(alice.socket, 'signal:send', { to: bob.key, data: { kind: 'while-down' } });
    if (!res.ok) {
      assert.equal(res.code, 'unavailable');
      break;
    }
  }
  await redis.start(); // empty: whatever Redis held is gone, as after a crash
  await signalUntilDelivered(alice.socket, bob.key, bob.socket, { kind: 'after' });
  await signalUntilDelivered(alice.socket, dave.key, dave.socket, { kind: 'after' });
  await signalUntilDelivered(dave.socket, alice.key, alice.socket, { kind: 'after' });
});

test('kill -9 of one node under load: its clients reconnect through the balancer to the other, nothing acknowledged is lost or stored twice', { timeout: 120_000 }, async () => {
  const a = await node();
  const b = await node();
  balancer = await startBalancer([Number(new URL(a.url).port), Number(new URL(b.url).port)]);
  const bob = await user(b.url, 'bob3');
  const senders = Array.from({ length: 6 }, (_, i) => generateIdentity(`sender${i}`));
  await allow(bob, senders);

  /** A client as the browser's is: reconnects by itself, proves its key on every new connection, resends what was not acknowledged. */
  const acked = new Map<string, number>(); // env → id
  const retried = new Set<string>();
  let stop = false;
  const loops = senders.map(async (id) => {
    const socket: ClientSocket = io(balancer!.url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 200 });
    sockets.push(socket);
    // Logged in again on every new connection, as the browser's client is; puts wait for the current login.
    let setReady = () => {};
    let ready = new Promise<void>((r) => (setReady = r));
    socket.on('disconnect', () => (ready = new Promise<void>((r) => (setReady = r))));
    socket.on('auth:challenge', async (ch) => {
      const r = await call(socket, 'auth:prove', proveFor(id, id.sigPub, ch.nonce)).catch(() => undefined);
      if (r?.ok) setReady();
    });
    for (let i = 1; !stop && i <= 400; i++) {
      const env = envelope(id, bob.id, i);
      for (let attempt = 0; ; attempt++) {
        if (attempt) retried.add(env); // resent because no ack came: the crash may have swallowed it after the commit
        await ready;
        const res = await call(socket, 'mailbox:put', { to: bob.key, env, cap: capFor(id, bob.id) }).catch(() => undefined);
        if (res?.ok) {
          acked.set(env, res.id as number);
          break;
        }
        if (res) assert.equal(res.code, 'unauthenticated', `put refused: ${res.code} ${String(res.message)}`);
      }
    }
    socket.close();
  });
  // Let the load run, then kill node A without warning while puts are in flight.
  while (acked.size < 60) await new Promise((r) => setTimeout(r, 50));
  a.child.kill('SIGKILL');
  const before = acked.size;
  while (acked.size < before + 60) await new Promise((r) => setTimeout(r, 50));
  stop = true;
  await Promise.all(loops);

  // Everything acknowledged is in bob's mailbox exactly once; only a put whose ack the crash swallowed may be there twice.
  const items: { id: number; env: string }[] = [];
  for (let after = 0; ; ) {
    const page = (await call(bob.socket, 'mailbox:fetch', { after, limit: 100 })).items as { id: number; env: string }[];
    if (!page.length) break;
    items.push(...page);
    after = page.at(-1)!.id;
  }
  const count = new Map<string, number>();
  for (const i of items) count.set(i.env, (count.get(i.env) ?? 0) + 1);
  for (const [env, id] of acked) {
    assert.ok(items.some((i) => i.id === id && i.env === env), `acknowledged post ${id} is missing`);
    if (!retried.has(env)) assert.equal(count.get(env), 1, `post ${id} was stored ${count.get(env)} times`);
    else assert.ok(count.get(env)! <= 2);
  }
  assert.equal(new Set(items.map((i) => i.id)).size, items.length, 'no id twice');
});

// Before issue 30 the mailbox calls answered 'internal' (a bug on the relay's side) here; an outage is 'unavailable', which clients retry.
test('PostgreSQL down: logins, presence and signals across nodes go on; mailbox calls answer unavailable', { timeout: 60_000 }, async () => {
  const [n1, n2] = [relays[0]!, relays[1]!];
  await postgres.stop(); // last test of the file: the server does not come back
  const alice = await user(n1.url, 'alice4'); // the login's mailbox count fails, and is only logged
  const bob = await user(n2.url, 'bob4');
  await call(alice.socket, 'presence:watch', { keys: [bob.key] });
  await watchUntilOnline(bob.socket, { keys: [alice.key] }, alice.key);
  await signalUntilDelivered(alice.socket, bob.key, bob.socket, { kind: 'offer', sdp: 'v=0' });
  const put = await call(alice.socket, 'mailbox:put', { to: bob.key, env: envelope(alice.id, bob.id, 1), cap: capFor(alice.id, bob.id) });
  assert.equal(put.code, 'unavailable');
  assert.equal((await call(bob.socket, 'mailbox:fetch', { after: 0, limit: 10 })).code, 'unavailable');
});
