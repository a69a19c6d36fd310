// Owns the content format v2 inside a sealed envelope: signed items (post, reply, reaction, edit, delete, profile, devices, sync) and the bundle that carries them.
import * as v from 'valibot';
import { sha256 } from '@noble/hashes/sha2.js';
import { BwError } from '../errors.js';
import { concat, fromB64u, fromUtf8, toB64u, u64be, utf8 } from '../bytes.js';
import { ImageRefSchema, MAX_AVATAR_SIDE, MAX_PHOTOS, PhotoRefSchema, type ImageRef, type PhotoRef } from '../photo-ref.js';
import { defaultRng, KEY_LEN, MAX_NAME_LEN, sign, SIG_LEN, verifySig, type Identity, type Rng } from './identity.js';
import { LABEL, signedMessage } from './kdf.js';
import { decodeDeviceList, MAX_DEVICE_LIST_BYTES } from './devices.js';
import { SyncOpSchema } from '../sync-op.js';

/**
 * Content v2: what an envelope v2 (envelope.ts) carries once opened. A bundle of 1..3 signed items:
 *
 * | off | len | field                                                  |
 * |-----|-----|--------------------------------------------------------|
 * | 0   | 1   | item count n (1..MAX_BUNDLE_ITEMS)                     |
 * | 1   | …   | n × ( length u16be ‖ signed item )                     |
 *
 * A signed item stands alone, so a third party can verify it after it was passed on:
 *
 * | off | len | field                                                                      |
 * |-----|-----|----------------------------------------------------------------------------|
 * | 0   | 32  | signer's Ed25519 public key                                                |
 * | 32  | 64  | Ed25519 signature over LABEL.itemSig ‖ 0x00 ‖ signer ‖ body                 |
 * | 96  | n   | body: UTF-8 JSON, one of the ItemSchema kinds below                        |
 *
 * The signature covers the item's id, ts and kind and nothing recipient-specific (the per-recipient stream number
 * lives in the envelope's key wrap), so the same signed bytes are valid wherever a post's author passes them on.
 * Items name posts by Ref { a: author key, id: 16-byte id }, both base64url. A profile item's `ts` is its version.
 * A devices item carries the signer's signed device list (devices.ts, base64url); the list's own version orders them.
 * A sync item carries one op (shared/sync-op.ts) from one of my devices to my others; nobody else is sealed it.
 */
export const CONTENT_VERSION = 2;
export const MAX_TEXT_CHARS = 280;
export const MAX_BIO_CHARS = 160;
/** An avatar's encrypted blob (256 px on its longest side comes to far less). */
export const MAX_AVATAR_BYTES = 128 * 1024;
export const MAX_BUNDLE_ITEMS = 3;
/** The whole bundle: a post with 4 photos at the longest alt texts, or a reply with its author's profile card, fits. */
export const MAX_CONTENT_BYTES = 16 * 1024;
export const ITEM_ID_LEN = 16;
const ITEM_HEAD = KEY_LEN + SIG_LEN; // 96

const Id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{21}[AQgw]$/, 'must be a 22-char base64url 16-byte id'));
const Key = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'must be a 43-char base64url key'));
const Ts = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
/** Lengths are checked after the schema, so an over-long text is 'oversize' rather than 'bad-frame'. */
const Text = v.pipe(v.string(), v.maxLength(MAX_TEXT_CHARS * 8));
export const RefSchema = v.object({ a: Key, id: Id });
export type Ref = v.InferOutput<typeof RefSchema>;

const base = { v: v.literal(CONTENT_VERSION), id: Id, ts: Ts };
export const ItemSchema = v.variant('kind', [
  v.object({ ...base, kind: v.literal('post'), text: Text, photos: v.optional(v.array(v.unknown())) }),
  v.object({ ...base, kind: v.literal('reply'), to: RefSchema, text: Text }),
  /** `emoji` null withdraws my reaction. */
  v.object({ ...base, kind: v.literal('reaction'), to: RefSchema, emoji: v.nullable(v.pipe(v.string(), v.maxLength(64))) }),
  v.object({ ...base, kind: v.literal('edit'), to: RefSchema, text: Text }),
  v.object({ ...base, kind: v.literal('delete'), to: RefSchema }),
  v.object({ ...base, kind: v.literal('profile'), name: v.pipe(v.string(), v.maxLength(MAX_NAME_LEN * 8)), bio: v.pipe(v.string(), v.maxLength(MAX_BIO_CHARS * 8)), avatar: v.optional(v.unknown()) }),
  v.object({ ...base, kind: v.literal('devices'), list: v.pipe(v.string(), v.maxLength(Math.ceil((MAX_DEVICE_LIST_BYTES * 4) / 3))) }),
  v.object({ ...base, kind: v.literal('sync'), op: SyncOpSchema }),
]);
type RawItem = v.InferOutput<typeof ItemSchema>;
/** A checked item: photos and avatar validated, lengths within their limits. */
export type Item =
  | (Omit<Extract<RawItem, { kind: 'post' }>, 'photos'> & { photos?: PhotoRef[] })
  | Exclude<RawItem, { kind: 'post' | 'profile' }>
  | (Omit<Extract<RawItem, { kind: 'profile' }>, 'avatar'> & { avatar?: ImageRef });
