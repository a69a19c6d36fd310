// Owns device linking: the new device's one-time offer code, answer and reveal, the short authentication string, and the sealed provision and sync chunks.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { BwError } from '../errors.js';
import { concat, equalBytes, fromB64u, fromUtf8, readU64be, toB64u, u64be, utf8 } from '../bytes.js';
import { defaultRng, KEY_LEN, SIG_LEN, type Rng } from './identity.js';
import { deriveKey, LABEL, signedMessage } from './kdf.js';
import { bindDevice, checkName, DEVICE_ID_LEN, MAX_DEVICE_LIST_BYTES, MAX_DEVICE_NAME_BYTES, requireDevice, verifyBinding, verifyDeviceList, type Device, type DeviceKeys, type DeviceList } from './devices.js';
import { openItem, type SignedItem } from './content.js';

/**
 * Linking a new device to an identity, in three messages and a sealed stream (Signal's provisioning: an ephemeral
 * key in a QR code; Matrix's SAS verification: commit, then reveal, then compare a short code on both screens).
 *
 *   1. offer   new → existing, out of band: the `bwlink1.` code, as a QR code or pasted text
 *   2. answer  existing → new, through the relay: the existing device's ephemeral key and the identity it links to
 *   3. reveal  new → existing, through the relay: the nonce the offer committed to, and the new device's binding
 *   both:      shared = X25519(own ephemeral, other's ephemeral) (RFC 7748 §6.1)
 *              th     = SHA-256(LABEL.linkTranscript ‖ 0x00 ‖ offer ‖ answer ‖ reveal)
 *              key    = HKDF-SHA256(shared, LABEL.linkChannel ‖ th), 32 bytes
 *              sas    = HKDF-SHA256(shared, LABEL.linkSas ‖ th), 5 bytes → 6 decimal digits, shown on both screens
 *   4. provision existing → new, sealed: the new device list (with the new device), the identity's signed profile card
 *      and the sync manifest; then the numbered sync chunks, sealed the same way.
 *
 * Why the commitment: a code pasted through something the user does not control can be swapped. A man in the middle
 * then holds one key exchange with each side and, if it could choose its answer to the new device after seeing
 * everything else, could try keys until both screens showed the same 6 digits (2^20 tries). The offer commits to a
 * nonce the new device reveals only after the answer has arrived, so the answer is fixed before the new device's SAS
 * can be known, and each side's code is a fresh 1-in-10^6 draw for the attacker. A code is good for one answer.
 *
 * Offer (`bwlink1.` ‖ base64url of):
 *
 * | off  | len | field                                                                   |
 * |------|-----|-------------------------------------------------------------------------|
 * | 0    | 1   | version = 1                                                             |
 * | 1    | 16  | link id (random, one-time)                                              |
 * | 17   | 8   | expires, ms since the epoch, u64be                                      |
 * | 25   | 32  | new device's ephemeral X25519 public key                                |
 * | 57   | 32  | commitment = SHA-256(LABEL.linkCommit ‖ 0x00 ‖ link id ‖ nonce (32))    |
 * | 89   | 16  | new device's id                                                         |
 * | 105  | 32  | new device's Ed25519 public key                                         |
 * | 137  | 32  | new device's X25519 public key                                          |
 * | 169  | 1   | name length N (1..128)                                                  |
 * | 170  | N   | device name, UTF-8 (devices.ts rules)                                   |
 * | +N   | 1   | relay URL length R (1..255)                                             |
 * | +1   | R   | relay URL, UTF-8: http(s) or ws(s)                                      |
 *
 * Answer (113 bytes): version = 1 ‖ link id (16) ‖ existing device's ephemeral X25519 key (32) ‖ identity Ed25519
 * key (32) ‖ answering device's Ed25519 key (32).
 *
 * Reveal (113 bytes): version = 1 ‖ link id (16) ‖ nonce (32) ‖ the new device's binding to that identity (64,
 * devices.ts bindDevice), which the existing device puts in the new list.
 *
 * Sealed message (provision: kind 1, index 0, total 1; sync chunk: kind 2, index 0..total-1):
 *
 * | off | len  | field                                                                     |
 * |-----|------|---------------------------------------------------------------------------|
 * | 0   | 1    | version = 1                                                               |
 * | 1   | 1    | kind                                                                      |
 * | 2   | 16   | link id                                                                   |
 * | 18  | 32   | sending device's Ed25519 key (must be in the provisioned device list)     |
 * | 50  | 4    | index u32be                                                               |
 * | 54  | 4    | total u32be                                                               |
 * | 58  | 24   | nonce (XChaCha20, random)                                                 |
 * | 82  | n+16 | XChaCha20-Poly1305(channel key, nonce, AAD = bytes 0..58) of the payload, |
 * |     |      |   n ≤ LINK_CHUNK_BYTES                                                    |
 *
 * Provision payload: device list length u16be ‖ device list (devices.ts) ‖ profile length u16be ‖ the identity's
 * signed profile item (content.ts) ‖ sync chunk count u32be ‖ sync byte count u64be.
 */
