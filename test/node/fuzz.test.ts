// Property tests with a seeded PRNG: untrusted bytes, codes, frames and backups may only ever fail with a BwError,
// and whatever still succeeds after a mutation must be the original. BW_FUZZ_SEED / BW_FUZZ_SCALE explore further.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import * as validate from '../../shared/validate.js';
import { parse } from '../../shared/validate.js';
import * as protocol from '../../shared/protocol.js';
import { peerId } from '../../shared/crypto/identity.js';
import { inviteTag, openFriendRequest } from '../../shared/crypto/invite.js';
import { mailboxAllowTag, pairKeys } from '../../shared/crypto/pairwise.js';
// The mutators, fixtures and the envelope/invite/backup properties are shared with the Chromium suite.
import { bwErrorsOnly, DEFAULT_FUZZ_SEED, fuzzBackups, fuzzEnvelopes, fuzzFixtures, fuzzInvites, FUZZ_NOW, mutateBytes, mutateString, randomString } from '../cases/fuzz.js';
import { Xorshift } from './helpers.js';

const SEED = Number(process.env.BW_FUZZ_SEED ?? DEFAULT_FUZZ_SEED);
const SCALE = Number(process.env.BW_FUZZ_SCALE ?? 1);
const iters = (n: number): number => Math.max(1, Math.round(n * SCALE));

/** Fails unless fn returns or throws a BwError (optionally with one of `codes`), naming seed, iteration and input. */
const onlyBwError = bwErrorsOnly(SEED);

// ---- random protocol values ------------------------------------------------------------------------

const KEYS = ['v', 'nonce', 'key', 'sig', 'kind', 'k', 'd', 'box', 'signal', 'type', 'sdp', 'candidate', 'to', 'from', 'data', 'keys', 'env', 'after', 'limit', 'ids', 'id', 't', 'urls', 'username', 'credential', '__proto__', 'constructor', 'toString', ''];

function randomValue(r: Xorshift, depth = 0): unknown {
  switch (r.int(depth >= 3 ? 6 : 9)) {
    case 0:
      return r.pick([0, 1, -1, 1.5, 2 ** 53, -0, NaN, Infinity, -Infinity, 100, 101, 1e300, protocol.PROTOCOL_VERSION, r.next()]);
    case 1:
      return randomString(r, 60);
    case 2:
      return r.pick([peerId(r.bytes(32)), toB64u(r.bytes(r.int(80))), 'x'.repeat(r.pick([43, 64, 65, 2048, protocol.LIMITS.maxEnvelopeChars + 1])), 'sdp', 'friend-request', 'post']);
    case 3:
      return r.pick([true, false, null, undefined]);
    case 4:
      return r.bytes(r.int(8));
    case 5:
      return r.pick([[], {}, Object.create(null) as object]);
    case 6: {
      const n = r.int(5);
      return Array.from({ length: n }, () => randomValue(r, depth + 1));
    }
    case 7: {
      // Built the way JSON.parse would: own keys, including "__proto__" as a plain key.
      const entries = Array.from({ length: r.int(5) }, () => `${JSON.stringify(r.pick(KEYS))}:${JSON.stringify(toJsonable(randomValue(r, depth + 1)))}`);
      return JSON.parse(`{${entries.join(',')}}`) as unknown;
    }
    default: {
      const o: Record<string, unknown> = {};
      for (let n = r.int(5); n > 0; n--) o[r.pick(KEYS.filter((k) => k !== '__proto__'))] = randomValue(r, depth + 1);
      return o;
    }
  }
}

const toJsonable = (x: unknown): unknown => (x instanceof Uint8Array ? Array.from(x) : x === undefined || (typeof x === 'number' && !Number.isFinite(x)) ? null : x);

/** Replaces, deletes or adds one value somewhere inside a (cloned) message. */
function mutateValue(r: Xorshift, src: unknown): unknown {
  const root = { x: structuredClone(src) as unknown };
  const rounds = 1 + r.int(3);
  for (let k = 0; k < rounds; k++) {
    // Walk down to a random container.
    let parent: Record<string, unknown> = root;
    let key = 'x';
    for (let depth = 0; depth < 4; depth++) {
      const cur = parent[key];
      if (cur === null || typeof cur !== 'object' || cur instanceof Uint8Array || r.int(3) === 0) break;
      const keys = Object.keys(cur);
      if (keys.length === 0) break;
      parent = cur as Record<string, unknown>;
      key = r.pick(keys);
    }
    const cur = parent[key];
    switch (r.int(5)) {
      case 0:
        parent[key] = randomValue(r);
        break;
      case 1:
        delete parent[key];
        break;
      case 2:
        if (typeof cur === 'string') parent[key] = mutateString(r, cur);
        else if (typeof cur === 'number') parent[key] = r.pick([cur + 1, cur - 1, -cur, cur + 0.5, String(cur)]);
        else parent[key] = randomValue(r);
        break;
      case 3:
        // defineProperty, as JSON.parse does: a plain assignment to "__proto__" would swap the prototype instead.
        if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && !(cur instanceof Uint8Array)) Object.defineProperty(cur, r.pick(KEYS), { value: randomValue(r), enumerable: true, writable: true, configurable: true });
        else parent[key] = [cur];
        break;
      default:
        if (Array.isArray(cur)) cur.push(cur.length ? cur[0] : randomValue(r));
        else parent[key] = randomValue(r);
    }
  }
  return root.x;
}

// ---- fixtures ----------------------------------------------------------------------------------------

const fx = fuzzFixtures(SEED);
const { alice, bob } = fx;
const NOW = FUZZ_NOW;
const ENV = fx.env;
const REQUEST = fx.request;

