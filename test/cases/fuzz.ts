// Seeded property tests over the three decoders that take untrusted input (openPost, readInvite/acceptInvite,
// importBackup), with their mutators and fixtures. Shared by test/node/fuzz.test.ts (3000 iterations each, scalable)
// and the Chromium suite (a few hundred): the same seed gives the same inputs in both.
import { BwError, type ErrorCode } from '../../shared/errors.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { openPost, readHeader, sealPost, type OpenContext } from '../../shared/crypto/envelope.js';
import { generateIdentity, peerId, type Identity } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { acceptInvite, createFriendRequest, createInvite, readInvite, type Invite } from '../../shared/crypto/invite.js';
import { BACKUP_PREFIX, exportBackup, importBackup } from '../../shared/crypto/backup.js';
import type { FriendRequest } from '../../shared/protocol.js';
import { toHex, Xorshift } from './util.js';

export const DEFAULT_FUZZ_SEED = 0x5eed_b3a5;

/** Runs fn; returns its result, or undefined when it threw a BwError (optionally one of `codes`). */
export type OnlyBwError = <T>(where: string, i: number, input: unknown, fn: () => T, codes?: readonly ErrorCode[]) => T | undefined;

/**
 * An OnlyBwError that throws a plain Error (so any runner reports it) for anything but a BwError, naming the case,
 * seed, iteration and input so the failure can be replayed.
 */
