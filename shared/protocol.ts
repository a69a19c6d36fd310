// Owns the wire vocabulary: Socket.IO event maps, data-channel messages and one schema per message.
import * as v from 'valibot';
import type { Failure } from './errors.js';
import { MAX_ENVELOPE_BYTES } from './crypto/envelope.js';
import { MAX_BLOB_BYTES } from './crypto/blob.js';
import { MAX_DEVICE_LIST_BYTES } from './crypto/devices.js';
import { LINK_ANSWER_BYTES, LINK_REVEAL_BYTES, MAX_LINK_CODE_CHARS, MAX_LINK_SEALED_BYTES, MAX_SYNC_CHUNKS } from './crypto/link.js';
import { depthWithin } from './validate.js';

export const PROTOCOL_VERSION = 1;

/** Named limits, shared so the relay and the client agree. */
export const LIMITS = {
  /** Socket.IO frame ceiling (bytes); the relay's maxHttpBufferSize. */
  maxFrameBytes: 64 * 1024,
  /** SDP blobs are a few KB; 16 KB leaves room for many candidates. Counted on signal:send's `data` as JSON. */
  maxSignalChars: 16 * 1024,
  /**
   * Nesting of signal:send's `data` (the object itself is level 1). simple-peer's deepest, an ICE candidate, is 3:
   * { kind, signal: { type, candidate: { candidate, sdpMid, … } } }. Deeper data would overflow socket.io-parser's
   * recursive hasBinary when the relay forwards it.
   */
  maxSignalDepth: 8,
  maxWatchKeys: 1000,
  /** Invite tags one connection may accept or present (open invites; unanswered invites held). */
  maxInviteTags: 100,
  /** An envelope in base64url: 4/3 of its bytes, rounded up. */
  maxEnvelopeChars: Math.ceil((MAX_ENVELOPE_BYTES * 4) / 3),
  maxInviteChars: 2048,
  maxFetchPage: 100,
  /** Sequence numbers one delivery receipt names (a friend's newest posts I hold). */
  maxReceiptSeqs: 64,
  /**
   * Bytes of an image blob in one blob:chunk or blob:get frame: with the event's JSON, well under maxFrameBytes (a
   * blob is up to ~500 KB, so it moves in chunks and the frame limit stays where it is for every other event).
   */
  blobChunkBytes: 48 * 1024,
  /** Recipients one blob:put names (each with its capability, ~90 chars of JSON: 400 stay under the frame limit). */
  maxBlobRecipients: 400,
  /** Bytes of a blob in one data-channel message (before base64url); small enough for any SCTP stack's messages. */
  channelBlobChunkBytes: 12 * 1024,
} as const;

const b64u = (maxChars: number) => v.pipe(v.string(), v.maxLength(maxChars), v.regex(/^[A-Za-z0-9_-]*$/, 'must be base64url'));
/**
 * Exactly 16 or 32 bytes as unpadded base64url (22 or 43 chars): the last character may carry only the leftover
 * bits (2 of its 6 for 16 bytes, 4 for 32), so each value has exactly one spelling.
 */
const fixedB64u = (bytes: 16 | 32, what: string) => {
  const chars = Math.ceil((bytes * 4) / 3);
  const last = bytes === 16 ? '[AQgw]' : '[AEIMQUYcgkosw048]';
  return v.pipe(v.string(), v.regex(new RegExp(`^[A-Za-z0-9_-]{${chars - 1}}${last}$`), `must be a ${chars}-char base64url ${what}`));
};
/** An Ed25519 public key as base64url (32 bytes → 43 chars). */
export const PeerIdSchema = fixedB64u(32, 'key');
export const EnvelopeB64Schema = b64u(LIMITS.maxEnvelopeChars);

// ---- relay auth --------------------------------------------------------------------------------

export const AuthChallengeSchema = v.object({ v: v.literal(PROTOCOL_VERSION), nonce: b64u(64) });
export type AuthChallenge = v.InferOutput<typeof AuthChallengeSchema>;

export const AuthProveSchema = v.object({ key: PeerIdSchema, sig: b64u(128) });
export type AuthProve = v.InferOutput<typeof AuthProveSchema>;

const IceServerSchema = v.object({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});
export type IceServer = v.InferOutput<typeof IceServerSchema>;
export const IceServersSchema = v.array(IceServerSchema);

// ---- signaling between two peers (relayed opaquely, checked by the receiving client) ---------------

export const SdpSignalSchema = v.object({
  kind: v.literal('sdp'),
  /** simple-peer's signal object (offer, answer or candidate); bounded by the frame limit. */
  signal: v.pipe(
    v.looseObject({ type: v.optional(v.string()), sdp: v.optional(v.string()), candidate: v.optional(v.unknown()) }),
    v.check((x) => depthWithin(x, LIMITS.maxSignalDepth - 1), `must nest at most ${LIMITS.maxSignalDepth - 1} levels deep`),
  ),
});

