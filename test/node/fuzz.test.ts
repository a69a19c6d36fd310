// Property tests with a seeded PRNG: untrusted bytes, codes, frames and backups may only ever fail with a BwError,
// and whatever still succeeds after a mutation must be the original. BW_FUZZ_SEED / BW_FUZZ_SCALE explore further.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { BwError, type ErrorCode } from '../../shared/errors.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { parse } from '../../shared/validate.js';
import * as protocol from '../../shared/protocol.js';
import { openPost, readHeader, sealPost, type OpenContext } from '../../shared/crypto/envelope.js';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { acceptInvite, createFriendRequest, createInvite, openFriendRequest, readInvite } from '../../shared/crypto/invite.js';
import { BACKUP_PREFIX, exportBackup, importBackup } from '../../shared/crypto/backup.js';
import { Xorshift } from './helpers.js';

const SEED = Number(process.env.BW_FUZZ_SEED ?? 0x5eed_b3a5);
const SCALE = Number(process.env.BW_FUZZ_SCALE ?? 1);
const iters = (n: number): number => Math.max(1, Math.round(n * SCALE));

/**
 * Runs `fn` and fails unless it returns or throws a BwError (optionally with one of `codes`). Returns the result,
 * or undefined when it threw. The failure names the case, seed and iteration so it can be replayed.
 */
