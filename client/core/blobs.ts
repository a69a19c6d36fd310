// Owns moving image blobs between friends: pushed over an open data channel, else left on the relay for exactly the
// post's recipients; fetched on demand by a reader, checked against its id, opened, and kept in the store.
import { BwError, isBwError } from '../../shared/errors.js';
import { concat, fromB64u, toB64u } from '../../shared/bytes.js';
import { blobId, MAX_BLOB_BYTES, openBlob } from '../../shared/crypto/blob.js';
import type { ImageRef } from '../../shared/photo-ref.js';
import { LIMITS, type ChannelMessage } from '../../shared/protocol.js';
import type { Ctx } from './context.js';
import { sendChannel } from './delivery.js';
import type { BlobRow } from './types.js';
import { rowOf } from './device-rows.js';

/** An encrypted blob to send: what client/image.ts prepares. */
export interface OutgoingBlob {
  id: string;
  bytes: Uint8Array;
}

/** How a blob left for one friend: over the channel, to the relay, or still waiting on this device. */
export type BlobDelivery = 'direct' | 'relay' | 'queued';

/** Blobs a friend may be pushing to me at once over the channel; one more drops their oldest (memory stays bounded). */
export const MAX_INCOMING_PER_FRIEND = 2 * 4 + 1;
/** How long a reader waits for a blob it asked its author for over the channel. */
export const WANT_TIMEOUT_MS = 20_000;

interface Incoming {
  n: number;
  got: number;
  parts: Uint8Array[];
}

/** Per-core transfer state, kept beside the core's Ctx (not in it): incoming pieces, and readers waiting for a blob. */
interface Transfers {
  incoming: Map<string, Map<string, Incoming>>;
  waiting: Map<string, ((ok: boolean) => void)[]>;
  /** A pending retry of waiting blobs. */
  retry?: unknown;
}
const state = new WeakMap<Ctx, Transfers>();
const transfersOf = (ctx: Ctx): Transfers => {
  let t = state.get(ctx);
  if (!t) state.set(ctx, (t = { incoming: new Map(), waiting: new Map() }));
  return t;
};

/** Retries of one relay call refused as 'rate-limited' (a post's images are many frames at once), and the first wait. */
const RATE_RETRIES = 4;
const RATE_WAIT_MS = 500;
/** When blobs still wait after a send, they are tried again this much later (and at every relay login and channel open). */
export const BLOB_RETRY_MS = 30_000;

const sleep = (ctx: Ctx, ms: number) => new Promise<void>((r) => ctx.clock.setTimeout(r, ms));

/** A relay call that waits and tries again when the relay says to slow down; any other refusal is thrown. */
async function patient<T>(ctx: Ctx, call: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await call();
    } catch (e) {
      if (!isBwError(e, 'rate-limited') || i >= RATE_RETRIES) throw e;
      await sleep(ctx, RATE_WAIT_MS * 2 ** i);
    }
  }
}

/** Pushes one blob over the open channel to `to`, in pieces; false if the channel is not open (or closed midway). */
export function pushBlob(ctx: Ctx, to: string, blob: OutgoingBlob): boolean {
  const step = LIMITS.channelBlobChunkBytes;
  for (let at = 0; at < blob.bytes.length; at += step) {
    const msg: ChannelMessage = { t: 'blob', id: blob.id, n: blob.bytes.length, at, data: toB64u(blob.bytes.subarray(at, at + step)) };
    if (!sendChannel(ctx, to, msg)) return false;
  }
  return true;
}

/**
 * Leaves a blob on the relay for `to` (each proven with my mailbox capability for them), in pieces. Returns whom the
 * relay took it for; those it refused as not friends are dropped from `to` silently by the caller (they unfriended me).
 */
async function uploadBlob(ctx: Ctx, blob: OutgoingBlob, to: readonly string[]): Promise<{ sent: string[]; refused: string[] }> {
  const relay = ctx.relay;
  if (!relay || relay.status !== 'connected') throw new BwError('unavailable', 'not connected to the relay');
  const caps = to.flatMap((k) => {
    const cap = rowOf(ctx, k)?.mailboxOut;
    return cap ? [{ to: k, cap }] : [];
  });
  if (!caps.length) return { sent: [], refused: [...to] };
  const sent: string[] = [];
  const refused: string[] = [];
  for (let i = 0; i < caps.length; i += LIMITS.maxBlobRecipients) {
    const batch = caps.slice(i, i + LIMITS.maxBlobRecipients);
    let put;
    try {
      put = await patient(ctx, () => relay.call('blob:put', { id: blob.id, bytes: blob.bytes.length, to: batch }));
    } catch (e) {
      if (isBwError(e, 'not-friend')) {
        refused.push(...batch.map((c) => c.to));
        continue;
      }
      throw e;
    }
    if (!put.have) {
      for (let at = 0; at < blob.bytes.length; at += LIMITS.blobChunkBytes) {
        const data = blob.bytes.subarray(at, at + LIMITS.blobChunkBytes) as Uint8Array<ArrayBuffer>;
        await patient(ctx, () => relay.call('blob:chunk', { id: blob.id, at, data }));
      }
    }
    refused.push(...put.refused);
    sent.push(...batch.map((c) => c.to).filter((k) => !put.refused.includes(k)));
  }
  return { sent, refused };
}