describe('fuzz', () => {
  test('envelopes: random bytes and mutations of a valid one', () => {
    fuzzEnvelopes(fx, iters(3000));
  });

  test('invite codes: random strings and mutations of a valid code', () => {
    fuzzInvites(fx, iters(3000));
  });

  test('friend requests: mutated fields', () => {
    const r = new Xorshift(SEED + 2);
    const n = iters(600);
    for (let i = 0; i < n; i++) {
      const field = r.pick(['k', 'd', 'box', 'box', 'box'] as const);
      const req = { ...REQUEST, [field]: r.int(2) ? mutateString(r, REQUEST[field]) : toB64u(mutateBytes(r, fromB64u(REQUEST[field]))) };
      const card = onlyBwError('openFriendRequest', i, req, () => openFriendRequest(alice, req, NOW));
      if (card) assert.deepEqual(card.sigPub, bob.sigPub, `openFriendRequest accepted a changed request for another key (seed ${SEED}, iteration ${i})`);
    }
  });

  test('every protocol schema: random values and mutations of a valid message → bad-frame only', () => {
    const key = peerId(alice.sigPub);
    const env = toB64u(ENV);
    const sdp = { kind: 'sdp', signal: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } };
    const samples: Record<string, unknown> = {
      PeerIdSchema: key,
      EnvelopeB64Schema: env,
      AuthChallengeSchema: { v: protocol.PROTOCOL_VERSION, nonce: toB64u(new Uint8Array(32)) },
      AuthProveSchema: { key, sig: toB64u(new Uint8Array(64)) },
      IceServersSchema: [{ urls: 'stun:stun.example:3478' }, { urls: ['turn:t.example'], username: 'u', credential: 'c' }],
      SdpSignalSchema: sdp,
      FriendRequestSchema: REQUEST,
      SignalDataSchema: REQUEST,
      SignalSendSchema: { to: key, data: sdp },
      PresenceWatchSchema: { keys: [key, peerId(bob.sigPub)], accept: [inviteTag(new Uint8Array(16))], present: [inviteTag(new Uint8Array(16).fill(1))] },
      InviteTagSchema: inviteTag(new Uint8Array(16)),
      MailboxCapSchema: toB64u(pairKeys(alice, bob).mailboxOut),
      MailboxAllowTagSchema: mailboxAllowTag(pairKeys(alice, bob).mailboxIn, bob.sigPub),
      MailboxAllowSchema: { tags: [mailboxAllowTag(pairKeys(alice, bob).mailboxIn, bob.sigPub)] },
      MailboxPutSchema: { to: key, env, cap: toB64u(pairKeys(alice, bob).mailboxOut) },
      MailboxFetchSchema: { after: 0, limit: 50 },
      MailboxAckSchema: { ids: [1, 2, 3] },
      MailboxItemSchema: { id: 7, from: key, env },
      ChannelPostSchema: { t: 'post', env },
      ChannelMessageSchema: { t: 'post', env },
    };
    const isSchema = (x: unknown): x is v.GenericSchema => typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'schema';
    const schemas = (Object.entries(protocol) as [string, unknown][]).filter((e): e is [string, v.GenericSchema] => e[0].endsWith('Schema') && isSchema(e[1]));
    assert.ok(schemas.length >= Object.keys(samples).length, `found ${schemas.length} schemas in protocol.ts`);
    for (const name of Object.keys(samples)) assert.ok(schemas.some(([n]) => n === name), `${name} is exported by protocol.ts`);
    for (const [name, schema] of schemas) {
      if (name in samples) assert.doesNotThrow(() => parse(schema, samples[name], name), `the valid sample for ${name} parses`);
    }
    const r = new Xorshift(SEED + 3);
    const n = iters(3000);
    for (const [name, schema] of schemas) {
      const sample = samples[name];
      // Each schema gets n/2 random values and n/2 mutations (random values only, for a schema without a sample).
      for (let i = 0; i < n; i++) {
        const input = i % 2 === 0 || sample === undefined ? randomValue(r) : mutateValue(r, sample);
        onlyBwError(`parse(${name})`, i, input, () => parse(schema, input, name), ['bad-frame']);
      }
    }
  });

  test('every protocol schema: data nested 30,000 levels deep, at the root or in any field → bad-frame, never a stack overflow', () => {
    const deep = (n: number, leaf: unknown): unknown => {
      let x = leaf;
      for (let i = 0; i < n; i++) x = (n - i) % 2 ? { kind: 'sdp', x } : [x]; // an object at the root, as a frame's data is
      return x;
    };
    const schemas = (Object.entries(protocol) as [string, unknown][]).filter((e): e is [string, v.GenericSchema] => e[0].endsWith('Schema') && typeof e[1] === 'object' && (e[1] as { kind?: unknown }).kind === 'schema');
    const key = peerId(alice.sigPub);
    const fields = ['data', 'signal', 'candidate', 'keys', 'tags', 'ids', 'env', 'to', 'urls', 'x'];
    let i = 0;
    for (const [name, schema] of schemas) {
      for (const input of [deep(30_000, null), { to: key, data: deep(30_000, 1) }, ...fields.map((f) => ({ kind: 'sdp', t: 'post', to: key, [f]: deep(30_000, 'x') }))]) {
        const out = onlyBwError(`parse(${name})`, i++, '(30,000 levels deep)', () => parse(schema, input, name), ['bad-frame']);
        // Whatever a schema lets through must stay shallow enough for socket.io-parser to encode it again.
        if (out !== undefined) assert.ok(validate.depthWithin(out, 64), `${name} passed data nested 30,000 deep`);
      }
    }
  });

  test('backups: random text and mutations of a valid backup (small N)', () => {
    fuzzBackups(fx, iters(3000));
  });
});
