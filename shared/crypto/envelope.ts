// Owns the sealed envelope (v1: one signed post; v2: a signed content bundle and a per-friend stream number): encrypt once, content key wrapped per friend.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { BwError } from '../errors.js';
import { concat, equalBytes, fromUtf8, readU64be, u64be, utf8 } from '../bytes.js';
import { defaultRng, KEY_LEN, sign, SIG_LEN, verifySig, type Identity, type Rng } from './identity.js';
import { LABEL, signedMessage } from './kdf.js';
import { decodeBundle, MAX_CONTENT_BYTES, type SignedItem } from './content.js';

/**
 * Envelope v1, one per recipient (the content ciphertext is shared, the key wrap is not):
 *
 * | off | len | field                                                                  |
 * |-----|-----|------------------------------------------------------------------------|
 * | 0   | 1   | version = 1                                                            |
 * | 1   | 32  | author Ed25519 public key                                              |
 * | 33  | 32  | recipient Ed25519 public key                                           |
 * | 65  | 24  | nonce (XChaCha20, random per post)                                     |
 * | 89  | 48  | content key sealed under the pair's wrap key, AAD = bytes 0..89        |
 * | 137 | n+16| XChaCha20-Poly1305(content key, nonce, AAD = bytes 0..33 ‖ nonce) of   |
 * |     |     |   seq u64be ‖ ts u64be ‖ Ed25519 signature (64) ‖ body UTF-8            |
 *
 * The signature covers label ‖ author ‖ seq ‖ ts ‖ body, so a post stays attributable after decryption.
 * Reusing the nonce across the two AEAD calls is safe: they use unrelated keys.
 */
export const ENVELOPE_VERSION = 1;
export const ENVELOPE_V2 = 2;
export const MAX_BODY_CHARS = 280;
export const MAX_BODY_BYTES = MAX_BODY_CHARS * 4; // worst case UTF-8
const NONCE_LEN = 24;
const TAG_LEN = 16;
const OFF_AUTHOR = 1;
const OFF_RECIPIENT = OFF_AUTHOR + KEY_LEN; // 33
const OFF_NONCE = OFF_RECIPIENT + KEY_LEN; // 65
const OFF_WRAP = OFF_NONCE + NONCE_LEN; // 89
const OFF_CONTENT = OFF_WRAP + KEY_LEN + TAG_LEN; // 137
const INNER_FIXED = 8 + 8 + SIG_LEN; // 80
export const MIN_ENVELOPE_BYTES = OFF_CONTENT + INNER_FIXED + TAG_LEN; // 233
export const MAX_V1_ENVELOPE_BYTES = MIN_ENVELOPE_BYTES + MAX_BODY_BYTES; // 1353

/**
 * Envelope v2, one per recipient: the same header, but the key wrap also carries the recipient's stream number, and
 * the content is a bundle of signed items (content.ts) with no recipient-specific data in it.
 *
 * | off | len | field                                                                  |
 * |-----|-----|------------------------------------------------------------------------|
 * | 0   | 1   | version = 2                                                            |
 * | 1   | 32  | author Ed25519 public key (the sender; items inside may be passed on)  |
 * | 33  | 32  | recipient Ed25519 public key                                           |
 * | 65  | 24  | nonce (XChaCha20, random per send)                                     |
 * | 89  | 56  | XChaCha20-Poly1305(pair wrap key, nonce, AAD = bytes 0..89) of         |
 * |     |     |   content key (32) ‖ stream u64be                                      |
 * | 145 | n+16| XChaCha20-Poly1305(content key, nonce, AAD = bytes 0..33 ‖ nonce) of   |
 * |     |     |   the content bundle (content.ts), n ≤ MAX_CONTENT_BYTES               |
 *
 * `stream` numbers what the author sent this one recipient, 1, 2, 3… without gaps: a friend outside a post's
 * audience sees no hole where it would have been. Only the pair holds the wrap key, so the stream number is
 * authenticated between the two; the items' own signatures are what a third party checks.
 */
const OFF_CONTENT_V2 = OFF_WRAP + KEY_LEN + 8 + TAG_LEN; // 145
export const MIN_V2_ENVELOPE_BYTES = OFF_CONTENT_V2 + 1 + TAG_LEN; // 162
export const MAX_V2_ENVELOPE_BYTES = OFF_CONTENT_V2 + MAX_CONTENT_BYTES + TAG_LEN; // 16545
/** The largest envelope of any version: what the relay and the data channel carry. */
export const MAX_ENVELOPE_BYTES = Math.max(MAX_V1_ENVELOPE_BYTES, MAX_V2_ENVELOPE_BYTES);

/** A post as its author wrote it, after verification. */
export interface Post {
  author: Uint8Array;
  seq: number;
  ts: number;
  body: string;
}