export const LINK_PREFIX = 'bwlink1.';
export const LINK_VERSION = 1;
export const LINK_ID_LEN = 16;
export const LINK_TTL_MS = 10 * 60 * 1000;
/** Longest lifetime a code may claim (plus LINK_CLOCK_SKEW_MS): bounds how long a used-id set must remember an id. */
export const MAX_LINK_TTL_MS = 60 * 60 * 1000;
export const LINK_CLOCK_SKEW_MS = 5 * 60 * 1000;
export const MAX_RELAY_URL_BYTES = 255;
const NONCE_LEN = 32;
const AEAD_NONCE_LEN = 24;
const TAG_LEN = 16;
const OFFER_FIXED = 1 + LINK_ID_LEN + 8 + KEY_LEN + 32 + DEVICE_ID_LEN + KEY_LEN + KEY_LEN + 1; // 170
export const MAX_LINK_OFFER_BYTES = OFFER_FIXED + MAX_DEVICE_NAME_BYTES + 1 + MAX_RELAY_URL_BYTES; // 554
/** The offer as text: prefix + base64url, 747 characters at most (<bw-qr> at ECC M: version 22, 105 modules; a typical code, ~610 chars, version 19). */
export const MAX_LINK_CODE_CHARS = LINK_PREFIX.length + Math.ceil((MAX_LINK_OFFER_BYTES * 4) / 3);
export const LINK_ANSWER_BYTES = 1 + LINK_ID_LEN + KEY_LEN + KEY_LEN + KEY_LEN; // 113
export const LINK_REVEAL_BYTES = 1 + LINK_ID_LEN + NONCE_LEN + SIG_LEN; // 113
/** Payload of one sealed message: small enough for a data-channel message, a signal frame or a mailbox envelope. */
export const LINK_CHUNK_BYTES = 8 * 1024;
/** Sync chunks one link may carry (32 MiB: far above 100 friends and 1,000 posts; images go as blobs). */
export const MAX_SYNC_CHUNKS = 4096;
const SEALED_HEAD = 1 + 1 + LINK_ID_LEN + KEY_LEN + 4 + 4; // 58
const SEALED_OFF_CT = SEALED_HEAD + AEAD_NONCE_LEN; // 82
export const MAX_LINK_SEALED_BYTES = SEALED_OFF_CT + LINK_CHUNK_BYTES + TAG_LEN; // 8290
const KIND_PROVISION = 1;
const KIND_CHUNK = 2;

/** What the offer says: parsed and bounded, not yet trusted (the SAS comparison is what authenticates it). */
export interface LinkOffer {
  linkId: Uint8Array;
  expires: number;
  eph: Uint8Array;
  commit: Uint8Array;
  device: Pick<Device, 'id' | 'sigPub' | 'dhPub' | 'name'>;
  relay: string;
  bytes: Uint8Array;
}

/** The new device's side after making an offer: the code to show, and the secrets it keeps until the reveal. */
export interface LinkStart {
  offer: LinkOffer;
  code: string;
  ephSecret: Uint8Array;
  nonce: Uint8Array;
}

export interface LinkAnswer {
  linkId: Uint8Array;
  eph: Uint8Array;
  identity: Uint8Array;
  device: Uint8Array;
  bytes: Uint8Array;
}

