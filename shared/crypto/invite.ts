// Owns invite codes (signed, expiring cards carrying public keys) and the encrypted friend request that answers one.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import * as v from 'valibot';
import { BwError } from '../errors.js';
import { concat, equalBytes, fromB64u, fromB64uLen, fromUtf8, toB64u, utf8 } from '../bytes.js';
import { parse } from '../validate.js';
import { LIMITS, type FriendRequest } from '../protocol.js';
import { defaultRng, KEY_LEN, MAX_NAME_LEN, sign, SIG_LEN, verifySig, type Identity, type PublicIdentity, type Rng } from './identity.js';
import { deriveKey, LABEL, signedMessage } from './kdf.js';
import { pairKeys } from './pairwise.js';

export const INVITE_PREFIX = 'bw1.';
export const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;
const TOKEN_LEN = 16;
const NONCE_LEN = 24;

const CardSchema = v.object({
  v: v.literal(1),
  k: v.string(),
  d: v.string(),
  n: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NAME_LEN)),
  r: v.pipe(v.string(), v.maxLength(512)),
  e: v.pipe(v.number(), v.integer(), v.minValue(0)),
  t: v.string(),
});

/** A verified invite (or a requester's card). */
export interface Invite extends PublicIdentity {
  relay: string;
  expires: number;
  token: Uint8Array;
}

/**
 * The invite's tag for the relay (signaling/presence.ts): the inviter accepts it, whoever holds the invite presents it,
 * and the relay lets the holder see the inviter and send it a friend request. One-way (HKDF) from the token, so the
 * relay matches the two without learning the token that the encrypted friend request proves.
 */
export function inviteTag(token: Uint8Array): string {
  return toB64u(deriveKey(token, LABEL.inviteTag, new Uint8Array(0), 16));
}

/** Makes a signed invite code: `bw1.` ‖ base64url(JSON card) ‖ `.` ‖ base64url(Ed25519 signature). */
export function createInvite(me: Identity, opts: { relay: string; now: number; ttlMs?: number; token?: Uint8Array }, rng: Rng = defaultRng): { code: string; invite: Invite } {
  const token = opts.token ?? rng(TOKEN_LEN);
  const invite: Invite = { sigPub: me.sigPub, dhPub: me.dhPub, name: me.name, relay: opts.relay, expires: opts.now + (opts.ttlMs ?? INVITE_TTL_MS), token };
  const card = utf8(JSON.stringify({ v: 1, k: toB64u(me.sigPub), d: toB64u(me.dhPub), n: me.name, r: opts.relay, e: invite.expires, t: toB64u(token) }));
  const sig = sign(signedMessage(LABEL.inviteSig, card), me.sigSecret);
  return { code: `${INVITE_PREFIX}${toB64u(card)}.${toB64u(sig)}`, invite };
}

/** An invite as a link: `page` (the client page that opens it) with the code in its fragment, read back by extractInviteCode. */
export const inviteLink = (code: string, page: string): string => new URL(`#invite=${encodeURIComponent(code)}`, page).href;

/** Extracts a code from a pasted link (`…#invite=CODE`) or the bare code, trimming whitespace. */
export function extractInviteCode(text: string): string {
  if (typeof text !== 'string') throw new BwError('bad-invite', 'invite code must be text');
  const t = text.trim();
  const at = t.indexOf('#invite=');
  if (at < 0) return t;
  try {
    return decodeURIComponent(t.slice(at + '#invite='.length));
  } catch {
    // URIError on a broken %-escape (a link cut mid-escape): a BwError like every other bad code.
    throw new BwError('bad-invite', 'invite link is garbled (was it copied whole?)');
  }
}