export type ItemKind = Item['kind'];
/** What an author writes; `v` is filled in. */
export type ItemInput = Item extends infer I ? (I extends Item ? Omit<I, 'v'> : never) : never;

/** An item whose signature verified: who signed it, what it says, and the exact bytes (to pass on). */
export interface SignedItem {
  signer: Uint8Array;
  item: Item;
  bytes: Uint8Array;
}

/** User-perceived length: code points, as the composer counts. */
export const chars = (s: string): number => [...s].length;
const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[\u200d\ufe0f\u20e3\p{Emoji_Modifier}#*0-9])+$/u;

/** A fresh 16-byte item id (base64url): random, so two devices of one person never pick the same. */
export const newItemId = (rng: Rng = defaultRng): string => toB64u(rng(ITEM_ID_LEN));

/** The id a v1 post gets in the feed (v1 had none): derived from its author and seq, so every reader agrees on it. */
export const v1PostId = (author: Uint8Array, seq: number): string => toB64u(sha256(concat(utf8(LABEL.v1PostId), author, u64be(seq))).subarray(0, ITEM_ID_LEN));

function checkText(text: string, what: string): void {
  if (chars(text) > MAX_TEXT_CHARS) throw new BwError('oversize', `${what} is over ${MAX_TEXT_CHARS} characters`);
}

/** Checks what a schema cannot name precisely: lengths ('oversize'), images ('bad-image'), emoji ('bad-frame'). */
export function checkItem(raw: RawItem | Omit<RawItem, 'v'>): Item {
  const item = { ...raw, v: CONTENT_VERSION } as RawItem;
  switch (item.kind) {
    case 'post': {
      checkText(item.text, 'post');
      const photos = item.photos;
      if (photos === undefined) {
        if (!item.text.trim()) throw new BwError('bad-frame', 'a post needs text or a photo');
        return item as Item;
      }
      if (photos.length > MAX_PHOTOS) throw new BwError('oversize', `a post carries at most ${MAX_PHOTOS} photos`);
      const checked = photos.map((p, i) => {
        const r = v.safeParse(PhotoRefSchema, p);
        if (!r.success) throw new BwError('bad-image', `photo ${i + 1}: ${r.issues[0].message}`);
        return r.output;
      });
      if (!item.text.trim() && !checked.length) throw new BwError('bad-frame', 'a post needs text or a photo');
      return { ...item, photos: checked };
    }
    case 'reply':
    case 'edit':
      checkText(item.text, item.kind);
      if (!item.text.trim()) throw new BwError('bad-frame', `an empty ${item.kind}`);
      return item;
    case 'reaction':
      if (item.emoji !== null && (!EMOJI.test(item.emoji) || chars(item.emoji) > 8)) throw new BwError('bad-frame', 'a reaction is one emoji');
      return item;
    case 'delete':
      return item;
    case 'profile': {
      const name = item.name.trim();
      if (!name) throw new BwError('bad-frame', 'a profile needs a name');
      if (chars(item.name) > MAX_NAME_LEN) throw new BwError('oversize', `display name is over ${MAX_NAME_LEN} characters`);
      if (chars(item.bio) > MAX_BIO_CHARS) throw new BwError('oversize', `bio is over ${MAX_BIO_CHARS} characters`);
      if (item.avatar === undefined) return item as Item;
      const r = v.safeParse(ImageRefSchema, item.avatar);
      if (!r.success) throw new BwError('bad-image', `avatar: ${r.issues[0].message}`);
      const a = r.output;
      if (a.w > MAX_AVATAR_SIDE || a.h > MAX_AVATAR_SIDE) throw new BwError('bad-image', `avatar is over ${MAX_AVATAR_SIDE} px on a side`);
      if (a.bytes > MAX_AVATAR_BYTES) throw new BwError('bad-image', `avatar is over ${MAX_AVATAR_BYTES} bytes`);
      return { ...item, avatar: a };
    }
    case 'devices':
      decodeDeviceList(fromB64u(item.list, 'device list')); // its layout; the signatures are checked against the signer on admission
      return item;
    case 'sync':
      return item;
  }
}

const itemSigMessage = (signer: Uint8Array, body: Uint8Array): Uint8Array => signedMessage(LABEL.itemSig, signer, body);

/** Checks and signs an item: signer ‖ signature ‖ JSON body. */
export function signItem(author: Pick<Identity, 'sigPub' | 'sigSecret'>, input: ItemInput): SignedItem {
  const item = checkItem(input as RawItem);
  const body = utf8(JSON.stringify(item));
  const bytes = concat(author.sigPub, sign(itemSigMessage(author.sigPub, body), author.sigSecret), body);
  if (bytes.length > MAX_CONTENT_BYTES - 3) throw new BwError('oversize', `item is ${bytes.length} bytes`);
  return { signer: author.sigPub, item, bytes };
}

/** Verifies a signed item (the signature first, then the JSON and its limits). Throws BwError only. */
export function openItem(bytes: Uint8Array): SignedItem {
  if (bytes.length < ITEM_HEAD + 2) throw new BwError('bad-encoding', `signed item is ${bytes.length} bytes`);
  const signer = bytes.slice(0, KEY_LEN);
  const body = bytes.subarray(ITEM_HEAD);
  if (!verifySig(bytes.subarray(KEY_LEN, ITEM_HEAD), itemSigMessage(signer, body), signer)) throw new BwError('bad-signature', 'item signature does not verify');
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(body, 'item'));
  } catch (e) {
    if (e instanceof BwError) throw e;
    throw new BwError('bad-encoding', 'item is not JSON');
  }
  const r = v.safeParse(ItemSchema, json);
  if (!r.success) {
    if (json && typeof json === 'object' && 'v' in json && json.v !== CONTENT_VERSION) throw new BwError('bad-version', `unknown content version ${String(json.v)}`);
    const issue = r.issues[0];
    throw new BwError('bad-frame', `item: ${issue.path?.map((p) => String(p.key)).join('.') || '(root)'}: ${issue.message}`);
  }
  return { signer, item: checkItem(r.output), bytes: bytes.slice() };
}

