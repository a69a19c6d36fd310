// Invite-code case tables (malformed, schema-failing, tampered) and the invite rejection table, shared by
// test/node/invite.test.ts and the Chromium suite.
import { acceptInvite, createInvite, extractInviteCode, INVITE_PREFIX, readInvite } from '../../shared/crypto/invite.js';
import { generateIdentity, sign, type Identity } from '../../shared/crypto/identity.js';
import { LABEL, signedMessage } from '../../shared/crypto/kdf.js';
import { fromB64u, fromUtf8, toB64u, utf8 } from '../../shared/bytes.js';
import { LIMITS } from '../../shared/protocol.js';
import type { RejectionCase } from './util.js';

/** The clock and relay both invite suites use. */
export const INVITE_NOW = 1_700_000_000_000;
export const INVITE_RELAY = 'wss://relay.example/bw';
/** The cast of the invite suites (fresh keys each call); 'Bob Builder' is the name the wire must not show. */
export const inviteCast = (): Record<'alice' | 'bob' | 'carol' | 'mallory', Identity> => ({
  alice: generateIdentity('Alice A.'),
  bob: generateIdentity('Bob Builder'),
  carol: generateIdentity('Carol'),
  mallory: generateIdentity('Mallory'),
});

/** Splits a code into its decoded card JSON and its signature part. */
export function partsOf(code: string): { card: Record<string, unknown>; sig: string } {
  const [card, sig] = code.slice(INVITE_PREFIX.length).split('.') as [string, string];
  return { card: JSON.parse(fromUtf8(fromB64u(card))) as Record<string, unknown>, sig };
}

/** Re-encodes a card (possibly edited) with a given signature part, without re-signing. */
export const recode = (card: unknown, sig: string): string => `${INVITE_PREFIX}${toB64u(utf8(JSON.stringify(card)))}.${sig}`;

/** Signs a card object properly with `who`'s key: for schema-failure cases, so only the schema is at fault. */
export function signedCode(card: unknown, who: Identity): string {
  const bytes = utf8(JSON.stringify(card));
  return `${INVITE_PREFIX}${toB64u(bytes)}.${toB64u(sign(signedMessage(LABEL.inviteSig, bytes), who.sigSecret))}`;
}

/** Texts that are no invite code at all (or a link cut short), built around a valid `code`: each → bad-invite. */
export function malformedInviteCodes(code: string): [what: string, text: string][] {
  const [card, sig] = code.slice(INVITE_PREFIX.length).split('.') as [string, string];
  return [
    ['empty', ''],
    ['garbage', 'hello there'],
    ['wrong prefix', `bw2.${card}.${sig}`],
    ['no prefix', `${card}.${sig}`],
    ['missing signature part', `${INVITE_PREFIX}${card}`],
    ['three parts', `${code}.AAAA`],
    ['empty parts', `${INVITE_PREFIX}.`],
    ['card not base64url', `${INVITE_PREFIX}${card.slice(0, -2)}+/.${sig}`],
    ['card length % 4 == 1', `${INVITE_PREFIX}AAAAA.${sig}`],
    ['signature too short', `${INVITE_PREFIX}${card}.${sig.slice(0, -4)}`],
    ['signature not base64url', `${INVITE_PREFIX}${card}.${sig.slice(0, -1)}=`],
    ['card not JSON', `${INVITE_PREFIX}${toB64u(utf8('not json {'))}.${sig}`],
    ['card not UTF-8', `${INVITE_PREFIX}${toB64u(Uint8Array.of(0x7b, 0xff, 0x7d))}.${sig}`],
    ['too long', `${INVITE_PREFIX}${'A'.repeat(LIMITS.maxInviteChars)}.${sig}`],
    ['link cut inside a %-escape', `https://x/#invite=${code}%E0%A4%A`],
  ];
}