/** The existing device's side after answering: kept until the reveal arrives. */
export interface LinkResponder {
  offer: LinkOffer;
  answer: LinkAnswer;
  ephSecret: Uint8Array;
}

/** Both sides after the reveal: the same key and SAS on each, if no one stood in the middle. */
export interface LinkSession {
  linkId: Uint8Array;
  /** XChaCha20-Poly1305 key of the provision and the sync chunks. */
  key: Uint8Array;
  /** "123 456": shown on both screens; the user confirms they match before the existing device sends anything. */
  sas: string;
  /** The identity the new device joins. */
  identity: Uint8Array;
  /** The new device, bound to the identity (its entry for the new list, less `added`). */
  device: Omit<Device, 'added'>;
  /** The answering (existing) device's Ed25519 key: the sender of the provision and the chunks. */
  answerer: Uint8Array;
}

/** Something that remembers answered link ids (linkKey), e.g. a Set<string>: keep each until its offer expires. */
export interface UsedLinks {
  has(key: string): boolean;
}

/** The string a used-id set keeps for a link. */
export const linkKey = (linkId: Uint8Array): string => toB64u(linkId);

/** Refuses a link id that is already in `used`. */
export function checkUnused(linkId: Uint8Array, used?: UsedLinks): void {
  if (used?.has(linkKey(linkId))) throw new BwError('link-used', 'this link code was already used; make a new one on the new device');
}

/**
 * The link's tag for the relay's presence rules, as inviteTag is for an invite: the new device accepts it, the
 * existing device presents it, so each may see and signal the other without being friends. One-way from the id.
 */
export const linkTag = (linkId: Uint8Array): string => toB64u(deriveKey(linkId, LABEL.linkTag, new Uint8Array(0), 16));

const commitment = (linkId: Uint8Array, nonce: Uint8Array): Uint8Array => sha256(signedMessage(LABEL.linkCommit, linkId, nonce));

function checkRelay(relay: string): void {
  const b = utf8(relay);
  if (b.length < 1 || b.length > MAX_RELAY_URL_BYTES) throw new BwError('bad-link', `relay URL must be 1 to ${MAX_RELAY_URL_BYTES} bytes`);
  let u: URL;
  try {
    u = new URL(relay);
  } catch {
    throw new BwError('bad-link', 'relay is not a URL');
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) throw new BwError('bad-link', 'relay URL must be http(s) or ws(s)');
}

/** The new device's first step: draws the link id, then the ephemeral X25519 secret, then the commitment nonce. */
export function createLinkOffer(dev: DeviceKeys, opts: { name: string; relay: string; now: number; ttlMs?: number }, rng: Rng = defaultRng): LinkStart {
  const ttl = opts.ttlMs ?? LINK_TTL_MS;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_LINK_TTL_MS) throw new BwError('bad-link', `a link code lives 1 ms to ${MAX_LINK_TTL_MS} ms`);
  checkName(opts.name);
  checkRelay(opts.relay);
  const linkId = rng(LINK_ID_LEN);
  const ephSecret = rng(KEY_LEN);
  const nonce = rng(NONCE_LEN);
  const name = utf8(opts.name);
  const relay = utf8(opts.relay);
  const expires = opts.now + ttl;
  const bytes = concat(
    Uint8Array.of(LINK_VERSION), linkId, u64be(expires), x25519.getPublicKey(ephSecret), commitment(linkId, nonce),
    dev.id, dev.sigPub, dev.dhPub, Uint8Array.of(name.length), name, Uint8Array.of(relay.length), relay,
  );
  const offer = decodeOffer(bytes);
  return { offer, code: LINK_PREFIX + toB64u(bytes), ephSecret, nonce };
}