export const FriendRequestSchema = v.object({
  kind: v.literal('friend-request'),
  /** Requester's Ed25519 key (also stamped by the relay as `from`). */
  k: PeerIdSchema,
  /** Requester's X25519 key. */
  d: b64u(43),
  /** nonce ‖ XChaCha20-Poly1305(pair request key) of the requester's signed card. */
  box: b64u(4096),
});
export type FriendRequest = v.InferOutput<typeof FriendRequestSchema>;

/**
 * Delivery receipt, sent through the relay (which forwards only between friends): "your posts `seqs` are stored on my
 * side". What turns a post that went through the mailbox into 'delivered' without a data channel (relay-only mode).
 */
export const ReceiptSchema = v.object({
  kind: v.literal('receipt'),
  seqs: v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER))), v.minLength(1), v.maxLength(LIMITS.maxReceiptSeqs)),
});

export const SignalDataSchema = v.variant('kind', [SdpSignalSchema, FriendRequestSchema, ReceiptSchema]);
export type SignalData = v.InferOutput<typeof SignalDataSchema>;

/**
 * Relayed opaquely, so bounded as a whole: depth first, by a walk that does not recurse (so it cannot overflow the
 * stack), and only then its size as JSON.
 */
const SignalPayloadSchema = v.pipe(
  v.looseObject({ kind: v.string() }),
  // One action, not two checks: valibot runs every check of a pipe, and the size must never be taken of deep data.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    if (!depthWithin(dataset.value, LIMITS.maxSignalDepth)) addIssue({ message: `must nest at most ${LIMITS.maxSignalDepth} levels deep` });
    else if (JSON.stringify(dataset.value).length > LIMITS.maxSignalChars) addIssue({ message: `must be at most ${LIMITS.maxSignalChars} chars as JSON` });
  }),
);
export const SignalSendSchema = v.object({ to: PeerIdSchema, data: SignalPayloadSchema });
export type SignalSend = v.InferOutput<typeof SignalSendSchema>;

/** The relay stamps `from` itself from the authenticated socket; clients never choose it. */
export interface SignalRecv {
  from: string;
  data: unknown;
}

/** An invite's relay tag (shared/crypto/invite.ts inviteTag): 16 bytes as base64url. */
export const InviteTagSchema = fixedB64u(16, 'invite tag');
const InviteTagsSchema = v.pipe(v.array(InviteTagSchema), v.maxLength(LIMITS.maxInviteTags));

/**
 * Replaces the connection's watch list. `keys`: whose presence it wants, and to whom it consents to be visible;
 * `accept`: tags of its own open invites; `present`: tags of invites it holds, not yet answered.
 * The relay shows key S to key V only if S watches V or accepts a tag V presents (signaling/presence.ts).
 */
export const PresenceWatchSchema = v.object({
  keys: v.pipe(v.array(PeerIdSchema), v.maxLength(LIMITS.maxWatchKeys)),
  accept: v.optional(InviteTagsSchema),
  present: v.optional(InviteTagsSchema),
});
export type PresenceWatch = v.InferOutput<typeof PresenceWatchSchema>;
export interface PresenceChange {
  key: string;
  online: boolean;
}

// ---- mailbox (sealed posts for offline friends) ------------------------------------------------------

/** A mailbox capability (shared/crypto/pairwise.ts): 16 bytes, base64url. */
export const MailboxCapSchema = fixedB64u(16, 'mailbox capability');
/** Its allow-list entry: SHA-256, base64url (43 chars). */
export const MailboxAllowTagSchema = fixedB64u(32, 'allow tag');

/** `cap` proves the recipient allows this sender (it is on their mailbox:allow list); strangers are refused. */
export const MailboxPutSchema = v.object({ to: PeerIdSchema, env: EnvelopeB64Schema, cap: MailboxCapSchema });
/** Replaces my mailbox allow list: one tag per friend who may leave posts for me (kept by the relay). */
export const MailboxAllowSchema = v.object({ tags: v.pipe(v.array(MailboxAllowTagSchema), v.maxLength(LIMITS.maxWatchKeys)) });
export type MailboxAllow = v.InferOutput<typeof MailboxAllowSchema>;
export type MailboxPut = v.InferOutput<typeof MailboxPutSchema>;
export const MailboxFetchSchema = v.object({
  after: v.pipe(v.number(), v.integer(), v.minValue(0)),
  limit: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(LIMITS.maxFetchPage)),
});
export type MailboxFetch = v.InferOutput<typeof MailboxFetchSchema>;
export const MailboxAckSchema = v.object({ ids: v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1))), v.maxLength(LIMITS.maxFetchPage)) });
export type MailboxAck = v.InferOutput<typeof MailboxAckSchema>;
export const MailboxItemSchema = v.object({ id: v.pipe(v.number(), v.integer(), v.minValue(1)), from: PeerIdSchema, env: EnvelopeB64Schema });
export type MailboxItem = v.InferOutput<typeof MailboxItemSchema>;

