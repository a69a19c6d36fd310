// The fixed vectors of test/vectors/envelope-v1.json, recomputed: one list of named checks per vector, run by both
// test/node/vectors.test.ts (Node) and test/browser/crypto.test.ts (Chromium), so both prove the same bytes.
import { openPost, readHeader, sealPost } from '../../shared/crypto/envelope.js';
import { fingerprint, generateIdentity, safetyNumber, type Identity } from '../../shared/crypto/identity.js';
import { createFriendRequest, createInvite, inviteTag, openFriendRequest, readInvite } from '../../shared/crypto/invite.js';
import { mailboxAllowTag, pairKeys } from '../../shared/crypto/pairwise.js';
import type { FriendRequest } from '../../shared/protocol.js';
import { openBlob, sealBlob, type BlobMime } from '../../shared/crypto/blob.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { fromHex, queueRng, toHex, type Check } from './util.js';

/** Secrets of one identity, as stored in the vectors file. */
export interface Keys {
  name: string;
  sigSecret: string;
  dhSecret: string;
  sigPub: string;
  dhPub: string;
}

export interface Vectors {
  envelope: {
    name: string;
    author: Keys;
    recipient: Keys;
    seq: number;
    ts: number;
    body: string;
    contentKey: string;
    nonce: string;
    pairWrapKey: string;
    pairRequestKey: string;
    /** Author → recipient mailbox capability and the recipient's allow tag for it; computed with node:crypto, not @noble. */
    pairMailboxCap: string;
    mailboxAllowTag: string;
    envelope: string;
  }[];
  fingerprint: { name: string; identity: Keys; fingerprint: string }[];
  safetyNumber: { name: string; a: Keys; b: Keys; safetyNumber: string }[];
  /** relayTag: the invite's presence tag (base64url), computed independently of this code (Python's hmac/hashlib HKDF). */
  invite: { name: string; identity: Keys; relay: string; now: number; ttlMs: number; token: string; code: string; relayTag: string }[];
  friendRequest: { name: string; inviter: Keys; requester: Keys; inviteCode: string; now: number; nonce: string; request: FriendRequest }[];
}

/** The least the file must hold of each kind; a vectors file that lost a section fails loudly. */
export const MIN_VECTORS: Record<keyof Vectors, number> = { envelope: 3, fingerprint: 2, safetyNumber: 2, invite: 1, friendRequest: 1 };

/** One vector: its test name and the checks recomputed from its fixed inputs (run lazily, inside the test). */
export interface VectorCase {
  name: string;
  checks(): Check[];
}

/** The vectors by kind, in the order and with the names the Node suite has always used. */
export function vectorGroups(vectors: Vectors): { group: string; cases: VectorCase[] }[] {
  return [
    { group: 'envelope v1', cases: vectors.envelope.map((v) => named(v.name, `envelope vector "${v.name}"`, (where, out) => envelopeChecks(v, where, out))) },
    { group: 'fingerprint', cases: vectors.fingerprint.map((v) => named(v.name, `fingerprint vector "${v.name}"`, (where, out) => fingerprintChecks(v, where, out))) },
    { group: 'safety number', cases: vectors.safetyNumber.map((v) => named(v.name, `safety number vector "${v.name}"`, (where, out) => safetyChecks(v, where, out))) },
    { group: 'invite code', cases: vectors.invite.map((v) => named(v.name, `invite vector "${v.name}"`, (where, out) => inviteChecks(v, where, out))) },
    { group: 'friend request', cases: vectors.friendRequest.map((v) => named(v.name, `friend request vector "${v.name}"`, (where, out) => friendRequestChecks(v, where, out))) },
  ];
}

/**
 * Runs a vector's computations. An exception on the way ends the list with a failing check naming the vector and the
 * error, after the checks made before it, so a runner asserting in order reports the first wrong value first.
 */
function named(name: string, where: string, build: (where: string, out: Check[]) => void): VectorCase {
  return {
    name,
    checks() {
      const out: Check[] = [];
      try {
        build(where, out);
      } catch (e) {
        out.push({ what: `${where}: computing the vector threw`, actual: e instanceof Error ? `${e.name}: ${e.message}` : String(e), expected: 'no exception' });
      }
      return out;
    },
  };
}

/** Rebuilds an identity from its stored secrets, checking the public keys derived from them. */
function identityOf(k: Keys, where: string, out: Check[]): Identity {
  const id = generateIdentity(k.name, queueRng(fromHex(k.sigSecret), fromHex(k.dhSecret)));
  out.push({ what: `${where}: Ed25519 public key of ${k.name}`, actual: toHex(id.sigPub), expected: k.sigPub });
  out.push({ what: `${where}: X25519 public key of ${k.name}`, actual: toHex(id.dhPub), expected: k.dhPub });
  return id;
}