/** The offer's layout (lengths before reads, no trailing bytes). */
function decodeOffer(bytes: Uint8Array): LinkOffer {
  const bad = (why: string) => new BwError('bad-link', `link code ${why}`);
  if (bytes.length < 1) throw bad('is empty');
  if (bytes[0] !== LINK_VERSION) throw new BwError('bad-version', `unknown link code version ${bytes[0]}`);
  if (bytes.length > MAX_LINK_OFFER_BYTES) throw new BwError('oversize', `link code is ${bytes.length} bytes, max ${MAX_LINK_OFFER_BYTES}`);
  if (bytes.length < OFFER_FIXED + 1 + 1 + 1) throw bad('is cut short (was it copied whole?)');
  const nameLen = bytes[OFFER_FIXED - 1]!;
  if (nameLen < 1 || nameLen > MAX_DEVICE_NAME_BYTES || OFFER_FIXED + nameLen + 1 > bytes.length) throw bad('has a bad device name length');
  const relayLen = bytes[OFFER_FIXED + nameLen]!;
  if (OFFER_FIXED + nameLen + 1 + relayLen !== bytes.length) throw bad('has a bad length (was it copied whole?)');
  let name: string;
  let relay: string;
  try {
    name = fromUtf8(bytes.subarray(OFFER_FIXED, OFFER_FIXED + nameLen), 'device name');
    relay = fromUtf8(bytes.subarray(OFFER_FIXED + nameLen + 1), 'relay URL');
    checkName(name);
  } catch (e) {
    throw bad(`is malformed: ${(e as Error).message}`);
  }
  checkRelay(relay);
  return {
    linkId: bytes.slice(1, 17),
    expires: readU64be(bytes, 17),
    eph: bytes.slice(25, 57),
    commit: bytes.slice(57, 89),
    device: { id: bytes.slice(89, 105), sigPub: bytes.slice(105, 137), dhPub: bytes.slice(137, 169), name },
    relay,
    bytes: bytes.slice(),
  };
}

/** A pasted link (`…#link=CODE`) or a bare code, whitespace trimmed. */
/** A link code as a link: `page` (the client page that opens it) with the code in its fragment, read back by extractLinkCode. */
export const linkLink = (code: string, page: string): string => new URL(`#link=${code}`, page).href;

export function extractLinkCode(text: string): string {
  if (typeof text !== 'string') throw new BwError('bad-link', 'link code must be text');
  const t = text.trim();
  const at = t.indexOf('#link=');
  return at < 0 ? t : t.slice(at + '#link='.length);
}

/**
 * The existing device reads a scanned or pasted code: layout, then 'expired' (or 'bad-link' for an expiry further
 * ahead than any code may live), then 'link-used' if `used` already holds its id.
 */
export function readLinkOffer(text: string, now: number, used?: UsedLinks): LinkOffer {
  const code = extractLinkCode(text);
  if (code.length > MAX_LINK_CODE_CHARS) throw new BwError('oversize', `link code is over ${MAX_LINK_CODE_CHARS} characters`);
  if (!code.startsWith(LINK_PREFIX)) throw new BwError('bad-link', `link code must start with "${LINK_PREFIX}"`);
  let bytes: Uint8Array;
  try {
    bytes = fromB64u(code.slice(LINK_PREFIX.length), 'link code');
  } catch {
    throw new BwError('bad-link', 'link code is garbled (was it copied whole?)');
  }
  const offer = decodeOffer(bytes);
  if (offer.expires <= now) throw new BwError('expired', 'link code has expired; make a new one on the new device');
  if (offer.expires > now + MAX_LINK_TTL_MS + LINK_CLOCK_SKEW_MS) throw new BwError('bad-link', 'link code claims to live longer than any may');
  checkUnused(offer.linkId, used);
  return offer;
}

/**
 * The existing device answers an offer for `identity` (whose secret it holds: only that device can sign the new list).
 * Draws the ephemeral X25519 secret. The caller adds linkKey(offer.linkId) to its used set.
 */
export function answerLink(offer: LinkOffer, me: { identity: Uint8Array; device: Uint8Array }, rng: Rng = defaultRng): LinkResponder {
  const ephSecret = rng(KEY_LEN);
  const bytes = concat(Uint8Array.of(LINK_VERSION), offer.linkId, x25519.getPublicKey(ephSecret), me.identity, me.device);
  return { offer, answer: decodeAnswer(bytes, offer.linkId), ephSecret };
}

