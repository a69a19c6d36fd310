// Owns the browser shell around the client core: the Dexie store, the simple-peer mesh, the relay link and the tab lock.
import type { ListRow, PostRow } from './core/types.js';
import { ClientCore, type CoreOptions } from './core/client.js';
import type { FeedPage } from './core/feed.js';
import type { PostInput, Written } from './core/social.js';
import type { Sent } from './core/delivery.js';
import { systemClock } from './core/ports.js';
import type { ClientState } from './core/context.js';
import type { NewLink, PrimaryLink } from './core/link.js';
import { openDexieStore } from './dexie-store.js';
import type { BlobDelivery, OutgoingBlob } from './core/blobs.js';
import type { ImageRef } from '../shared/photo-ref.js';
import { lazyMesh, lazyRelay } from './lazy-net.js';
import { tracedStore } from './core/trace.js';

export { MAX_BODY_CHARS } from '../shared/crypto/envelope.js';
export { MAX_BIO_CHARS } from '../shared/crypto/content.js';
export type { FeedPage } from './core/feed.js';
export type { PostInput, Written } from './core/social.js';
export { restoredSeqFloor } from './core/delivery.js';

/** What the UI renders; replaced (never mutated) on every change. */
export type SessionState = ClientState;

export interface SessionOptions {
  /** Relay base URL; '' means the page's own origin. */
  relay: string;
  /** Database name (prefixed with 'brainwaves:'). */
  dbName: string;
  /** false: never open direct channels (friends then never learn this browser's IP address); all posts go via the relay mailbox. */
  direct?: boolean;
  now?: () => number;
}

export interface PostEvent {
  post: PostRow;
}

/**
 * Events: 'change' (state changed), 'post' (CustomEvent<PostEvent>: a friend's post arrived).
 * Keys never leave this object through its API: state carries only public data.
 */
export class Session extends EventTarget {
  readonly #opts: SessionOptions;
  readonly #core: ClientCore;
  #state: SessionState;
  #elsewhere = false;
  /** Ends the tab's hold on this identity (see #claim). */
  #closed = new AbortController();

  constructor(opts: SessionOptions) {
    super();
    this.#opts = opts;
    const store = tracedStore(openDexieStore(opts.dbName));
    const core: CoreOptions = {
      store,
      // Socket.IO and simple-peer load after the store's first state: a chunk the feed's first paint does not wait for.
      connectRelay: (me, on) => lazyRelay(opts.relay, me, on),
      ...((opts.direct ?? true) && { createMesh: (me, on) => lazyMesh(me, on) }),
      relayUrl: opts.relay || location.origin,
      clock: systemClock(opts.now),
      onChange: () => this.#changed(),
      onReceived: (post) => (!post.kind || post.kind === 'post') && this.dispatchEvent(new CustomEvent<PostEvent>('post', { detail: { post } })),
    };
    this.#core = new ClientCore(core);
    this.#state = this.#core.state;
  }

  get state(): SessionState {
    return this.#state;
  }

  /**
   * Loads everything from IndexedDB first (the feed shows offline), then goes online if there is an identity.
   * While another tab of this browser has the same database open, shows `elsewhere` and waits before going online
   * (then loads again: that tab may have written meanwhile). `online`: going online waits for it too (the UI's
   * first paint; client/controllers/session-controller.ts).
   */
  async start(opts: { online?: Promise<unknown> } = {}): Promise<void> {
    // The store is read while the lock is asked for (reading beside another tab is safe, and the lock can take a
    // hundred milliseconds to answer while a closed tab of this identity goes away); only going online waits for it.
    const loading = this.#core.start({ connect: false });
    loading.catch(() => undefined); // awaited just below, where its failure is thrown
    const claimed = await this.#claim();
    await loading;
    if (!claimed) return;
    // It waited for another tab: what that tab wrote meanwhile (an identity, friends, posts) is read again.
    if (claimed === 'waited') await this.#core.start({ connect: false });
    this.#changed();
    // Going online loads the network chunk and rebuilds the state on every status change: after the UI's first
    // paint of the stored feed, not competing with it for the main thread and IndexedDB.
    await opts.online?.catch(() => undefined);
    this.#core.connect();
  }

  createIdentity(name: string): Promise<void> {
    return this.#core.createIdentity(name);
  }

  /** Restores an identity from a key backup (a browser that has none yet). */
  importIdentity(backup: string, passphrase: string): Promise<void> {
    return this.#core.importIdentity(backup, passphrase);
  }

  /**
   * On a browser with no identity: links it to an identity held on another device (client/core/link.ts). Show `code`
   * (QR code and text); `sas` is the short code to compare; once `done`, this session is the linked device, online.
   */
  startLink(name: string): NewLink {
    return this.#core.startLink(name);
  }

  /** On the primary: answers a new device's code; `confirm()` once both screens show the same `sas`. */
  linkDevice(code: string): Promise<PrimaryLink> {
    return this.#core.linkDevice(code);
  }

  /** On the primary: removes one of my devices; friends stop sealing to it once its removal reaches them. */
  async removeDevice(key: string): Promise<void> {
    await this.#core.removeDevice(key);
  }

  /** My identity, friends and profile as passphrase-protected text (backup v2: scrypt + XChaCha20-Poly1305). */
  exportBackup(passphrase: string): Promise<string> {
    return this.#core.exportBackup(passphrase);
  }