export interface Recipient {
  sigPub: Uint8Array;
  /** PairKeys.wrap for this friend. */
  wrapKey: Uint8Array;
}

export interface Sealed {
  to: Uint8Array;
  envelope: Uint8Array;
}

/** Counts user-perceived length as code points, the way the composer's counter does. */
export const bodyLength = (body: string): number => [...body].length;

export function checkBody(body: string): void {
  if (bodyLength(body) > MAX_BODY_CHARS) throw new BwError('oversize', `post is over ${MAX_BODY_CHARS} characters`);
}

const postSigMessage = (author: Uint8Array, seq: number, ts: number, body: Uint8Array): Uint8Array =>
  signedMessage(LABEL.postSig, author, u64be(seq), u64be(ts), body);

/** Signs once, encrypts once, wraps the content key once per recipient. */
export function sealPost(author: Pick<Identity, 'sigPub' | 'sigSecret'>, post: Omit<Post, 'author'>, recipients: readonly Recipient[], rng: Rng = defaultRng): Sealed[] {
  checkBody(post.body);
  const body = utf8(post.body);
  const seq = u64be(post.seq);
  const ts = u64be(post.ts);
  const sig = sign(postSigMessage(author.sigPub, post.seq, post.ts, body), author.sigSecret);
  const contentKey = rng(KEY_LEN);
  const nonce = rng(NONCE_LEN);
  const head = concat(new Uint8Array([ENVELOPE_VERSION]), author.sigPub);
  const content = xchacha20poly1305(contentKey, nonce, concat(head, nonce)).encrypt(concat(seq, ts, sig, body));
  return recipients.map(({ sigPub, wrapKey }) => {
    const env = new Uint8Array(OFF_CONTENT + content.length);
    env.set(head, 0);
    env.set(sigPub, OFF_RECIPIENT);
    env.set(nonce, OFF_NONCE);
    env.set(xchacha20poly1305(wrapKey, nonce, env.subarray(0, OFF_WRAP)).encrypt(contentKey), OFF_WRAP);
    env.set(content, OFF_CONTENT);
    return { to: sigPub, envelope: env };
  });
}

/** What the cheap, key-free header parse reveals: enough to route and to pick the key. */
export interface EnvelopeHeader {
  version: number;
  author: Uint8Array;
  recipient: Uint8Array;
}

/** Checks version and length before anything else (so a relay can route without any key). */
export function readHeader(env: Uint8Array): EnvelopeHeader {
  if (!(env instanceof Uint8Array)) throw new BwError('bad-encoding', 'envelope must be bytes');
  if (env.length < 1) throw new BwError('bad-encoding', 'envelope is empty');
  if (env[0] !== ENVELOPE_VERSION && env[0] !== ENVELOPE_V2) throw new BwError('bad-version', `unknown envelope version ${env[0]}`);
  const [min, max] = env[0] === ENVELOPE_VERSION ? [MIN_ENVELOPE_BYTES, MAX_V1_ENVELOPE_BYTES] : [MIN_V2_ENVELOPE_BYTES, MAX_V2_ENVELOPE_BYTES];
  if (env.length > max) throw new BwError('oversize', `envelope is ${env.length} bytes, max ${max}`);
  if (env.length < min) throw new BwError('bad-encoding', `envelope is ${env.length} bytes, min ${min}`);
  return { version: env[0]!, author: env.slice(OFF_AUTHOR, OFF_RECIPIENT), recipient: env.slice(OFF_RECIPIENT, OFF_NONCE) };
}

export interface OpenContext {
  /** My Ed25519 public key: the envelope must be addressed to it. */
  me: Uint8Array;
  /** PairKeys.wrap for a friend, or undefined if the author is not a friend. */
  wrapKeyFor(author: Uint8Array): Uint8Array | undefined;
  /** True if (author, seq) was already accepted. */
  seen?(author: Uint8Array, seq: number): boolean;
}