function fixedMessage(bytes: Uint8Array, len: number, linkId: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1) throw new BwError('bad-link', `${what} is empty`);
  if (bytes[0] !== LINK_VERSION) throw new BwError('bad-version', `unknown ${what} version ${bytes[0]}`);
  if (bytes.length !== len) throw new BwError('bad-link', `${what} is ${bytes.length} bytes, not ${len}`);
  if (!equalBytes(bytes.subarray(1, 17), linkId)) throw new BwError('bad-link', `${what} is for another link`);
}

function decodeAnswer(bytes: Uint8Array, linkId: Uint8Array): LinkAnswer {
  fixedMessage(bytes, LINK_ANSWER_BYTES, linkId, 'link answer');
  return { linkId: bytes.slice(1, 17), eph: bytes.slice(17, 49), identity: bytes.slice(49, 81), device: bytes.slice(81, 113), bytes: bytes.slice() };
}

/** Both sides: the shared secret, the transcript, the channel key and the SAS. */
function deriveSession(ephSecret: Uint8Array, peerEph: Uint8Array, offer: Uint8Array, answer: Uint8Array, reveal: Uint8Array): { key: Uint8Array; sas: string } {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(ephSecret, peerEph); // RFC 7748 §6.1; noble rejects an all-zero result (low-order point)
  } catch {
    throw new BwError('bad-link', 'ephemeral key is not a valid X25519 public key');
  }
  const th = sha256(signedMessage(LABEL.linkTranscript, offer, answer, reveal));
  return { key: deriveKey(shared, LABEL.linkChannel, th), sas: sasDigits(deriveKey(shared, LABEL.linkSas, th, 5)) };
}

/** 40 bits → 6 decimal digits "123 456" (mod 10^6: a bias under 2^-20, irrelevant for a comparison). */
function sasDigits(b: Uint8Array): string {
  let n = 0;
  for (const x of b) n = n * 256 + x;
  const s = String(n % 1_000_000).padStart(6, '0');
  return `${s.slice(0, 3)} ${s.slice(3)}`;
}

/**
 * The new device reads the answer (once: a second answer to the same code is 'link-used', which the caller tracks
 * by adding linkKey to `used` when it accepts one) and reveals its nonce with its binding to the answer's identity.
 */
export function revealLink(start: LinkStart, dev: DeviceKeys, answerBytes: Uint8Array, used?: UsedLinks): { reveal: Uint8Array; session: LinkSession } {
  checkUnused(start.offer.linkId, used);
  const answer = decodeAnswer(answerBytes, start.offer.linkId);
  if (!equalBytes(dev.sigPub, start.offer.device.sigPub) || !equalBytes(dev.id, start.offer.device.id)) throw new BwError('bad-link', 'these device keys did not make this offer');
  const bind = bindDevice(answer.identity, dev);
  const reveal = concat(Uint8Array.of(LINK_VERSION), start.offer.linkId, start.nonce, bind);
  const { key, sas } = deriveSession(start.ephSecret, answer.eph, start.offer.bytes, answer.bytes, reveal);
  return { reveal, session: { linkId: start.offer.linkId, key, sas, identity: answer.identity, device: { ...start.offer.device, bind }, answerer: answer.device } };
}

/**
 * The existing device reads the reveal: the nonce must open the offer's commitment ('bad-link': someone changed the
 * offer or the reveal), and the binding must be the offered device key's ('bad-signature').
 */
export function acceptReveal(r: LinkResponder, revealBytes: Uint8Array): LinkSession {
  fixedMessage(revealBytes, LINK_REVEAL_BYTES, r.offer.linkId, 'link reveal');
  const nonce = revealBytes.subarray(17, 49);
  if (!equalBytes(commitment(r.offer.linkId, nonce), r.offer.commit)) throw new BwError('bad-link', 'link reveal does not open the code\'s commitment');
  const device = { ...r.offer.device, bind: revealBytes.slice(49, 113) };
  if (!verifyBinding(r.answer.identity, device)) throw new BwError('bad-signature', 'the new device did not bind itself to this identity');
  const { key, sas } = deriveSession(r.ephSecret, r.offer.eph, r.offer.bytes, r.answer.bytes, revealBytes);
  return { linkId: r.offer.linkId, key, sas, identity: r.answer.identity, device, answerer: r.answer.device };
}