/** Decodes and verifies an invite code. Every failure is a BwError with a named code. */
export function readInvite(code: string, now: number): Invite {
  const bad = (why: string) => new BwError('bad-invite', `invite code ${why}`);
  if (typeof code !== 'string' || code.length > LIMITS.maxInviteChars) throw bad('is too long');
  if (!code.startsWith(INVITE_PREFIX)) throw bad(`must start with "${INVITE_PREFIX}"`);
  const parts = code.slice(INVITE_PREFIX.length).split('.');
  if (parts.length !== 2) throw bad('must have two parts');
  let card: Uint8Array;
  let sig: Uint8Array;
  let json: unknown;
  try {
    card = fromB64u(parts[0]!, 'invite card');
    sig = fromB64uLen(parts[1]!, SIG_LEN, 'invite signature');
    json = JSON.parse(fromUtf8(card, 'invite card'));
  } catch {
    throw bad('is garbled (was it copied whole?)');
  }
  let c: v.InferOutput<typeof CardSchema>;
  let sigPub: Uint8Array;
  let dhPub: Uint8Array;
  let token: Uint8Array;
  try {
    c = parse(CardSchema, json, 'invite');
    sigPub = fromB64uLen(c.k, KEY_LEN, 'invite key');
    dhPub = fromB64uLen(c.d, KEY_LEN, 'invite agreement key');
    token = fromB64uLen(c.t, TOKEN_LEN, 'invite token');
  } catch (e) {
    throw bad(`is malformed: ${(e as Error).message}`);
  }
  if (!verifySig(sig, signedMessage(LABEL.inviteSig, card), sigPub)) throw new BwError('bad-signature', 'invite code was tampered with (signature does not verify)');
  if (c.e <= now) throw new BwError('expired', 'invite code has expired; ask for a new one');
  return { sigPub, dhPub, name: c.n, relay: c.r, expires: c.e, token };
}

/** Accepting an invite: refuses one's own. */
export function acceptInvite(me: Pick<Identity, 'sigPub'>, code: string, now: number): Invite {
  const inv = readInvite(extractInviteCode(code), now);
  if (equalBytes(inv.sigPub, me.sigPub)) throw new BwError('self-invite', 'this is your own invite; send it to a friend');
  return inv;
}

/**
 * The answer to an invite, sent to the inviter through the relay: the requester's own signed card,
 * carrying the invite's token, encrypted under the pair's request key so the relay learns neither
 * the token nor the name.
 */
export function createFriendRequest(me: Identity, invite: Invite, now: number, rng: Rng = defaultRng): FriendRequest {
  const { code } = createInvite(me, { relay: invite.relay, now, ttlMs: 24 * 3600 * 1000, token: invite.token }, rng);
  const nonce = rng(NONCE_LEN);
  const key = pairKeys(me, invite).request;
  const box = concat(nonce, xchacha20poly1305(key, nonce, utf8(LABEL.pairRequest)).encrypt(utf8(code)));
  return { kind: 'friend-request', k: toB64u(me.sigPub), d: toB64u(me.dhPub), box: toB64u(box) };
}

/** Opens a friend request; the caller checks the returned token against the invites it issued. */
export function openFriendRequest(me: Identity, req: FriendRequest, now: number): Invite {
  const sigPub = fromB64uLen(req.k, KEY_LEN, 'requester key');
  const dhPub = fromB64uLen(req.d, KEY_LEN, 'requester agreement key');
  const box = fromB64u(req.box, 'friend request');
  if (box.length < NONCE_LEN + 16) throw new BwError('bad-encoding', 'friend request is too short');
  let code: string;
  try {
    const key = pairKeys(me, { sigPub, dhPub }).request;
    code = fromUtf8(xchacha20poly1305(key, box.subarray(0, NONCE_LEN), utf8(LABEL.pairRequest)).decrypt(box.subarray(NONCE_LEN)));
  } catch (e) {
    if (e instanceof BwError && e.code !== 'bad-encoding') throw e;
    throw new BwError('bad-ciphertext', 'friend request failed authentication');
  }
  const card = readInvite(code, now);
  if (!equalBytes(card.sigPub, sigPub) || !equalBytes(card.dhPub, dhPub)) throw new BwError('bad-signature', 'friend request keys do not match its signed card');
  return card;
}