/** Opens and verifies an envelope. Throws BwError only: every failure has its own code. */
export function openPost(env: Uint8Array, ctx: OpenContext): Post {
  const { author, recipient, version } = readHeader(env);
  if (version !== ENVELOPE_VERSION) throw new BwError('bad-version', `openPost reads envelope v1, not v${version} (openEnvelope reads both)`);
  if (!equalBytes(recipient, ctx.me)) throw new BwError('not-friend', 'envelope is addressed to someone else');
  const wrapKey = ctx.wrapKeyFor(author);
  if (!wrapKey) throw new BwError('not-friend', 'post from someone who is not a friend');
  const nonce = env.subarray(OFF_NONCE, OFF_WRAP);
  let inner: Uint8Array;
  try {
    const contentKey = xchacha20poly1305(wrapKey, nonce, env.subarray(0, OFF_WRAP)).decrypt(env.subarray(OFF_WRAP, OFF_CONTENT));
    inner = xchacha20poly1305(contentKey, nonce, concat(env.subarray(0, OFF_RECIPIENT), nonce)).decrypt(env.subarray(OFF_CONTENT));
  } catch {
    throw new BwError('bad-ciphertext', 'envelope failed authentication');
  }
  const seq = readU64be(inner, 0);
  const ts = readU64be(inner, 8);
  const sig = inner.subarray(16, 16 + SIG_LEN);
  const bodyBytes = inner.subarray(INNER_FIXED);
  if (!verifySig(sig, postSigMessage(author, seq, ts, bodyBytes), author)) throw new BwError('bad-signature', 'post signature does not verify');
  const body = fromUtf8(bodyBytes, 'post body');
  checkBody(body);
  if (ctx.seen?.(author, seq)) throw new BwError('replay', `post ${seq} from this author was already received`);
  return { author, seq, ts, body };
}

export interface StreamRecipient extends Recipient {
  /** The next number of what I send this recipient (envelope v2's per-pair stream). */
  stream: number;
}

/** Envelope v2: encrypts the bundle once, wraps its key and each recipient's stream number per recipient. */
export function sealContent(author: Pick<Identity, 'sigPub'>, content: Uint8Array, recipients: readonly StreamRecipient[], rng: Rng = defaultRng): Sealed[] {
  if (content.length > MAX_CONTENT_BYTES) throw new BwError('oversize', `content is ${content.length} bytes, max ${MAX_CONTENT_BYTES}`);
  const contentKey = rng(KEY_LEN);
  const nonce = rng(NONCE_LEN);
  const head = concat(new Uint8Array([ENVELOPE_V2]), author.sigPub);
  const sealed = xchacha20poly1305(contentKey, nonce, concat(head, nonce)).encrypt(content);
  return recipients.map(({ sigPub, wrapKey, stream }) => {
    const env = new Uint8Array(OFF_CONTENT_V2 + sealed.length);
    env.set(head, 0);
    env.set(sigPub, OFF_RECIPIENT);
    env.set(nonce, OFF_NONCE);
    env.set(xchacha20poly1305(wrapKey, nonce, env.subarray(0, OFF_WRAP)).encrypt(concat(contentKey, u64be(stream))), OFF_WRAP);
    env.set(sealed, OFF_CONTENT_V2);
    return { to: sigPub, envelope: env };
  });
}

/** An opened envelope of either version: who sent it, its number in the sender's stream to me, and its items. */
export interface Opened {
  version: 1 | 2;
  author: Uint8Array;
  /** v1: the author's post seq; v2: the pair stream number. */
  seq: number;
  /** v1: the post itself; v2: every item of the bundle, each signature verified. */
  post?: Post;
  items: SignedItem[];
  /**
   * v2: why the content was refused (a bad signature inside, a bio too long…) although the envelope itself opened:
   * the sender and stream number are authentic, so the receiver still counts its place in the stream. `items` is empty.
   */
  refused?: BwError;
}

/** Opens either version; v2 items are verified one by one (their signer may be someone other than the sender). */
export function openEnvelope(env: Uint8Array, ctx: OpenContext): Opened {
  const { author, recipient, version } = readHeader(env);
  if (version === ENVELOPE_VERSION) {
    const post = openPost(env, ctx);
    return { version: 1, author: post.author, seq: post.seq, post, items: [] };
  }
  if (!equalBytes(recipient, ctx.me)) throw new BwError('not-friend', 'envelope is addressed to someone else');
  const wrapKey = ctx.wrapKeyFor(author);
  if (!wrapKey) throw new BwError('not-friend', 'envelope from someone who is not a friend');
  const nonce = env.subarray(OFF_NONCE, OFF_WRAP);
  let wrapped: Uint8Array;
  let content: Uint8Array;
  try {
    wrapped = xchacha20poly1305(wrapKey, nonce, env.subarray(0, OFF_WRAP)).decrypt(env.subarray(OFF_WRAP, OFF_CONTENT_V2));
    content = xchacha20poly1305(wrapped.subarray(0, KEY_LEN), nonce, concat(env.subarray(0, OFF_RECIPIENT), nonce)).decrypt(env.subarray(OFF_CONTENT_V2));
  } catch {
    throw new BwError('bad-ciphertext', 'envelope failed authentication');
  }
  const seq = readU64be(wrapped, KEY_LEN);
  if (ctx.seen?.(author, seq)) throw new BwError('replay', `envelope ${seq} from this author was already received`);
  try {
    return { version: 2, author, seq, items: decodeBundle(content) };
  } catch (e) {
    if (!(e instanceof BwError)) throw e;
    return { version: 2, author, seq, items: [], refused: e };
  }
}