/** Edits of a valid card that fail its schema; signed properly by the caller, each → bad-invite. */
export function schemaEdits(card: Record<string, unknown>): [what: string, card: Record<string, unknown>][] {
  return [
    ['JSON array', [] as unknown as Record<string, unknown>],
    ['version 2', { ...card, v: 2 }],
    ['missing key', { ...card, k: undefined }],
    ['key 31 bytes', { ...card, k: toB64u(new Uint8Array(31)) }],
    ['agreement key not base64url', { ...card, d: 'not/base64' }],
    ['empty name', { ...card, n: '' }],
    ['name over 64', { ...card, n: 'n'.repeat(65) }],
    ['relay over 512', { ...card, r: 'r'.repeat(513) }],
    ['expiry a string', { ...card, e: String(card.e) }],
    ['expiry fractional', { ...card, e: 1.5 }],
    ['expiry negative', { ...card, e: -1 }],
    ['token 15 bytes', { ...card, t: toB64u(new Uint8Array(15)) }],
  ];
}

/** Still-parseable codes whose card or signature was changed after signing: each → bad-signature. */
export function tamperedInviteCodes(code: string, otherCode: string, mallory: Identity): [what: string, text: string][] {
  const { card, sig } = partsOf(code);
  const other = partsOf(otherCode);
  const sigBytes = fromB64u(sig);
  sigBytes[10]! ^= 1;
  return [
    ['name changed', recode({ ...card, n: 'Mallory' }, sig)],
    ['expiry extended', recode({ ...card, e: (card.e as number) + 1 }, sig)],
    ['relay swapped', recode({ ...card, r: 'wss://evil.example' }, sig)],
    ['token swapped', recode({ ...card, t: toB64u(new Uint8Array(16)) }, sig)],
    ['agreement key swapped', recode({ ...card, d: toB64u(mallory.dhPub) }, sig)],
    ['signing key swapped (signature is alice’s)', recode({ ...card, k: toB64u(mallory.sigPub) }, sig)],
    ['another card’s signature', recode(card, other.sig)],
    ['signature bit-flip', recode(card, toB64u(sigBytes))],
    ['re-serialised with other whitespace', `${INVITE_PREFIX}${toB64u(utf8(JSON.stringify(card, null, 1)))}.${sig}`],
  ];
}

/** Every invite rejection code (bad-invite, bad-signature, expired, self-invite) as one table; bob accepts alice's invite. */
export function inviteRejections({ alice, bob, carol, mallory }: Record<'alice' | 'bob' | 'carol' | 'mallory', Identity>, now: number, relay: string): RejectionCase[] {
  const { code, invite } = createInvite(alice, { relay, now, ttlMs: 1000 });
  const otherCode = createInvite(carol, { relay, now }).code;
  return [
    ...malformedInviteCodes(code).flatMap(([what, text]): RejectionCase[] => [
      { what: `read: ${what}`, code: 'bad-invite', run: () => readInvite(extractInviteCode(text), now) },
      { what: `accept: ${what}`, code: 'bad-invite', run: () => acceptInvite(bob, text, now) },
    ]),
    { what: 'not a string', code: 'bad-invite', run: () => readInvite(undefined as unknown as string, now) },
    ...schemaEdits(partsOf(code).card).map(([what, card]): RejectionCase => ({ what: `schema: ${what}`, code: 'bad-invite', run: () => readInvite(signedCode(card, alice), now) })),
    ...tamperedInviteCodes(code, otherCode, mallory).map(([what, text]): RejectionCase => ({ what: `tampered: ${what}`, code: 'bad-signature', run: () => readInvite(text, now) })),
    { what: 'at the expiry instant', code: 'expired', run: () => readInvite(code, invite.expires) },
    { what: 'accepted after expiry', code: 'expired', run: () => acceptInvite(bob, code, invite.expires + 1) },
    { what: 'accepting one’s own invite', code: 'self-invite', run: () => acceptInvite(alice, code, now) },
    { what: 'accepting one’s own invite as a link', code: 'self-invite', run: () => acceptInvite({ sigPub: alice.sigPub }, `https://x/#invite=${encodeURIComponent(code)}`, now) },
  ];
}