/** Sends one of my stored blobs to whom it still waits for: channel first, then the relay; stores what is left. */
async function sendStored(ctx: Ctx, row: BlobRow): Promise<Record<string, BlobDelivery>> {
  const how: Record<string, BlobDelivery> = {};
  const rest: string[] = [];
  for (const k of row.pending ?? []) {
    if (!rowOf(ctx, k)) continue; // unfriended since: it must not reach them
    if (pushBlob(ctx, k, row)) how[k] = 'direct';
    else rest.push(k);
  }
  let left = rest;
  if (rest.length) {
    try {
      const { sent } = await uploadBlob(ctx, row, rest);
      for (const k of sent) how[k] = 'relay';
      left = []; // refused ones are no longer friends on the relay's side: nothing more to try
    } catch (e) {
      if (!isBwError(e)) throw e;
      ctx.log.warn('[bw] image not left on the relay, kept to retry', e.code, e.message);
    }
  }
  for (const k of left) how[k] = 'queued';
  if (left.length) scheduleRetry(ctx);
  const next: BlobRow = { ...row, pending: left };
  if (left.length) next.waiting = 1;
  else delete next.waiting;
  await ctx.store.putBlob(next);
  return how;
}

/**
 * Sends a post's image blobs to its recipients (the audience core.post() reports): kept here first (so my own feed
 * shows them and a friend can ask for them later), then each friend gets them over an open channel, else through the
 * relay; what neither takes now waits and is retried when the relay or a channel comes back (flushBlobs).
 */
export async function sendBlobs(ctx: Ctx, blobs: readonly OutgoingBlob[], to: readonly string[]): Promise<Record<string, BlobDelivery>[]> {
  const out: Record<string, BlobDelivery>[] = [];
  for (const b of blobs) {
    if (blobId(b.bytes) !== b.id) throw new BwError('bad-frame', 'blob id does not match its bytes');
    const old = await ctx.store.getBlob(b.id);
    const row: BlobRow = { id: b.id, bytes: b.bytes, stored: old?.stored ?? ctx.clock.now(), for: [...new Set([...(old?.for ?? []), ...to])], pending: [...new Set([...(old?.pending ?? []), ...to])] };
    out.push(await sendStored(ctx, row));
  }
  return out;
}

function scheduleRetry(ctx: Ctx): void {
  const t = transfersOf(ctx);
  if (t.retry !== undefined) return;
  t.retry = ctx.clock.setTimeout(() => {
    t.retry = undefined;
    ctx.serial(() => flushBlobs(ctx));
  }, BLOB_RETRY_MS);
}

/** Stops the retry timer and fails every reader waiting on a channel (the core is closing). */
export function stopBlobs(ctx: Ctx): void {
  const t = state.get(ctx);
  if (!t) return;
  if (t.retry !== undefined) ctx.clock.clearTimeout(t.retry);
  t.retry = undefined;
  for (const list of t.waiting.values()) for (const done of list) done(false);
  t.waiting.clear();
  t.incoming.clear();
}

/** Retries my blobs still waiting for someone (called when the relay logs in and when a channel opens). */
export async function flushBlobs(ctx: Ctx): Promise<void> {
  for (const row of await ctx.store.waitingBlobs()) await sendStored(ctx, row);
}

/** Reads a blob meant for me from the relay, piece by piece; undefined when the relay has none for me. */
async function downloadBlob(ctx: Ctx, ref: Pick<ImageRef, 'id' | 'bytes'>): Promise<Uint8Array | undefined> {
  const relay = ctx.relay;
  if (!relay || relay.status !== 'connected') return undefined;
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    let res;
    try {
      res = await relay.call('blob:get', { id: ref.id, at });
    } catch (e) {
      if (isBwError(e, 'not-found')) return undefined;
      throw e;
    }
    const data = res.data instanceof Uint8Array ? res.data : new Uint8Array(res.data as ArrayBuffer);
    if (res.bytes !== ref.bytes || res.bytes > MAX_BLOB_BYTES) throw new BwError('bad-ciphertext', `the relay's blob is ${res.bytes} bytes; the post says ${ref.bytes}`);
    if (!data.length && at < res.bytes) throw new BwError('bad-frame', 'the relay sent an empty piece');
    parts.push(data);
    at += data.length;
    if (at >= res.bytes) break;
  }
  return concat(...parts);
}

