// Relay behaviour against a real server and real SQLite: auth, signaling, presence, mailbox, limits, bad frames.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { sealPost } from '../../shared/crypto/envelope.js';
import { toB64u } from '../../shared/bytes.js';
import { inviteTag } from '../../shared/crypto/invite.js';
import { LIMITS } from '../../shared/protocol.js';
import { verifyProof } from '../../signaling/auth.js';
import type { Socket as ServerSocket } from 'socket.io';
import { allow, call, capFor, connectAs, connectRaw, nextEvent, proveFor, startHarness, type ClientSocket, type Harness } from './relay-harness.js';

function envelopeFrom(from: ReturnType<typeof generateIdentity>, to: ReturnType<typeof generateIdentity>, seq = 1): string {
  const [s] = sealPost(from, { seq, ts: 1, body: `post ${seq}` }, [{ sigPub: to.sigPub, wrapKey: pairKeys(from, to).wrap }]);
  return toB64u(s!.envelope);
}

describe('auth', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(() => h.close());

  test('a valid proof is accepted and returns ICE servers', async () => {
    const id = generateIdentity('a');
    const { socket, challenge } = await connectRaw(h.url);
    const res = await call(socket, 'auth:prove', proveFor(id, id.sigPub, challenge.nonce));
    assert.equal(res.ok, true);
    assert.ok(Array.isArray(res.iceServers));
    socket.close();
  });

  test('a wrong signature is refused', async () => {
    const id = generateIdentity('a');
    const { socket } = await connectRaw(h.url);
    const res = await call(socket, 'auth:prove', proveFor(id, id.sigPub, toB64u(new Uint8Array(32))));
    assert.equal(res.ok, false);
    assert.equal(res.code, 'bad-signature');
    socket.close();
  });

  test("someone else's key is refused", async () => {
    const mallory = generateIdentity('m');
    const alice = generateIdentity('a');
    const { socket, challenge } = await connectRaw(h.url);
    const res = await call(socket, 'auth:prove', proveFor(mallory, alice.sigPub, challenge.nonce));
    assert.equal(res.code, 'bad-signature');
    socket.close();
  });

  test('a challenge is single use: a replayed proof is refused', async () => {
    const id = generateIdentity('a');
    const { socket, challenge } = await connectRaw(h.url);
    const bad = await call(socket, 'auth:prove', proveFor(generateIdentity('x'), id.sigPub, challenge.nonce));
    assert.equal(bad.code, 'bad-signature');
    const replay = await call(socket, 'auth:prove', proveFor(id, id.sigPub, challenge.nonce));
    assert.equal(replay.code, 'replay');
    // …and a proof for one connection's challenge does not work on another's.
    const other = await connectRaw(h.url);
    const cross = await call(other.socket, 'auth:prove', proveFor(id, id.sigPub, challenge.nonce));
    assert.equal(cross.code, 'bad-signature');
    socket.close();
    other.socket.close();
  });

  test('calls before auth are refused as unauthenticated', async () => {
    const { socket } = await connectRaw(h.url);
    const res = await call(socket, 'mailbox:fetch', { after: 0, limit: 10 });
    assert.equal(res.code, 'unauthenticated');
    socket.close();
  });

  test('an expired challenge is refused', async () => {
    let t = 1_000_000;
    const h2 = await startHarness({ authTimeoutMs: 60_000 }, () => t);
    const id = generateIdentity('a');
    const { socket, challenge } = await connectRaw(h2.url);
    t += 61_000;
    const res = await call(socket, 'auth:prove', proveFor(id, id.sigPub, challenge.nonce));
    assert.equal(res.code, 'expired');
    socket.close();
    await h2.close();
  });

  test('a connection that closes while its proof is being checked never shows online', async () => {
    // The proof is checked off the event loop; hold it there until the connection is gone.
    let checked!: () => void;
    let release!: () => void;
    const inFlight = new Promise<void>((r) => (checked = r));
    const gate = new Promise<void>((r) => (release = r));
    const h2 = await startHarness({}, undefined, {
      verify: async (...args) => {
        const key = await verifyProof(...args); // settled first, so only microtasks remain after release()
        checked();
        await gate;
        return key;
      },
    });
    try {
      const serverSide = new Promise<ServerSocket>((r) => h2.relay.io.once('connection', r));
      const id = generateIdentity('a');
      const { socket, challenge } = await connectRaw(h2.url);
      const gone = new Promise((r) => void serverSide.then((s) => s.once('disconnect', r)));
      socket.emit('auth:prove', proveFor(id, id.sigPub, challenge.nonce), () => assert.fail('no answer on a closed connection'));
      await inFlight;
      socket.close();
      await gone;
      release();
      await new Promise((r) => setImmediate(r)); // the handler's remaining steps are microtasks: all run by now
      assert.equal(h2.relay.stats().online, 0, 'the closed connection\'s key is not online');
    } finally {
      await h2.close();
    }
  });
});