function envelopeChecks(v: Vectors['envelope'][number], where: string, out: Check[]): void {
  const author = identityOf(v.author, where, out);
  const recipient = identityOf(v.recipient, where, out);
  const pair = pairKeys(author, recipient);
  out.push({ what: `${where}: pair wrap key (author side)`, actual: toHex(pair.wrap), expected: v.pairWrapKey });
  out.push({ what: `${where}: pair wrap key (recipient side)`, actual: toHex(pairKeys(recipient, author).wrap), expected: v.pairWrapKey });
  out.push({ what: `${where}: pair request key`, actual: toHex(pair.request), expected: v.pairRequestKey });
  out.push({ what: `${where}: mailbox capability (author side)`, actual: toHex(pair.mailboxOut), expected: v.pairMailboxCap });
  out.push({ what: `${where}: mailbox capability (recipient side)`, actual: toHex(pairKeys(recipient, author).mailboxIn), expected: v.pairMailboxCap });
  out.push({ what: `${where}: mailbox allow tag`, actual: mailboxAllowTag(pair.mailboxOut, author.sigPub), expected: v.mailboxAllowTag });

  const sealed = sealPost(author, { seq: v.seq, ts: v.ts, body: v.body }, [{ sigPub: recipient.sigPub, wrapKey: pair.wrap }], queueRng(fromHex(v.contentKey), fromHex(v.nonce)));
  out.push({ what: `${where}: one envelope sealed`, actual: sealed.length, expected: 1 });
  out.push({ what: `${where}: sealed bytes`, actual: sealed[0] ? toHex(sealed[0].envelope) : '(no envelope)', expected: v.envelope });

  const stored = fromHex(v.envelope);
  const h = readHeader(stored);
  out.push({ what: `${where}: header`, actual: { version: h.version, author: toHex(h.author), recipient: toHex(h.recipient) }, expected: { version: 1, author: v.author.sigPub, recipient: v.recipient.sigPub } });
  const post = openPost(stored, { me: recipient.sigPub, wrapKeyFor: (a) => (toHex(a) === v.author.sigPub ? fromHex(v.pairWrapKey) : undefined) });
  out.push({ what: `${where}: opened post`, actual: { ...post, author: toHex(post.author) }, expected: { author: v.author.sigPub, seq: v.seq, ts: v.ts, body: v.body } });
}

function fingerprintChecks(v: Vectors['fingerprint'][number], where: string, out: Check[]): void {
  out.push({ what: where, actual: fingerprint(identityOf(v.identity, where, out)), expected: v.fingerprint });
}

function safetyChecks(v: Vectors['safetyNumber'][number], where: string, out: Check[]): void {
  const a = identityOf(v.a, where, out);
  const b = identityOf(v.b, where, out);
  out.push({ what: `${where} (a, b)`, actual: safetyNumber(a, b), expected: v.safetyNumber });
  out.push({ what: `${where} (b, a)`, actual: safetyNumber(b, a), expected: v.safetyNumber });
}

function inviteChecks(v: Vectors['invite'][number], where: string, out: Check[]): void {
  const id = identityOf(v.identity, where, out);
  const { code } = createInvite(id, { relay: v.relay, now: v.now, ttlMs: v.ttlMs, token: fromHex(v.token) });
  out.push({ what: `${where}: code`, actual: code, expected: v.code });
  const read = readInvite(v.code, v.now);
  out.push({ what: `${where}: name`, actual: read.name, expected: v.identity.name });
  out.push({ what: `${where}: relay`, actual: read.relay, expected: v.relay });
  out.push({ what: `${where}: expiry`, actual: read.expires, expected: v.now + v.ttlMs });
  out.push({ what: `${where}: token`, actual: toHex(read.token), expected: v.token });
  out.push({ what: `${where}: signing key`, actual: toHex(read.sigPub), expected: v.identity.sigPub });
  out.push({ what: `${where}: agreement key`, actual: toHex(read.dhPub), expected: v.identity.dhPub });
  out.push({ what: `${where}: relay tag`, actual: inviteTag(read.token), expected: v.relayTag });
}

function friendRequestChecks(v: Vectors['friendRequest'][number], where: string, out: Check[]): void {
  const inviter = identityOf(v.inviter, where, out);
  const requester = identityOf(v.requester, where, out);
  const invite = readInvite(v.inviteCode, v.now);
  const req = createFriendRequest(requester, invite, v.now, queueRng(fromHex(v.nonce)));
  out.push({ what: `${where}: request`, actual: req, expected: v.request });
  const card = openFriendRequest(inviter, v.request, v.now);
  out.push({ what: `${where}: requester key`, actual: toHex(card.sigPub), expected: v.requester.sigPub });
  out.push({ what: `${where}: requester name`, actual: card.name, expected: v.requester.name });
  out.push({ what: `${where}: token echoed`, actual: toHex(card.token), expected: toHex(invite.token) });
}

/** test/vectors/blob-v1.json: image blobs sealed from fixed keys and nonces, computed without @noble. */
export interface BlobVectors {
  blob: { name: string; mime: BlobMime; image: string; key: string; nonce: string; blob: string; id: string }[];
}

/** Each blob vector sealed again from its fixed key and nonce, and opened: the same bytes, id and image. */
export function blobVectorCases(vectors: BlobVectors): VectorCase[] {
  return vectors.blob.map((v) =>
    named(v.name, `blob vector "${v.name}"`, (where, out) => {
      const sealed = sealBlob(fromHex(v.image), v.mime, queueRng(fromHex(v.key), fromHex(v.nonce)));
      out.push({ what: `${where}: sealed bytes`, actual: toHex(sealed.bytes), expected: v.blob });
      out.push({ what: `${where}: id`, actual: sealed.id, expected: v.id });
      out.push({ what: `${where}: key`, actual: toHex(fromB64u(sealed.key)), expected: v.key });
      const opened = openBlob(fromHex(v.blob), { id: v.id, key: toB64u(fromHex(v.key)), mime: v.mime });
      out.push({ what: `${where}: opened image`, actual: toHex(opened), expected: v.image });
    }),
  );
}