function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new BwError('bad-encoding', `u32 out of range: ${n}`);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
const readU32be = (b: Uint8Array, at: number): number => ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
const u16be = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);
const readU16be = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

function sealMessage(s: LinkSession, kind: number, index: number, total: number, payload: Uint8Array, rng: Rng): Uint8Array {
  if (payload.length > LINK_CHUNK_BYTES) throw new BwError('oversize', `link message is ${payload.length} bytes, max ${LINK_CHUNK_BYTES}`);
  const head = concat(Uint8Array.of(LINK_VERSION, kind), s.linkId, s.answerer, u32be(index), u32be(total));
  const nonce = rng(AEAD_NONCE_LEN);
  return concat(head, nonce, xchacha20poly1305(s.key, nonce, head).encrypt(payload));
}

/** The header of a sealed message, checked in the order the named errors are documented; then the payload. */
function openMessage(s: LinkSession, bytes: Uint8Array, kind: number, list: DeviceList | undefined): { index: number; total: number; payload: Uint8Array } {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1) throw new BwError('bad-link', 'link message is empty');
  if (bytes[0] !== LINK_VERSION) throw new BwError('bad-version', `unknown link message version ${bytes[0]}`);
  if (bytes.length > MAX_LINK_SEALED_BYTES) throw new BwError('oversize', `link message is ${bytes.length} bytes, max ${MAX_LINK_SEALED_BYTES}`);
  if (bytes.length < SEALED_OFF_CT + TAG_LEN) throw new BwError('bad-link', 'link message is cut short');
  if (bytes[1] !== kind) throw new BwError('bad-link', `link message is of kind ${bytes[1]}, not ${kind}`);
  if (!equalBytes(bytes.subarray(2, 18), s.linkId)) throw new BwError('bad-link', 'link message is for another link');
  const from = bytes.subarray(18, 50);
  if (list) requireDevice(list, from);
  else if (!equalBytes(from, s.answerer)) throw new BwError('unknown-device', 'link message is not from the device that answered');
  let payload: Uint8Array;
  try {
    payload = xchacha20poly1305(s.key, bytes.subarray(SEALED_HEAD, SEALED_OFF_CT), bytes.subarray(0, SEALED_HEAD)).decrypt(bytes.subarray(SEALED_OFF_CT));
  } catch {
    throw new BwError('bad-ciphertext', 'link message failed authentication');
  }
  return { index: readU32be(bytes, 50), total: readU32be(bytes, 54), payload };
}

/** How the sync stream is cut: `chunks` sealed chunks carrying `bytes` bytes in all. */
export interface SyncManifest {
  chunks: number;
  bytes: number;
}

/** The manifest of a sync stream of `bytes` bytes: ceil(bytes / LINK_CHUNK_BYTES) chunks. */
export function syncManifest(bytes: number): SyncManifest {
  const chunks = Math.ceil(bytes / LINK_CHUNK_BYTES);
  if (!Number.isSafeInteger(bytes) || bytes < 0 || chunks > MAX_SYNC_CHUNKS) throw new BwError('oversize', `a link carries at most ${MAX_SYNC_CHUNKS * LINK_CHUNK_BYTES} bytes of state`);
  return { chunks, bytes };
}

/** What the new device receives first. */
export interface Provision {
  /** The identity's new device list, the new device in it: verified for the session's identity. */
  list: DeviceList;
  /** The identity's signed profile card (content.ts 'profile' item, signed by the identity). */
  profile: SignedItem;
  manifest: SyncManifest;
}

/**
 * The existing device seals the provision, after the user confirmed the SAS matches. `list` must be signed by the
 * session's identity and hold the new device exactly as it bound itself, and the answering device.
 */
export function sealProvision(s: LinkSession, p: { list: DeviceList; profile: Uint8Array; manifest: SyncManifest }, rng: Rng = defaultRng): Uint8Array {
  checkProvision(s, p.list);
  const payload = concat(u16be(p.list.bytes.length), p.list.bytes, u16be(p.profile.length), p.profile, u32be(p.manifest.chunks), u64be(p.manifest.bytes));
  return sealMessage(s, KIND_PROVISION, 0, 1, payload, rng);
}