describe('signaling and presence', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(() => h.close());

  /** Every presence:change a socket hears, in order. */
  const heard = (socket: ClientSocket) => {
    const got: { key: string; online: boolean }[] = [];
    socket.on('presence:change', (m) => got.push(m));
    return got;
  };
  const settle = () => new Promise((r) => setTimeout(r, 100));
  const sdp = { kind: 'sdp', signal: { type: 'offer', sdp: 'x' } };

  test('a signal reaches an online peer that watches the sender, with the sender stamped by the relay', async () => {
    const a = await connectAs(h.url, 'a');
    const b = await connectAs(h.url, 'b');
    assert.equal((await call(b.socket, 'presence:watch', { keys: [a.key] })).ok, true);
    const got = nextEvent(b.socket, 'signal:recv');
    const res = await call(a.socket, 'signal:send', { to: b.key, data: sdp });
    assert.equal(res.ok, true);
    const msg = await got;
    assert.equal(msg.from, a.key);
    assert.deepEqual(msg.data, sdp);
    a.socket.close();
    b.socket.close();
  });

  test('a signal for an identity that is not online answers offline', async () => {
    const a = await connectAs(h.url, 'a');
    const res = await call(a.socket, 'signal:send', { to: peerId(generateIdentity('z').sigPub), data: { kind: 'sdp', signal: {} } });
    assert.equal(res.code, 'offline');
    a.socket.close();
  });

  test('a stranger can neither see nor signal an online key: both answer as if it were offline', async () => {
    const b = await connectAs(h.url, 'b');
    const stranger = await connectAs(h.url, 'stranger');
    const friend = await connectAs(h.url, 'friend');
    const bHeard = heard(b.socket);
    await call(b.socket, 'presence:watch', { keys: [friend.key] });
    assert.deepEqual((await call(stranger.socket, 'presence:watch', { keys: [b.key] })).online, []);
    const refused = await call(stranger.socket, 'signal:send', { to: b.key, data: sdp });
    assert.equal(refused.code, 'offline');
    assert.equal(refused.message, (await call(stranger.socket, 'signal:send', { to: peerId(generateIdentity('z').sigPub), data: sdp })).message);
    // …while b's friend, whom b watches, sees it and reaches it.
    assert.deepEqual((await call(friend.socket, 'presence:watch', { keys: [b.key] })).online, [b.key]);
    assert.equal((await call(friend.socket, 'signal:send', { to: b.key, data: sdp })).ok, true);
    await settle();
    assert.deepEqual(bHeard, [{ key: friend.key, online: true }], 'b hears its friend arrive in its watch list, and nothing of the stranger');
    for (const x of [b, stranger, friend]) x.socket.close();
  });

  test("a signal goes only to the recipient's connections that consent to its sender", async () => {
    const a = await connectAs(h.url, 'a');
    const bId = generateIdentity('b');
    const [b1, b2] = [await connectAs(h.url, bId), await connectAs(h.url, bId)];
    await call(b1.socket, 'presence:watch', { keys: [a.key] });
    await call(b2.socket, 'presence:watch', { keys: [] }); // another tab of b that does not watch a
    const got: string[] = [];
    b1.socket.on('signal:recv', () => got.push('b1'));
    b2.socket.on('signal:recv', () => got.push('b2'));
    assert.equal((await call(a.socket, 'signal:send', { to: b1.key, data: sdp })).ok, true);
    await call(b1.socket, 'presence:watch', { keys: [a.key] }); // a round trip on each: the signal had its turn
    await call(b2.socket, 'presence:watch', { keys: [] });
    assert.deepEqual(got, ['b1']);
    for (const x of [a, b1, b2]) x.socket.close();
  });

  test('presence: friends who watch each other hear arrivals and departures, exactly once each', async () => {
    const a = await connectAs(h.url, 'a');
    const aHeard = heard(a.socket);
    const bId = generateIdentity('b');
    const bKey = peerId(bId.sigPub);
    assert.deepEqual((await call(a.socket, 'presence:watch', { keys: [bKey] })).online, []);
    const { socket: bs, challenge } = await connectRaw(h.url);
    await call(bs, 'auth:prove', proveFor(bId, bId.sigPub, challenge.nonce));
    await settle();
    assert.deepEqual(aHeard, [], 'b is online but has not said it watches a');
    const arrival = nextEvent(a.socket, 'presence:change');
    assert.deepEqual((await call(bs, 'presence:watch', { keys: [a.key] })).online, [a.key]);
    assert.deepEqual(await arrival, { key: bKey, online: true });
    const departure = nextEvent(a.socket, 'presence:change');
    bs.close();
    assert.deepEqual(await departure, { key: bKey, online: false });
    await settle();
    assert.deepEqual(aHeard, [{ key: bKey, online: true }, { key: bKey, online: false }]);
    a.socket.close();
  });

  test('unwatching a friend hides me from them at once: they hear me leave and can no longer signal me', async () => {
    const a = await connectAs(h.url, 'a');
    const c = await connectAs(h.url, 'c');
    await call(a.socket, 'presence:watch', { keys: [c.key] });
    await call(c.socket, 'presence:watch', { keys: [a.key] });
    assert.equal((await call(c.socket, 'signal:send', { to: a.key, data: sdp })).ok, true);
    const gone = nextEvent(c.socket, 'presence:change');
    await call(a.socket, 'presence:watch', { keys: [] }); // a removed c
    assert.deepEqual(await gone, { key: a.key, online: false });
    assert.equal((await call(c.socket, 'signal:send', { to: a.key, data: sdp })).code, 'offline');
    a.socket.close();
    c.socket.close();
  });

  test('an invite tag lets its holder see the inviter and send the friend request; a wrong tag does not', async () => {
    const inviter = await connectAs(h.url, 'inviter');
    const holder = await connectAs(h.url, 'holder');
    const guesser = await connectAs(h.url, 'guesser');
    const tag = inviteTag(new Uint8Array(16).fill(7));
    await call(guesser.socket, 'presence:watch', { keys: [inviter.key], present: [inviteTag(new Uint8Array(16).fill(8))] });
    assert.deepEqual((await call(holder.socket, 'presence:watch', { keys: [inviter.key], present: [tag] })).online, []);
    const seen = nextEvent(holder.socket, 'presence:change');
    await call(inviter.socket, 'presence:watch', { keys: [], accept: [tag] }); // the inviter made the invite
    assert.deepEqual(await seen, { key: inviter.key, online: true });
    const got = nextEvent(inviter.socket, 'signal:recv');
    assert.equal((await call(holder.socket, 'signal:send', { to: inviter.key, data: { kind: 'friend-request', k: 'k', d: 'd', box: 'b' } })).ok, true);
    assert.equal((await got).from, holder.key);
    assert.equal((await call(guesser.socket, 'signal:send', { to: inviter.key, data: sdp })).code, 'offline');
    assert.deepEqual((await call(guesser.socket, 'presence:watch', { keys: [inviter.key], present: [inviteTag(new Uint8Array(16).fill(8))] })).online, []);
    for (const x of [inviter, holder, guesser]) x.socket.close();
  });

  test('a malformed invite tag or too many of them is a bad frame', async () => {
    const a = await connectAs(h.url, 'a');
    assert.equal((await call(a.socket, 'presence:watch', { keys: [], accept: ['not a tag'] })).code, 'bad-frame');
    const many = Array.from({ length: LIMITS.maxInviteTags + 1 }, (_, i) => inviteTag(new Uint8Array(16).fill(i)));
    assert.equal((await call(a.socket, 'presence:watch', { keys: [], present: many })).code, 'bad-frame');
    a.socket.close();
  });
});