/** Packs 1..MAX_BUNDLE_ITEMS signed items into one envelope's content. */
export function encodeBundle(items: readonly Uint8Array[]): Uint8Array {
  if (items.length < 1 || items.length > MAX_BUNDLE_ITEMS) throw new BwError('bad-frame', `a bundle holds 1 to ${MAX_BUNDLE_ITEMS} items`);
  const parts: Uint8Array[] = [Uint8Array.of(items.length)];
  for (const b of items) parts.push(Uint8Array.of(b.length >> 8, b.length & 0xff), b);
  const out = concat(...parts);
  if (out.length > MAX_CONTENT_BYTES) throw new BwError('oversize', `content is ${out.length} bytes, max ${MAX_CONTENT_BYTES}`);
  return out;
}

/** Unpacks and verifies every item of a bundle; lengths are checked before anything is parsed. */
export function decodeBundle(content: Uint8Array): SignedItem[] {
  if (content.length > MAX_CONTENT_BYTES) throw new BwError('oversize', `content is ${content.length} bytes`);
  const n = content[0] ?? 0;
  if (n < 1 || n > MAX_BUNDLE_ITEMS) throw new BwError('bad-encoding', `bundle of ${n} items`);
  const out: SignedItem[] = [];
  let at = 1;
  for (let i = 0; i < n; i++) {
    if (at + 2 > content.length) throw new BwError('bad-encoding', 'bundle is cut short');
    const len = (content[at]! << 8) | content[at + 1]!;
    at += 2;
    if (at + len > content.length) throw new BwError('bad-encoding', 'bundle item is cut short');
    out.push(openItem(content.subarray(at, at + len)));
    at += len;
  }
  if (at !== content.length) throw new BwError('bad-encoding', 'bytes after the last bundle item');
  return out;
}

/** `author:id`: how a post is named in stores and views. */
export const refKey = (r: Ref): string => `${r.a}:${r.id}`;
