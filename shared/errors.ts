// Owns BwError: the one error type relay and client throw and answer with, and its stable code union.

/** Stable error codes. Add, never rename: clients match on them across versions. */
export const ERROR_CODES = [
  'bad-frame', // a message failed its schema
  'bad-encoding', // base64url / UTF-8 / binary layout is malformed
  'bad-version', // an envelope or protocol version we do not speak
  'bad-signature', // a signature does not verify
  'bad-ciphertext', // AEAD authentication failed (bit-flip, wrong key)
  'bad-invite', // invite code malformed or tampered
  'expired', // invite or challenge past its expiry
  'revoked', // an invite its maker withdrew (they removed the friend who had answered it)
  'self-invite', // accepting one's own invite
  'not-friend', // a post or request from a key we do not hold as friend
  'replay', // a post (author, seq) already seen, or a challenge reused
  'bad-device-list', // a device list whose layout or content breaks its rules (order, duplicate keys, names)
  'rollback', // a device list older than, or conflicting with, one already accepted for that identity
  'too-many-devices', // a device list over MAX_DEVICES
  'stale', // a device list riding along with someone else's item, to a reader holding none of that person's, whose age is over MAX_RIDING_LIST_AGE_MS or cannot be bounded
  'unknown-device', // a message from a device key that is not in the sender's accepted device list
  'bad-link', // a device-link code or link message that is malformed, or answers another link
  'link-used', // a device-link code that was already answered (each is good for one link)
  'out-of-order', // a sync chunk that is not the next one expected
  'oversize', // body or frame over its limit
  'unauthenticated', // relay call before auth:prove succeeded
  'offline', // signal target is not connected to the relay
  'busy', // signal target is not reading (the relay already holds as much for it as it will), or a data dir another bw holds
  'rate-limited', // too many frames per second (or too much costly work) from one connection or one key
  'quota', // recipient mailbox full
  'wrong-passphrase', // key backup passphrase does not open the backup
  'unavailable', // relay or peer unreachable
  'bad-request', // an HTTP request the relay cannot parse (malformed request line or headers)
  'bad-method', // an HTTP method the relay does not serve on that path
  'not-found', // no such file or endpoint on the relay
  'internal', // a bug on the answering side; details are logged there, not sent
  'bad-image', // a file that is not an image, or a corrupt or oversized one
  'not-author', // an edit or delete for someone else's post, or a profile card not signed by its subject
  'unknown-post', // a reply, reaction, edit or delete naming a post this reader does not have
  'usage', // a command line the terminal client cannot act on (missing argument, no way to ask for a passphrase)
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one error class of BrainWaves. `code` is stable; `message` is for humans. */
export class BwError extends Error {
  override readonly name = 'BwError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isBwError(e: unknown, code?: ErrorCode): e is BwError {
  return e instanceof BwError && (code === undefined || e.code === code);
}

/** The failure half of every ack on the wire. */
export interface Failure {
  ok: false;
  code: ErrorCode;
  message: string;
}

/** Turns any thrown value into a wire failure; non-BwErrors become 'internal' without leaking details. */
export function toFailure(e: unknown): Failure {
  if (e instanceof BwError) return { ok: false, code: e.code, message: e.message };
  return { ok: false, code: 'internal', message: 'internal error' };
}

/** Rebuilds a BwError from a wire failure (client side of an ack). */
export function fromFailure(f: Failure): BwError {
  const code = (ERROR_CODES as readonly string[]).includes(f.code) ? f.code : 'internal';
  return new BwError(code, f.message);
}