// ---- image blobs (shared/crypto/blob.ts) for friends, under the mailbox's capability ---------------------------

/** A blob's id: base64url SHA-256 of its bytes. */
export const BlobIdSchema = fixedB64u(32, 'blob id');
const Bytes = (max: number) => v.pipe(v.instance(Uint8Array), v.maxLength(max, `must be at most ${max} bytes`));
const Offset = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

/**
 * Announces an upload of `bytes` bytes named `id`, for recipients that each allow me (`cap` as in mailbox:put).
 * Recipients that do not are left out and named in the ack's `refused` (all of them: 'not-friend'). `have`: the relay
 * already holds this blob from me, so it only added the recipients and no chunk follows.
 */
export const BlobPutSchema = v.object({
  id: BlobIdSchema,
  bytes: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER)),
  to: v.pipe(v.array(v.object({ to: PeerIdSchema, cap: MailboxCapSchema })), v.minLength(1), v.maxLength(LIMITS.maxBlobRecipients)),
});
export type BlobPut = v.InferOutput<typeof BlobPutSchema>;
/** The next piece of an announced upload, in order (`at` = bytes sent so far). The last one stores the blob. */
export const BlobChunkSchema = v.object({ id: BlobIdSchema, at: Offset, data: Bytes(LIMITS.blobChunkBytes) });
export type BlobChunk = v.InferOutput<typeof BlobChunkSchema>;
/** Reads up to blobChunkBytes of a blob meant for me, from `at`. */
export const BlobGetSchema = v.object({ id: BlobIdSchema, at: Offset });
export type BlobGet = v.InferOutput<typeof BlobGetSchema>;
/** I hold these blobs now: the relay forgets that they were for me (and deletes one nobody else waits for). */
export const BlobAckSchema = v.object({ ids: v.pipe(v.array(BlobIdSchema), v.maxLength(LIMITS.maxFetchPage)) });
export type BlobAck = v.InferOutput<typeof BlobAckSchema>;

// ---- devices and linking (shared/crypto/devices.ts, link.ts): frames for signal:send data or a data channel -------

const b64uChars = (bytes: number) => Math.ceil((bytes * 4) / 3);
/** Exactly `bytes` bytes as unpadded base64url: the last character carries only the leftover bits (one spelling). */
const exactB64u = (bytes: number, what: string) => {
  const last = ['[A-Za-z0-9_-]', '[AQgw]', '[AEIMQUYcgkosw048]'][bytes % 3]!;
  return v.pipe(v.string(), v.regex(new RegExp(`^[A-Za-z0-9_-]{${b64uChars(bytes) - 1}}${last}$`), `must be ${bytes} bytes as base64url`));
};
export const DEVICE_LIMITS = {
  /** A device list (devices.ts MAX_DEVICE_LIST_BYTES) as base64url: 6147 chars, well under maxSignalChars. */
  maxDeviceListChars: b64uChars(MAX_DEVICE_LIST_BYTES),
  /** A link code as text (link.ts), before any page URL around it. */
  maxLinkCodeChars: MAX_LINK_CODE_CHARS,
  /** A sealed provision or sync chunk (link.ts MAX_LINK_SEALED_BYTES) as base64url: 11054 chars. */
  maxLinkMessageChars: b64uChars(MAX_LINK_SEALED_BYTES),
} as const;

/** An identity's signed device list: to each friend's devices and to my own when it changes (receivers verifyDeviceList). */
export const DeviceListFrameSchema = v.object({ kind: v.literal('device-list'), list: b64u(DEVICE_LIMITS.maxDeviceListChars) });
/** A link code as scanned or pasted (readLinkOffer parses it; a page URL with `#link=` around it is allowed). */
export const LinkCodeSchema = v.pipe(v.string(), v.maxLength(DEVICE_LIMITS.maxLinkCodeChars + 1024));
/** Existing device → new device: the answer to its link code. */
export const LinkAnswerFrameSchema = v.object({ kind: v.literal('link-answer'), a: exactB64u(LINK_ANSWER_BYTES, 'link answer') });
/** New device → existing device: the reveal (opens the code's commitment; the new device's binding). */
export const LinkRevealFrameSchema = v.object({ kind: v.literal('link-reveal'), r: exactB64u(LINK_REVEAL_BYTES, 'link reveal') });
/** Existing → new, after both users confirmed the SAS: the sealed provision. */
export const LinkProvisionFrameSchema = v.object({ kind: v.literal('link-provision'), p: b64u(DEVICE_LIMITS.maxLinkMessageChars) });
/** Existing → new: one sealed sync chunk (its index and total are inside, authenticated). */
export const LinkChunkFrameSchema = v.object({ kind: v.literal('link-chunk'), c: b64u(DEVICE_LIMITS.maxLinkMessageChars) });
/** New → existing: "send from chunk `next`" (after a gap or a reconnect; `next` = total says it is complete). */
export const LinkWantFrameSchema = v.object({ kind: v.literal('link-want'), next: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_SYNC_CHUNKS)) });
export const DeviceFrameSchema = v.variant('kind', [DeviceListFrameSchema, LinkAnswerFrameSchema, LinkRevealFrameSchema, LinkProvisionFrameSchema, LinkChunkFrameSchema, LinkWantFrameSchema]);
export type DeviceFrame = v.InferOutput<typeof DeviceFrameSchema>;