describe('mailbox', () => {
  let h: Harness;
  before(async () => (h = await startHarness({ queueQuota: 3 })));
  after(() => h.close());

  test('put → fetch → ack → gone; only the recipient can fetch or ack', async () => {
    const a = await connectAs(h.url, 'a');
    const b = await connectAs(h.url, 'b');
    await allow(b, [a.id]);
    const env = envelopeFrom(a.id, b.id);
    const ready = nextEvent(b.socket, 'mailbox:ready');
    const put = await call(a.socket, 'mailbox:put', { to: b.key, env, cap: capFor(a.id, b.id) });
    assert.equal(put.ok, true);
    await ready;
    const mallory = await connectAs(h.url, 'm');
    assert.deepEqual((await call(mallory.socket, 'mailbox:fetch', { after: 0, limit: 10 })).items, []);
    assert.equal((await call(mallory.socket, 'mailbox:ack', { ids: [put.id] })).deleted, 0);
    const fetched = await call(b.socket, 'mailbox:fetch', { after: 0, limit: 10 });
    assert.deepEqual(fetched.items, [{ id: put.id, from: a.key, env }]);
    assert.equal((await call(b.socket, 'mailbox:ack', { ids: [put.id] })).deleted, 1);
    assert.deepEqual((await call(b.socket, 'mailbox:fetch', { after: 0, limit: 10 })).items, []);
    for (const s of [a, b, mallory]) s.socket.close();
  });

  test('waiting posts are announced after the login is acknowledged, never before it', async () => {
    const a = await connectAs(h.url, 'a');
    const bId = generateIdentity('b');
    const b0 = await connectAs(h.url, bId);
    await allow(b0, [a.id]);
    b0.socket.close();
    assert.equal((await call(a.socket, 'mailbox:put', { to: peerId(bId.sigPub), env: envelopeFrom(a.id, bId), cap: capFor(a.id, bId) })).ok, true);
    const { socket, challenge } = await connectRaw(h.url);
    const order: string[] = [];
    const ready = new Promise<void>((r) => socket.once('mailbox:ready', () => (order.push('mailbox:ready'), r())));
    // The ack's own callback, not a promise: a promise's reaction would run after a packet that came in the same read.
    const proved = new Promise<void>((r) => socket.emit('auth:prove', proveFor(bId, bId.sigPub, challenge.nonce), (res: { ok: boolean }) => (order.push(`ack ${res.ok}`), r())));
    await Promise.all([ready, proved]);
    assert.deepEqual(order, ['ack true', 'mailbox:ready']);
    socket.close();
    a.socket.close();
  });

  test('only senders on the recipient\'s allow list may leave posts; a removed friend is refused at once', async () => {
    const a = await connectAs(h.url, 'a');
    const b = await connectAs(h.url, 'b');
    const stranger = await connectAs(h.url, 'stranger');
    const put = (from: typeof a, cap: string) => call(from.socket, 'mailbox:put', { to: b.key, env: envelopeFrom(from.id, b.id), cap });
    // Nothing allowed yet: not even a real friend's capability works.
    assert.equal((await put(a, capFor(a.id, b.id))).code, 'not-friend');
    await allow(b, [a.id]);
    assert.equal((await put(a, capFor(a.id, b.id))).ok, true);
    const refused = await put(stranger, capFor(stranger.id, b.id));
    assert.equal(refused.code, 'not-friend');
    assert.match(String(refused.message), /does not take posts from you/);
    // Someone else's capability for b (were it to leak), or a's capability for someone else, does not work either.
    assert.equal((await put(stranger, capFor(a.id, b.id))).code, 'not-friend', 'a capability is bound to its sender');
    assert.equal((await put(a, capFor(a.id, stranger.id))).code, 'not-friend');
    await allow(b, []); // b removed a
    assert.equal((await put(a, capFor(a.id, b.id))).code, 'not-friend');
    for (const s of [a, b, stranger]) s.socket.close();
  });

  test('the envelope must name the sender as author and match the recipient', async () => {
    const a = await connectAs(h.url, 'a');
    const b = await connectAs(h.url, 'b');
    const forged = envelopeFrom(b.id, a.id); // authored by b, sent by a
    assert.equal((await call(a.socket, 'mailbox:put', { to: a.key, env: forged, cap: capFor(b.id, a.id) })).code, 'bad-frame');
    const misaddressed = envelopeFrom(a.id, b.id);
    assert.equal((await call(a.socket, 'mailbox:put', { to: peerId(generateIdentity('z').sigPub), env: misaddressed, cap: capFor(a.id, b.id) })).code, 'bad-frame');
    a.socket.close();
    b.socket.close();
  });

  test('a full queue refuses with quota, keeping what it acknowledged', async () => {
    const a = await connectAs(h.url, 'a');
    const b = await connectAs(h.url, 'b');
    await allow(b, [a.id]);
    b.socket.close(); // b is offline while its queue fills
    const cap = capFor(a.id, b.id);
    for (let i = 1; i <= 3; i++) assert.equal((await call(a.socket, 'mailbox:put', { to: b.key, env: envelopeFrom(a.id, b.id, i), cap })).ok, true);
    const over = await call(a.socket, 'mailbox:put', { to: b.key, env: envelopeFrom(a.id, b.id, 4), cap });
    assert.equal(over.code, 'quota');
    a.socket.close();
  });

  test('a malformed capability or allow list is a bad frame', async () => {
    const a = await connectAs(h.url, 'a');
    const b = generateIdentity('b');
    assert.equal((await call(a.socket, 'mailbox:put', { to: peerId(b.sigPub), env: envelopeFrom(a.id, b), cap: 'nope' })).code, 'bad-frame');
    assert.equal((await call(a.socket, 'mailbox:put', { to: peerId(b.sigPub), env: envelopeFrom(a.id, b) })).code, 'bad-frame');
    assert.equal((await call(a.socket, 'mailbox:allow', { tags: ['short'] })).code, 'bad-frame');
    const tooMany = Array.from({ length: LIMITS.maxWatchKeys + 1 }, () => capFor(a.id, b).padEnd(42, 'A') + 'A');
    assert.equal((await call(a.socket, 'mailbox:allow', { tags: tooMany })).code, 'bad-frame');
    a.socket.close();
  });
});