export function bwErrorsOnly(seed: number): OnlyBwError {
  return (where, i, input, fn, codes) => {
    try {
      return fn();
    } catch (e) {
      const at = `${where}, seed ${seed}, iteration ${i}, input ${describeInput(input)}`;
      if (!(e instanceof BwError)) throw new Error(`${at}: threw a non-BwError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
      if (codes && !codes.includes(e.code)) throw new Error(`${at}: threw BwError('${e.code}'), expected one of ${codes.join(', ')}: ${e.message}`);
      return undefined;
    }
  };
}

export function describeInput(x: unknown): string {
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

export function mutateBytes(r: Xorshift, src: Uint8Array): Uint8Array {
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

export const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ODD = ['.', '=', '+', '/', ' ', '\n', '%', '%2', '%E0%A4%A', '#invite=', '{', '}', '"', '\\', '\u0000', 'é', '😀', '\ud800', 'bw1.', BACKUP_PREFIX];

export function randomString(r: Xorshift, max = 400): string {
  let s = '';
  const n = r.int(max);
  while (s.length < n) s += r.int(4) === 0 ? r.pick(ODD) : CHARS[r.int(CHARS.length)]!;
  return s;
}

export function mutateString(r: Xorshift, src: string): string {
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

// ---- fixtures ----------------------------------------------------------------------------------------

export const FUZZ_NOW = 1_700_000_000_000;
export const FUZZ_PASSPHRASE = 'pass phrase';
const BACKUP_N = 2 ** 10;

export interface FuzzFixtures {
  seed: number;
  alice: Identity;
  bob: Identity;
  /** bob's wrap key for alice. */
  wrap: Uint8Array;
  /** alice's post, sealed for bob. */
  env: Uint8Array;
  invite: string;
  inviteData: Invite;
  /** bob's answer to alice's invite. */
  request: FriendRequest;
  /** alice's identity, backed up under FUZZ_PASSPHRASE at scrypt N = 2^10. */
  backup: string;
}

/** Everything the properties start from, derived from the seed alone (in a fixed order: keep it). */
export function fuzzFixtures(seed: number): FuzzFixtures {
  const setup = new Xorshift(seed ^ 0xa5a5a5a5);
  const alice = generateIdentity('alice', setup.rng);
  const bob = generateIdentity('bob', setup.rng);
  const wrap = pairKeys(bob, alice).wrap;
  const [sealed] = sealPost(alice, { seq: 5, ts: FUZZ_NOW, body: 'fuzz me 😀' }, [{ sigPub: bob.sigPub, wrapKey: pairKeys(alice, bob).wrap }], setup.rng);
  const { code: invite, invite: inviteData } = createInvite(alice, { relay: 'wss://r.example', now: FUZZ_NOW }, setup.rng);
  const request = createFriendRequest(bob, inviteData, FUZZ_NOW, setup.rng);
  const backup = exportBackup(alice, FUZZ_PASSPHRASE, { scryptN: BACKUP_N, rng: setup.rng });
  return { seed, alice, bob, wrap, env: sealed!.envelope, invite, inviteData, request, backup };
}

// ---- properties ----------------------------------------------------------------------------------------

/** openPost / readHeader on random bytes and mutations of a valid envelope: BwError only; whatever opens is the original. */
export function fuzzEnvelopes(fx: FuzzFixtures, n: number): void {
  const { seed, alice, bob, wrap, env } = fx;
  const onlyBwError = bwErrorsOnly(seed);
  const r = new Xorshift(seed);
  const strict: OpenContext = { me: bob.sigPub, wrapKeyFor: (a) => (peerId(a) === peerId(alice.sigPub) ? wrap : undefined) };
  // A lookup that hands out the key for any author, so mutated authors still reach the AEAD.
  const sloppy: OpenContext = { me: bob.sigPub, wrapKeyFor: () => wrap, seen: () => r.int(8) === 0 };
  for (let i = 0; i < n; i++) {
    let input: Uint8Array;
    if (i % 2 === 0) {
      input = r.bytes(r.int(1500));
      if (r.int(2)) input[0] = 1; // get past the version check more often
      if (r.int(2) && input.length > 65) input.set(bob.sigPub, 33); // …and the recipient check
    } else {
      input = mutateBytes(r, env);
    }
    onlyBwError('readHeader', i, input, () => readHeader(input));
    for (const ctx of [strict, sloppy]) {
      const post = onlyBwError('openPost', i, input, () => openPost(input, ctx));
      // Non-malleability: anything that still opens is the original envelope, byte for byte.
      if (post && toB64u(input) !== toB64u(env)) throw new Error(`openPost accepted a changed envelope (seed ${seed}, iteration ${i}): ${describeInput(input)}`);
    }
  }
}

const inviteKey = (x: Invite): string => JSON.stringify([toHex(x.sigPub), toHex(x.dhPub), x.name, x.relay, x.expires, toHex(x.token)]);

/** readInvite / acceptInvite on random strings, links and mutations of a valid code: BwError only; whatever reads is the original. */
export function fuzzInvites(fx: FuzzFixtures, n: number): void {
  const { seed, bob, invite, inviteData } = fx;
  const onlyBwError = bwErrorsOnly(seed);
  const r = new Xorshift(seed + 1);
  for (let i = 0; i < n; i++) {
    const input = i % 3 === 0 ? mutateString(r, invite) : i % 3 === 1 ? `https://x/#invite=${mutateString(r, invite)}` : r.int(2) ? randomString(r) : 'bw1.' + randomString(r);
    const read = onlyBwError('readInvite', i, input, () => readInvite(input, FUZZ_NOW));
    if (read && input !== invite) throw new Error(`readInvite accepted a changed code (seed ${seed}, iteration ${i}): ${describeInput(input)}`);
    const accepted = onlyBwError('acceptInvite', i, input, () => acceptInvite(bob, input, FUZZ_NOW));
    if (accepted && inviteKey(accepted) !== inviteKey(inviteData)) throw new Error(`acceptInvite returned another invite (seed ${seed}, iteration ${i}): ${describeInput(input)}`);
  }
}

const identityKey = (x: Identity): string => JSON.stringify([x.name, toHex(x.sigSecret), toHex(x.sigPub), toHex(x.dhSecret), toHex(x.dhPub)]);

/** importBackup on random text and mutations of a valid backup (cost capped at 2^10): BwError only; whatever opens is alice. */
export function fuzzBackups(fx: FuzzFixtures, n: number): void {
  const { seed, alice, backup } = fx;
  const onlyBwError = bwErrorsOnly(seed);
  const r = new Xorshift(seed + 4);
  for (let i = 0; i < n; i++) {
    // Mutated backups mostly reach scrypt (~4 ms at 2^10 in Node): one in ten iterations.
    const input = capCost(i % 10 === 0 ? mutateString(r, backup) : r.int(2) ? BACKUP_PREFIX + randomString(r, 500) : randomString(r));
    const id = onlyBwError('importBackup', i, input, () => importBackup(input, FUZZ_PASSPHRASE));
    if (id && identityKey(id) !== identityKey(alice)) throw new Error(`importBackup returned another identity (seed ${seed}, iteration ${i}): ${describeInput(input)}`);
  }
}

/**
 * Keeps fuzzed backups at the cheapest cost: a random input that happens to ask for 2^11..2^20 is valid
 * (import would honour it) but would cost up to a GiB and seconds per run, which is not what this test is for.
 */
export function capCost(text: string): string {
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