// ---- data channel between two friends --------------------------------------------------------------

const Seq = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
/** A sealed post for the channel's other end. */
export const ChannelPostSchema = v.object({ t: v.literal('post'), env: EnvelopeB64Schema });
/** Catch-up cursor, sent when a channel opens: "I hold every post of yours up to `since`". Doubles as a delivery ack. */
export const ChannelSyncSchema = v.object({ t: v.literal('sync'), since: Seq });
/** Delivery ack: "your post `seq` is stored on my side". */
export const ChannelAckSchema = v.object({ t: v.literal('ack'), seq: Seq });
/**
 * A piece of an image blob, pushed to a friend the blob is for (client/core/blobs.ts): `n` is the whole blob's length,
 * `data` the bytes from `at`, base64url. The receiver checks the id when the last piece is in.
 */
export const ChannelBlobSchema = v.object({
  t: v.literal('blob'),
  id: BlobIdSchema,
  n: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_BLOB_BYTES)),
  at: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_BLOB_BYTES)),
  data: b64u(Math.ceil((LIMITS.channelBlobChunkBytes * 4) / 3)),
});
/** "Send me this blob": a reader that lacks one its friend's post names. */
export const ChannelBlobWantSchema = v.object({ t: v.literal('blob-want'), id: BlobIdSchema });
/** A chunk of my state, from my device that holds the identity to a device it is linking (client/core/link.ts). */
export const ChannelLinkSchema = v.object({ t: v.literal('link'), f: LinkChunkFrameSchema });
export const ChannelMessageSchema = v.variant('t', [ChannelPostSchema, ChannelSyncSchema, ChannelAckSchema, ChannelBlobSchema, ChannelBlobWantSchema, ChannelLinkSchema]);
export type ChannelMessage = v.InferOutput<typeof ChannelMessageSchema>;

// ---- Socket.IO event maps (shared by server and client for type safety) ----------------------------

export type Ack<T extends object = object> = ({ ok: true } & T) | Failure;
type Cb<T extends object = object> = (res: Ack<T>) => void;

export interface ClientToServer {
  'auth:prove': (msg: AuthProve, ack: Cb<{ iceServers: IceServer[] }>) => void;
  'signal:send': (msg: SignalSend, ack: Cb) => void;
  'presence:watch': (msg: PresenceWatch, ack: Cb<{ online: string[] }>) => void;
  'mailbox:allow': (msg: MailboxAllow, ack: Cb<{ count: number }>) => void;
  'mailbox:put': (msg: MailboxPut, ack: Cb<{ id: number }>) => void;
  'mailbox:fetch': (msg: MailboxFetch, ack: Cb<{ items: MailboxItem[] }>) => void;
  'mailbox:ack': (msg: MailboxAck, ack: Cb<{ deleted: number }>) => void;
  'blob:put': (msg: BlobPut, ack: Cb<{ have: boolean; refused: string[] }>) => void;
  'blob:chunk': (msg: BlobChunk, ack: Cb<{ done: boolean }>) => void;
  /** `bytes`: the whole blob's length; `data`: up to blobChunkBytes from `at` (an ArrayBuffer in browsers). */
  'blob:get': (msg: BlobGet, ack: Cb<{ bytes: number; data: Uint8Array | ArrayBuffer }>) => void;
  'blob:ack': (msg: BlobAck, ack: Cb<{ deleted: number }>) => void;
}

export interface ServerToClient {
  'auth:challenge': (msg: AuthChallenge) => void;
  'signal:recv': (msg: SignalRecv) => void;
  'presence:change': (msg: PresenceChange) => void;
  'mailbox:ready': (msg: { count: number }) => void;
  /** A frame that could not be answered through its ack (no ack given, or an unknown event). */
  'relay:error': (msg: Failure & { event: string }) => void;
}