  /** A fresh invite code (remembered, so the friend request that answers it is recognised). */
  createInvite(): Promise<string> {
    return this.#core.createInvite();
  }

  /** Accepts a pasted invite code or link; the inviter is told through the relay (now, or when next online). */
  acceptInvite(code: string): Promise<{ name: string; key: string }> {
    return this.#core.acceptInvite(code);
  }

  /**
   * A post to all friends, or to one of my lists (`audience`: its id). `photos`: refs of blobs the shell already
   * encrypted; the answer's `to` is whom the post was sealed for, so the blobs go to exactly them.
   */
  post(input: string | PostInput): Promise<Written> {
    return this.#core.post(input);
  }

  /** One page of the feed view model (FeedItem[], threads, reactions, unread), newest first; `next` pages on. */
  feed(opts?: { before?: number; limit?: number; search?: string }): Promise<FeedPage> {
    return this.#core.feed(opts);
  }

  /** `post`: a FeedItem's author key and id as `author:id` (bw-reply's `parent`), or a bare id of mine. */
  reply(post: string, body: string): Promise<Written> {
    return this.#core.reply(post, body);
  }

  /** My one reaction to a post; null withdraws it. */
  react(post: string, emoji: string | null): Promise<Written> {
    return this.#core.react(post, emoji);
  }

  /** Only my own posts; 'not-author' otherwise. */
  edit(post: string, body: string): Promise<Written> {
    return this.#core.edit(post, body);
  }

  delete(post: string): Promise<Written> {
    return this.#core.delete(post);
  }

  /** `avatar`: a ref of an encrypted blob the shell made, null to remove it, absent to keep it. */
  saveProfile(p: { name: string; bio: string; avatar?: ImageRef | null }): Promise<Sent> {
    return this.#core.saveProfile(p);
  }

  saveList(l: { id?: string; name: string; members: string[] }): Promise<ListRow> {
    return this.#core.saveList(l);
  }

  deleteList(id: string): Promise<void> {
    return this.#core.deleteList(id);
  }

  /** Everything received up to `upTo` has been seen here (state.unread follows). */
  markRead(upTo: number): Promise<void> {
    return this.#core.markRead(upTo);
  }

  /** Removes a friend (see client/core/friends.ts unfriend). */
  unfriend(key: string): Promise<void> {
    return this.#core.unfriend(key);
  }

  /** Unfriends and refuses any later friend request or offer from that key. */
  block(key: string): Promise<void> {
    return this.#core.block(key);
  }

  /**
   * Sends a post's encrypted images (from client/image.ts preparePhotos/prepareAvatar) to its recipients: over an open
   * data channel, else left on the relay for exactly them; what neither takes now is retried. Per blob, per friend: how.
   */
  sendBlobs(blobs: readonly OutgoingBlob[], to: readonly string[]): Promise<Record<string, BlobDelivery>[]> {
    return this.#core.sendBlobs(blobs, to);
  }

  /**
   * An object URL for the image a PhotoRef (or its `thumb`, or an avatar ImageRef) names, fetched on demand from this
   * device, the relay or `from` (the post's author or the profile's subject), checked against its id and decrypted.
   * Throws BwError 'unavailable' (not reachable now: show it missing, try later) or 'bad-ciphertext' (show it bad).
   * The caller revokes the URL (URL.revokeObjectURL) when the image leaves the page.
   */
  async photoUrl(ref: Pick<ImageRef, 'id' | 'key' | 'mime' | 'bytes'>, from: string): Promise<string> {
    const image = await this.#core.fetchImage(ref, from);
    return URL.createObjectURL(new Blob([image as BlobPart], { type: ref.mime }));
  }

  close(): void {
    this.#closed.abort();
    this.#core.close();
  }

  #changed(): void {
    this.#state = this.#elsewhere ? { ...this.#core.state, elsewhere: true } : this.#core.state;
    this.dispatchEvent(new Event('change'));
  }

  /**
   * One tab per identity: two would both answer a friend's connection offers and both number new posts from the
   * same sequence (one of them then refused by friends as a replay). A Web Lock per database, held until close()
   * or the tab goes away; a second tab waits for it. 'waited' if it had to; false if closed while waiting.
   */
  async #claim(): Promise<'now' | 'waited' | false> {
    const locks = globalThis.navigator?.locks;
    if (!locks) return 'now'; // no Web Locks (very old browser): run as before
    const name = `brainwaves:${this.#opts.dbName}`;
    const closed = this.#closed.signal;
    const held = new Promise<void>((release) => closed.addEventListener('abort', () => release(), { once: true }));
    const hold = (got: (ok: boolean) => void) => (lock: Lock | null) => {
      got(!!lock);
      return lock ? held : undefined;
    };
    if (await new Promise<boolean>((got) => void locks.request(name, { ifAvailable: true }, hold(got)))) return 'now';
    this.#elsewhere = true;
    this.#changed();
    try {
      await new Promise<boolean>((got, fail) => void locks.request(name, { signal: closed }, hold(got)).catch(fail));
    } catch (e) {
      if (closed.aborted) return false;
      throw e;
    }
    this.#elsewhere = false;
    this.#state = { ...this.#core.state, elsewhere: false };
    return 'waited';
  }
}