function onlyBwError<T>(where: string, i: number, input: unknown, fn: () => T, codes?: readonly ErrorCode[]): T | undefined {
  try {
    return fn();
  } catch (e) {
    const at = `${where}, seed ${SEED}, iteration ${i}, input ${describeInput(input)}`;
    if (!(e instanceof BwError)) assert.fail(`${at}: threw a non-BwError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (codes && !codes.includes(e.code)) assert.fail(`${at}: threw BwError('${e.code}'), expected one of ${codes.join(', ')}: ${e.message}`);
    return undefined;
  }
}

function describeInput(x: unknown): string {
  try {
    return describeUnsafe(x);
  } catch {
    return Object.prototype.toString.call(x);
  }
}

function describeUnsafe(x: unknown): string {
  if (x instanceof Uint8Array) return `bytes(${x.length}) ${toB64u(x.subarray(0, 64))}${x.length > 64 ? '…' : ''}`;
  let s: string;
  try {
    s = typeof x === 'string' ? JSON.stringify(x) : JSON.stringify(x, (_k, val: unknown) => (val instanceof Uint8Array ? `<bytes ${val.length}>` : val === undefined ? '<undefined>' : val));
  } catch {
    s = String(x);
  }
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

// ---- mutators -----------------------------------------------------------------------------------

function mutateBytes(r: Xorshift, src: Uint8Array): Uint8Array {
  let b = src.slice();
  const rounds = 1 + r.int(3);
  for (let k = 0; k < rounds; k++) {
    const at = b.length ? r.int(b.length) : 0;
    switch (r.int(8)) {
      case 0: // flip one bit
        if (b.length) b[at]! ^= 1 << r.int(8);
        break;
      case 1: // random byte
        if (b.length) b[at] = r.int(256);
        break;
      case 2: // truncate
        b = b.slice(0, r.int(b.length + 1));
        break;
      case 3: // append
        b = Uint8Array.from([...b, ...r.bytes(1 + r.int(40))]);
        break;
      case 4: // insert
        b = Uint8Array.from([...b.subarray(0, at), ...r.bytes(1 + r.int(8)), ...b.subarray(at)]);
        break;
      case 5: // delete a range
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + r.int(16))]);
        break;
      case 6: // overwrite a run with an interesting value
        b.fill(r.pick([0, 0xff, 0x80, 1]), at, at + 1 + r.int(8));
        break;
      default: // version byte games
        if (b.length) b[0] = r.pick([0, 1, 2, 255]);
    }
  }
  return b;
}

const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ODD = ['.', '=', '+', '/', ' ', '\n', '%', '%2', '%E0%A4%A', '#invite=', '{', '}', '"', '\\', '\u0000', 'é', '😀', '\ud800', 'bw1.', BACKUP_PREFIX];

function randomString(r: Xorshift, max = 400): string {
  let s = '';
  const n = r.int(max);
  while (s.length < n) s += r.int(4) === 0 ? r.pick(ODD) : CHARS[r.int(CHARS.length)]!;
  return s;
}

function mutateString(r: Xorshift, src: string): string {
  let s = src;
  const rounds = 1 + r.int(3);
  for (let k = 0; k < rounds; k++) {
    const at = r.int(s.length + 1);
    switch (r.int(7)) {
      case 0:
        s = s.slice(0, at) + CHARS[r.int(CHARS.length)]! + s.slice(at + 1); // replace with a base64url char
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1 + r.int(4)); // delete
        break;
      case 2:
        s = s.slice(0, at) + r.pick(ODD) + s.slice(at); // insert something odd
        break;
      case 3:
        s = s.slice(0, r.int(s.length + 1)); // truncate
        break;
      case 4:
        s = s.slice(0, at) + (s[at] === s[at]?.toUpperCase() ? s[at]?.toLowerCase() : s[at]?.toUpperCase()) + s.slice(at + 1); // flip case
        break;
      case 5:
        s = s + randomString(r, 20); // append
        break;
      default:
        s = s.slice(0, at) + CHARS[r.int(CHARS.length)]! + s.slice(at); // insert a base64url char
    }
  }
  return s;
}

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

const setup = new Xorshift(SEED ^ 0xa5a5a5a5);
const alice = generateIdentity('alice', setup.rng);
const bob = generateIdentity('bob', setup.rng);
const NOW = 1_700_000_000_000;
const wrap = pairKeys(bob, alice).wrap;
const [sealed] = sealPost(alice, { seq: 5, ts: NOW, body: 'fuzz me 😀' }, [{ sigPub: bob.sigPub, wrapKey: pairKeys(alice, bob).wrap }], setup.rng);
const ENV = sealed!.envelope;
const { code: INVITE, invite: INVITE_DATA } = createInvite(alice, { relay: 'wss://r.example', now: NOW }, setup.rng);
const REQUEST = createFriendRequest(bob, INVITE_DATA, NOW, setup.rng);
const BACKUP_N = 2 ** 10;
const BACKUP = exportBackup(alice, 'pass phrase', { scryptN: BACKUP_N, rng: setup.rng });

describe('fuzz', () => {
  test('envelopes: random bytes and mutations of a valid one', () => {
    const r = new Xorshift(SEED);
    const strict: OpenContext = { me: bob.sigPub, wrapKeyFor: (a) => (peerId(a) === peerId(alice.sigPub) ? wrap : undefined) };
    // A lookup that hands out the key for any author, so mutated authors still reach the AEAD.
    const sloppy: OpenContext = { me: bob.sigPub, wrapKeyFor: () => wrap, seen: () => r.int(8) === 0 };
    const n = iters(3000);
    for (let i = 0; i < n; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) {
        input = r.bytes(r.int(1500));
        if (r.int(2)) input[0] = 1; // get past the version check more often
        if (r.int(2) && input.length > 65) input.set(bob.sigPub, 33); // …and the recipient check
      } else {
        input = mutateBytes(r, ENV);
      }
      onlyBwError('readHeader', i, input, () => readHeader(input));
      for (const ctx of [strict, sloppy]) {
        const post = onlyBwError('openPost', i, input, () => openPost(input, ctx));
        // Non-malleability: anything that still opens is the original envelope, byte for byte.
        if (post) assert.equal(toB64u(input), toB64u(ENV), `openPost accepted a changed envelope (seed ${SEED}, iteration ${i})`);
      }
    }
  });

  test('invite codes: random strings and mutations of a valid code', () => {
    const r = new Xorshift(SEED + 1);
    const n = iters(3000);
    for (let i = 0; i < n; i++) {
      const input = i % 3 === 0 ? mutateString(r, INVITE) : i % 3 === 1 ? `https://x/#invite=${mutateString(r, INVITE)}` : r.int(2) ? randomString(r) : 'bw1.' + randomString(r);
      const read = onlyBwError('readInvite', i, input, () => readInvite(input, NOW));
      if (read) assert.equal(input, INVITE, `readInvite accepted a changed code (seed ${SEED}, iteration ${i})`);
      const accepted = onlyBwError('acceptInvite', i, input, () => acceptInvite(bob, input, NOW));
      if (accepted) assert.deepEqual(accepted, INVITE_DATA, `acceptInvite returned another invite (seed ${SEED}, iteration ${i})`);
    }
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
      PresenceWatchSchema: { keys: [key, peerId(bob.sigPub)] },
      MailboxPutSchema: { to: key, env },
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

  test('backups: random text and mutations of a valid backup (small N)', () => {
    const r = new Xorshift(SEED + 4);
    const n = iters(3000);
    for (let i = 0; i < n; i++) {
      // Mutated backups mostly reach scrypt (~4 ms at 2^10): one in ten iterations.
      const input = capCost(i % 10 === 0 ? mutateString(r, BACKUP) : r.int(2) ? BACKUP_PREFIX + randomString(r, 500) : randomString(r));
      const id = onlyBwError('importBackup', i, input, () => importBackup(input, 'pass phrase'));
      if (id) assert.deepEqual(id, alice, `importBackup returned another identity (seed ${SEED}, iteration ${i})`);
    }
  });
});

/**
 * Keeps fuzzed backups at the cheapest cost: a random input that happens to ask for 2^11..2^20 is valid
 * (import would honour it) but would cost up to a GiB and seconds per run, which is not what this test is for.
 */
function capCost(text: string): string {
  const t = text.trim();
  if (!t.startsWith(BACKUP_PREFIX)) return text;
  let b: Uint8Array;
  try {
    b = fromB64u(t.slice(BACKUP_PREFIX.length));
  } catch {
    return text;
  }
  if (b.length < 2 || b[1]! <= 10 || b[1]! > 20) return text;
  b[1] = 10;
  return BACKUP_PREFIX + toB64u(b);
}