function checkProvision(s: LinkSession, list: DeviceList): void {
  if (!equalBytes(list.identity, s.identity)) throw new BwError('bad-device-list', 'provisioned device list is of another identity');
  const mine = list.devices.find((d) => equalBytes(d.id, s.device.id));
  if (!mine || !equalBytes(mine.sigPub, s.device.sigPub) || !equalBytes(mine.dhPub, s.device.dhPub) || !equalBytes(mine.bind, s.device.bind)) {
    throw new BwError('bad-device-list', 'provisioned device list does not hold the new device as it bound itself');
  }
  requireDevice(list, s.answerer);
}

/**
 * The new device opens the provision: the message, then the list (verifyDeviceList for the session's identity), the
 * new device in it, the sender in it, the profile card signed by the identity, and a manifest that adds up.
 */
export function openProvision(s: LinkSession, bytes: Uint8Array): Provision {
  const { index, total, payload } = openMessage(s, bytes, KIND_PROVISION, undefined);
  const bad = (why: string) => new BwError('bad-link', `provision ${why}`);
  if (index !== 0 || total !== 1) throw bad('is numbered as a chunk');
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (at + n > payload.length) throw bad('is cut short');
    return payload.subarray(at, (at += n));
  };
  const listLen = readU16be(take(2), 0);
  if (listLen > MAX_DEVICE_LIST_BYTES) throw bad('carries an oversized device list');
  const list = verifyDeviceList(take(listLen).slice(), s.identity);
  const profile = openItem(take(readU16be(take(2), 0)));
  const chunks = readU32be(take(4), 0);
  const syncBytes = readU64be(take(8), 0);
  if (at !== payload.length) throw bad('has bytes after its manifest');
  checkProvision(s, list);
  if (!equalBytes(profile.signer, s.identity) || profile.item.kind !== 'profile') throw new BwError('not-author', 'provisioned profile card is not the identity\'s');
  const manifest = syncManifest(syncBytes);
  if (manifest.chunks !== chunks) throw bad(`says ${chunks} chunks for ${syncBytes} bytes`);
  return { list, profile, manifest };
}

/** The existing device cuts the sync stream into sealed chunks, numbered 0..total-1, each bound to the link and its place. */
export function sealSync(s: LinkSession, data: Uint8Array, rng: Rng = defaultRng): Uint8Array[] {
  const { chunks } = syncManifest(data.length);
  const out: Uint8Array[] = [];
  for (let i = 0; i < chunks; i++) out.push(sealMessage(s, KIND_CHUNK, i, chunks, data.subarray(i * LINK_CHUNK_BYTES, (i + 1) * LINK_CHUNK_BYTES), rng));
  return out;
}

/**
 * The new device opens the chunk it expects next (`expected`, from 0). Refusals, in order: 'bad-link' (not a chunk of
 * this link), 'unknown-device' (the sender is not in the provisioned list), 'bad-ciphertext', 'bad-link' (a total other
 * than the manifest's), 'out-of-order' (an authentic chunk, but not the next: the caller asks again from `expected`),
 * 'bad-link' (a chunk of the wrong length). Nothing is returned
 * for a refused chunk, so what the caller already stored stays as it is.
 */
export function openSyncChunk(s: LinkSession, p: Pick<Provision, 'list' | 'manifest'>, bytes: Uint8Array, expected: number): Uint8Array {
  const { index, total, payload } = openMessage(s, bytes, KIND_CHUNK, p.list);
  if (total !== p.manifest.chunks) throw new BwError('bad-link', `chunk says ${total} chunks, the provision ${p.manifest.chunks}`);
  if (index !== expected) throw new BwError('out-of-order', `chunk ${index} arrived where ${expected} was expected`);
  const want = Math.min(LINK_CHUNK_BYTES, p.manifest.bytes - index * LINK_CHUNK_BYTES);
  if (payload.length !== want) throw new BwError('bad-link', `chunk ${index} is ${payload.length} bytes, not ${want}`);
  return payload;
}