describe('bad frames and limits', () => {
  let h: Harness;
  before(async () => (h = await startHarness({ rateLimit: 5 })));
  after(() => h.close());

  test('wrongly typed frames get bad-frame naming the field, and the connection stays up', async () => {
    const a = await connectAs(h.url, 'a');
    const res = await call(a.socket, 'signal:send', { to: 42, data: null });
    assert.equal(res.code, 'bad-frame');
    assert.match(String(res.message), /signal:send: to/);
    assert.equal(a.socket.connected, true);
    a.socket.close();
  });

  test('an unknown event or a frame without ack gets relay:error', async () => {
    const a = await connectAs(h.url, 'a');
    const err = nextEvent(a.socket, 'relay:error');
    (a.socket.emit as (e: string, m: unknown) => void)('nonsense:event', {});
    assert.deepEqual({ ...(await err), message: '' }, { ok: false, code: 'bad-frame', message: '', event: 'nonsense:event' });
    const err2 = nextEvent(a.socket, 'relay:error');
    (a.socket.emit as (e: string, m: unknown) => void)('mailbox:fetch', { after: 0, limit: 1 });
    assert.equal((await err2).code, 'bad-frame');
    a.socket.close();
  });

  test('a flood is rate-limited for the flooder only', async () => {
    const flooder = await connectAs(h.url, 'f');
    const calm = await connectAs(h.url, 'c');
    const results = await Promise.all(Array.from({ length: 40 }, () => call(flooder.socket, 'mailbox:fetch', { after: 0, limit: 1 })));
    const limited = results.filter((r) => r.code === 'rate-limited').length;
    assert.ok(limited >= 20, `expected most of 40 burst frames to be limited, got ${limited}`);
    assert.equal((await call(calm.socket, 'mailbox:fetch', { after: 0, limit: 1 })).ok, true);
    flooder.socket.close();
    calm.socket.close();
  });
});

describe('connections per key', () => {
  let h: Harness;
  before(async () => (h = await startHarness({ maxSocketsPerKey: 2 })));
  after(() => h.close());

  test('a key holds at most maxSocketsPerKey connections: one more login is refused as busy, and one closed makes room', async () => {
    const id = generateIdentity('many');
    const [c1, c2] = [await connectAs(h.url, id), await connectAs(h.url, id)];
    const { socket, challenge } = await connectRaw(h.url);
    const closed = new Promise((r) => socket.once('disconnect', r));
    const third = await call(socket, 'auth:prove', proveFor(id, id.sigPub, challenge.nonce));
    assert.equal(third.code, 'busy');
    assert.match(String(third.message), /already holds 2 connections/);
    await closed;
    c1.socket.close();
    await new Promise((r) => setTimeout(r, 50)).then(async () => {
      for (let i = 0; i < 40; i++) {
        // The relay hears the close a moment later; poll until the room is there (bounded).
        const again = await connectAs(h.url, id).catch(() => undefined);
        if (again) return again.socket.close();
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail('no room after a connection closed');
    });
    c2.socket.close();
  });
});
