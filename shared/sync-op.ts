// Owns what one device of mine tells my other devices to stay in step (friend added, removed or blocked; my read mark): the ops a sync item carries, and the friend entry a link's state shares with them.
import * as v from 'valibot';
import { MAX_NAME_LEN } from './crypto/identity.js';
import { MAX_DEVICE_LIST_BYTES } from './crypto/devices.js';

/**
 * A sync item (content v2, kind 'sync', shared/crypto/content.ts) is signed by the device that made the change and
 * sealed only to my other devices; each applies it as if done there, without telling the others again.
 *
 * | op       | fields            | who may send it                                                    |
 * |----------|-------------------|--------------------------------------------------------------------|
 * | friend   | friend (entry)    | the device that holds the identity (only it can befriend)          |
 * | unfriend | key               | any device of mine                                                 |
 * | block    | key, at           | any device of mine                                                 |
 * | read     | upTo (ms)         | any device of mine: read up to that time on the sender's clock     |
 *
 * A friend entry is a mutual friend as my devices need them: public keys, name, when added, and their signed device
 * list item if I hold one (verified again by the reader, never trusted on my say-so). Sent again when their list
 * changes, so every device of mine seals to all of a friend's devices.
 */
export const Key = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'must be a 43-char base64url 32-byte key'));
export const Ms = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
export const b64u = (maxBytes: number) => v.pipe(v.string(), v.maxLength(Math.ceil((maxBytes * 4) / 3)), v.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'));

/** A friend's signed device-list item: the list plus the item's head and JSON around it. */
const MAX_LIST_ITEM_BYTES = Math.ceil((MAX_DEVICE_LIST_BYTES * 4) / 3) + 1024;

export const FriendEntrySchema = v.strictObject({
  sigPub: Key,
  dhPub: Key,
  name: v.pipe(v.string(), v.maxLength(MAX_NAME_LEN)),
  added: Ms,
  devices: v.optional(b64u(MAX_LIST_ITEM_BYTES)),
});
export type FriendEntry = v.InferOutput<typeof FriendEntrySchema>;

export const SyncOpSchema = v.variant('op', [
  v.strictObject({ op: v.literal('friend'), friend: FriendEntrySchema }),
  v.strictObject({ op: v.literal('unfriend'), key: Key }),
  v.strictObject({ op: v.literal('block'), key: Key, at: Ms }),
  v.strictObject({ op: v.literal('read'), upTo: Ms }),
]);
export type SyncOp = v.InferOutput<typeof SyncOpSchema>;
