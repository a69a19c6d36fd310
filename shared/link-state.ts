// Owns the state a newly linked device receives in its sealed sync chunks (shared/crypto/link.ts): its format, version 1, with its limits and schema.
import * as v from 'valibot';
import { BwError } from './errors.js';
import { fromUtf8, utf8 } from './bytes.js';
import { parse } from './validate.js';
import { LINK_CHUNK_BYTES, MAX_SYNC_CHUNKS } from './crypto/link.js';
import { MAX_CONTENT_BYTES } from './crypto/content.js';
import { b64u, FriendEntrySchema, Key, Ms } from './sync-op.js';

/**
 * JSON, UTF-8, inside the link's sealed chunks (so authenticated as the primary's). What the primary holds that the
 * new device needs to be me at once: my friends with their keys and device lists, whom I blocked, my own posts (the
 * items the identity signed, so every reader can verify them again), and how far I have read. Never a secret key:
 * each device derives its own pairwise keys from its own keys.
 *
 * | field     | what                                                                                       |
 * |-----------|--------------------------------------------------------------------------------------------|
 * | v         | 1                                                                                          |
 * | friends   | mutual friends: sigPub, dhPub (base64url), name, added (ms), devices: their signed list item |
 * | blocked   | keys I blocked, and when                                                                   |
 * | mine      | my posts, newest first: each signed item (base64url) and, if one was chosen, its audience   |
 * | readUpTo  | my read mark (ms)                                                                          |
 */
export const LINK_STATE_VERSION = 1;
/** Friends and blocked keys a link carries: as many as the relay lets one device watch. */
export const MAX_LINK_FRIENDS = 1000;
/** My newest posts a link carries; older ones stay on the devices that hold them. */
export const MAX_LINK_POSTS = 10_000;
export const MAX_LINK_STATE_BYTES = LINK_CHUNK_BYTES * MAX_SYNC_CHUNKS;

export const LinkStateSchema = v.strictObject({
  v: v.literal(LINK_STATE_VERSION),
  friends: v.pipe(v.array(FriendEntrySchema), v.maxLength(MAX_LINK_FRIENDS)),
  blocked: v.pipe(v.array(v.strictObject({ key: Key, at: Ms })), v.maxLength(MAX_LINK_FRIENDS)),
  mine: v.pipe(v.array(v.strictObject({ item: b64u(MAX_CONTENT_BYTES), list: v.optional(v.pipe(v.string(), v.maxLength(64))), to: v.optional(v.pipe(v.array(Key), v.maxLength(MAX_LINK_FRIENDS))) })), v.maxLength(MAX_LINK_POSTS)),
  readUpTo: Ms,
});
export type LinkState = v.InferOutput<typeof LinkStateSchema>;

export function encodeLinkState(s: LinkState): Uint8Array {
  const bytes = utf8(JSON.stringify(parse(LinkStateSchema, s, 'link state')));
  if (bytes.length > MAX_LINK_STATE_BYTES) throw new BwError('oversize', `link state is ${bytes.length} bytes, max ${MAX_LINK_STATE_BYTES}`);
  return bytes;
}

/** The state as the new device got it, checked against the schema (its items are verified again where they are used). */
export function decodeLinkState(bytes: Uint8Array): LinkState {
  if (bytes.length > MAX_LINK_STATE_BYTES) throw new BwError('oversize', `link state is ${bytes.length} bytes, max ${MAX_LINK_STATE_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new BwError('bad-encoding', 'link state is not JSON');
  }
  return parse(LinkStateSchema, json, 'link state');
}