/** Asks `from` over the open channel for a blob; resolves when it is stored, false if it did not come in time. */
function askFriend(ctx: Ctx, from: string, id: string): Promise<boolean> {
  if (!sendChannel(ctx, from, { t: 'blob-want', id })) return Promise.resolve(false);
  const { waiting } = transfersOf(ctx);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      ctx.clock.clearTimeout(timer);
      resolve(ok);
    };
    const timer = ctx.clock.setTimeout(() => {
      const list = waiting.get(id);
      const i = list?.indexOf(done) ?? -1;
      if (i >= 0) list!.splice(i, 1);
      if (list && !list.length) waiting.delete(id);
      resolve(false);
    }, WANT_TIMEOUT_MS);
    waiting.set(id, [...(waiting.get(id) ?? []), done]);
  });
}

/**
 * The image a PhotoRef (or avatar ImageRef) names, decrypted: from this device, else the relay, else asked of `from`
 * (its author) over an open channel. The blob is checked against its id before it is stored or opened. Throws
 * BwError: 'unavailable' (nowhere to be had now: the feed shows it missing and may try later), 'bad-ciphertext'.
 */
export async function fetchImage(ctx: Ctx, ref: Pick<ImageRef, 'id' | 'key' | 'mime' | 'bytes'>, from: string): Promise<Uint8Array> {
  const held = await ctx.store.getBlob(ref.id);
  if (held) return openBlob(held.bytes, ref);
  const fetched = await downloadBlob(ctx, ref);
  if (fetched) {
    const image = openBlob(fetched, ref); // checks the id first: a wrong blob is never stored
    await ctx.store.putBlob({ id: ref.id, bytes: fetched, stored: ctx.clock.now() });
    await ctx.relay!.call('blob:ack', { ids: [ref.id] }).catch((e: unknown) => ctx.log.warn('[bw] blob ack failed', isBwError(e) ? e.code : e));
    return image;
  }
  if (ctx.friends.has(from) && (await askFriend(ctx, from, ref.id))) {
    const row = await ctx.store.getBlob(ref.id);
    if (row) return openBlob(row.bytes, ref);
  }
  throw new BwError('unavailable', 'this image is not on this device or the relay, and its author is not reachable now');
}

/** A channel message about blobs from a friend: a piece pushed to me, or a request for one of mine. */
export async function onBlobMessage(ctx: Ctx, from: string, msg: Extract<ChannelMessage, { t: 'blob' | 'blob-want' }>): Promise<void> {
  if (msg.t === 'blob-want') {
    const row = await ctx.store.getBlob(msg.id);
    // Only a blob of mine that was for them: a friend cannot pull what I sent to others.
    if (!row?.for?.includes(from)) throw new BwError('not-found', 'asked for an image that was not for them');
    pushBlob(ctx, from, row);
    return;
  }
  const { incoming, waiting } = transfersOf(ctx);
  let mine = incoming.get(from);
  if (!mine) incoming.set(from, (mine = new Map()));
  let t = mine.get(msg.id);
  if (msg.at === 0 && !t) {
    if (mine.size >= MAX_INCOMING_PER_FRIEND) mine.delete(mine.keys().next().value!); // the oldest gives way
    mine.set(msg.id, (t = { n: msg.n, got: 0, parts: [] }));
  }
  if (!t || msg.at !== t.got || msg.n !== t.n) {
    mine.delete(msg.id);
    throw new BwError('bad-frame', 'image piece out of order');
  }
  const data = fromB64u(msg.data, 'image piece');
  if (!data.length || t.got + data.length > t.n) {
    mine.delete(msg.id);
    throw new BwError('oversize', 'image pieces run past the announced length');
  }
  t.parts.push(data);
  t.got += data.length;
  if (t.got < t.n) return;
  mine.delete(msg.id);
  if (!mine.size) incoming.delete(from);
  const bytes = concat(...t.parts);
  if (blobId(bytes) !== msg.id) throw new BwError('bad-ciphertext', 'an image from a friend does not match its id');
  if (!(await ctx.store.getBlob(msg.id))) await ctx.store.putBlob({ id: msg.id, bytes, stored: ctx.clock.now() });
  const waiters = waiting.get(msg.id) ?? [];
  for (const done of waiters) done(true);
  waiting.delete(msg.id);
  // Nobody was waiting: a view that asked earlier and gave it up as missing learns (by the state change) to ask again.
  if (!waiters.length) void ctx.refresh().catch((e: unknown) => ctx.log.error('[bw] state not rebuilt after an image', e));
}
