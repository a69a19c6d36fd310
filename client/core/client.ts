// Owns one user's running client core: starts from the store, goes online, and routes relay and mesh events to the rules.
import { BwError, isBwError } from '../../shared/errors.js';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { exportBackupV2, openBackup, type BackupOptions } from '../../shared/crypto/backup.js';
import { backupContents, restore } from './backup.js';
import { parse } from '../../shared/validate.js';
import { SignalDataSchema } from '../../shared/protocol.js';
import { buildState, requireMe, withPost, type ClientState, type Ctx } from './context.js';
import { isInitiator, systemClock, type Clock, type ClientStore, type ConnectRelay, type CreateMesh, type Logger } from './ports.js';
import { answerInvite, block, dropFriendRequest, makeInvite, markMutual, onFriendRequest, pairFields, sendFriendRequest, unfriend, watch } from './friends.js';
import { flushOutbox, forgetLastSeq, markDelivered, sendChannel } from './delivery.js';
import { deleteList, edit, markRead, post, react, remove, reply, saveList, saveProfile, type PostInput, type Written } from './social.js';
import { loadFeed, pageReads, type FeedPage } from './feed.js';
import { addMyDevice, removeMyDevice, shareDevices } from './devices.js';
import { rowOf } from './device-rows.js';
import { answerLinkCode, isLinkFrame, onLinkFrame, startLinking, type NewLink, type PrimaryLink } from './link.js';
import type { Device, DeviceList } from '../../shared/crypto/devices.js';
import type { ListRow } from './types.js';
import { cursorFor, drainMailbox, onChannelMessage, sendReceipt } from './receive.js';
import type { PostRow } from './types.js';
import { fetchImage, flushBlobs, sendBlobs, stopBlobs, type BlobDelivery, type OutgoingBlob } from './blobs.js';
import type { ImageRef } from '../../shared/photo-ref.js';
import { stamp } from './trace.js';

export interface CoreOptions {
  store: ClientStore;
  connectRelay: ConnectRelay;
  /** Direct data channels; absent: relay-only mode (friends' offers go unanswered, every post uses the mailbox). */
  createMesh?: CreateMesh;
  /** The relay URL written into my invites. */
  relayUrl: string;
  /** This device's name in my device list, when the list is first made; default 'Browser'. */
  deviceName?: string;
  clock?: Clock;
  log?: Logger;
  /** Called with each new state (replaced, never mutated). */
  onChange?(state: ClientState): void;
  /** Called when a friend's envelope has been taken in and the state holds it; `row.kind` says what it carried. */
  onReceived?(row: PostRow): void;
}

/** The client's rules, behind a store, a relay connection, an optional mesh and a clock. Keys never leave it. */
export class ClientCore {
  readonly #ctx: Ctx;
  readonly #opts: CoreOptions;
  #state: ClientState = { ready: false, friends: [], blocked: [], posts: [], unread: 0, lists: [], relay: 'offline', direct: 0 };
  /** Incoming relay and channel messages are handled one at a time, in arrival order. */
  #inbox: Promise<void> = Promise.resolve();
  #closed = false;
  /** Whether an identity goes online (start, create, import); a terminal command that needs no network says no. */
  #connect = true;
  /** The first feed page, read by start() beside the state: the first plain feed() takes it unless a refresh came first. */
  #firstPage?: Promise<FeedPage>;

  constructor(opts: CoreOptions) {
    this.#opts = opts;
    const log = opts.log ?? console;
    this.#ctx = {
      store: opts.store,
      connect: opts.connectRelay,
      clock: opts.clock ?? systemClock(),
      log,
      direct: !!opts.createMesh,
      ...(opts.createMesh && { createMesh: opts.createMesh }),
      opens: new Map(),
      deviceName: opts.deviceName ?? 'Browser',
      seqFloor: 1,
      friends: new Map(),
      devices: new Map(),
      linking: new Map(),
      online: new Set(),
      seen: new Set(),
      seenOf: new Set(),
      blocked: new Set(),
      receipted: new Map(),
      flush: { delay: 1000 },
      refresh: (patch) => this.#refresh(patch),
      serial: (fn) => this.#serial(fn),
      presence: (key, online) => this.#onPresence(key, online),
      onReceived: (p) => opts.onReceived?.(p),
      took: (row) => this.#took(row),
    };
  }

  get state(): ClientState {
    return this.#state;
  }

  /** Resolves once every queued message, and all they queued in turn (state builds too), has been handled. */
  async idle(): Promise<void> {
    let inbox: Promise<void>;
    let refreshing: Promise<void>;
    do {
      inbox = this.#inbox;
      refreshing = this.#refreshing;
      await Promise.all([inbox, refreshing]);
    } while (inbox !== this.#inbox || refreshing !== this.#refreshing);
  }

  /**
   * Loads everything from the store first (the feed shows offline), then goes online if there is an identity,
   * unless `connect` is false (then it never does).
   */
  async start(opts: { connect?: boolean } = {}): Promise<void> {
    this.#connect = opts.connect ?? true;
    const { store, friends, devices, blocked } = this.#ctx;
    // Run again (the browser shell, after another tab let go of this identity): nothing read before is kept.
    for (const held of [friends, devices, blocked, this.#ctx.seen, this.#ctx.seenOf]) held.clear();
    forgetLastSeq(this.#ctx); // another tab may have posted meanwhile
    this.#ctx.me = undefined;
    // Together: IndexedDB answers the three in about the time of one. The feed's first page needs no identity to
    // start: its posts and read mark are read beside them.
    const page = pageReads(this.#ctx);
    page.catch(() => undefined); // a failure reaches the feed() that takes the page
    const [row, friendRows, blockedRows] = await Promise.all([store.getIdentity(), store.listFriends(), store.listBlocked()]);
    for (const f of friendRows) {
      // Rows from before mailbox capabilities: derived once here, then kept.
      if (row && (!f.mailboxOut || !f.mailboxAllow)) {
        Object.assign(f, pairFields(row, f));
        await store.putFriend(f);
      }
      (f.person === undefined ? friends : devices).set(f.key, f);
    }
    for (const b of blockedRows) blocked.add(b.key);
    if (row) this.#ctx.me = row;
    this.#ctx.seqFloor = row?.seqFloor ?? 1;
    const built = this.#refresh({ ready: true });
    // The feed's first page is read beside the state, not after the UI has rendered that state and asked for it.
    this.#firstPage = this.#ctx.me ? loadFeed(this.#ctx, {}, page) : undefined;
    this.#firstPage?.catch(() => undefined); // the feed() call that takes it gets the failure
    await built;
    // What is held of each friend's stream is read on their first envelope (heldSeqs), not all of it here.
    if (this.#ctx.me) this.#goOnline();
  }

  /** Goes online after `start({ connect: false })`: the browser shell, once it holds the tab's lock (client/session.ts). */
  connect(): void {
    if (this.#connect) return;
    this.#connect = true;
    if (this.#ctx.me) this.#goOnline();
  }

  async createIdentity(name: string): Promise<void> {
    const clean = name.trim();
    if (!clean) throw new BwError('bad-frame', 'pick a display name');
    if (clean.length > 64) throw new BwError('oversize', 'display name is over 64 characters');
    if (this.#ctx.me) throw new BwError('bad-frame', 'there is already an identity here');
    const id = generateIdentity(clean);
    await this.#ctx.store.putIdentity({ id: 'me', ...id, created: this.#ctx.clock.now() });
    this.#ctx.me = id;
    await this.#refresh();
    this.#goOnline();
  }

  /**
   * Restores an identity from a key backup (a client that has none yet): v2 also brings back friends (their pair keys
   * derived again), blocked keys, open invites and my profile card; v1 the identity alone.
   */
  async importIdentity(backup: string, passphrase: string): Promise<void> {
    if (this.#ctx.me) throw new BwError('bad-frame', 'there is already an identity here');
    await restore(this.#ctx, openBackup(backup, passphrase));
    await this.#refresh();
    this.#goOnline();
  }

  /** My identity, friends and profile as passphrase-protected text (backup v2: scrypt + XChaCha20-Poly1305). */
  async exportBackup(passphrase: string, opts?: BackupOptions): Promise<string> {
    if (this.#ctx.me?.identity) throw new BwError('not-author', 'a linked device holds no identity secret: make the key backup on the device that does');
    return exportBackupV2(await backupContents(this.#ctx), passphrase, opts);
  }

  createInvite = (): Promise<string> => makeInvite(this.#ctx, this.#opts.relayUrl);
  acceptInvite = (code: string): Promise<{ name: string; key: string }> => answerInvite(this.#ctx, code);
  /** A post to all friends, or to `audience` (a list id); `to` in the answer says whom (send photo blobs to those). */
  post = (input: string | PostInput): Promise<Written> => post(this.#ctx, typeof input === 'string' ? { text: input } : input);
  /** `post`: an item key `author:id` (or a bare id of mine). */
  reply = (post: string, text: string): Promise<Written> => reply(this.#ctx, post, text);
  /** One emoji per person per post; null withdraws mine. */
  react = (post: string, emoji: string | null): Promise<Written> => react(this.#ctx, post, emoji);
  edit = (post: string, text: string): Promise<Written> => edit(this.#ctx, post, text);
  delete = (post: string): Promise<Written> => remove(this.#ctx, post);
  saveProfile = (p: { name: string; bio: string; avatar?: ImageRef | null }) => saveProfile(this.#ctx, p);
  saveList = (l: { id?: string; name: string; members: string[] }): Promise<ListRow> => saveList(this.#ctx, l);
  deleteList = (id: string): Promise<void> => deleteList(this.#ctx, id);
  markRead = (upTo: number): Promise<void> => markRead(this.#ctx, upTo);
  /** On the primary: adds a linked device's entry to my device list and sends the new list to every friend. */
  addDevice = (entry: Device): Promise<DeviceList> => addMyDevice(this.#ctx, entry);
  /**
   * On a new device with no identity: starts linking it to an identity held on another device. Show `code` (as a QR
   * code, or to paste) on this device; when `done` resolves, call start() to go online as the linked device.
   */
  startLink = (name: string): NewLink => {
    const link = startLinking(this.#ctx, { name, relay: this.#opts.relayUrl });
    // Stored: this core starts again as the linked device (and goes online, as start() would).
    return { ...link, done: link.done.then(() => this.start({ connect: this.#connect })) };
  };
  /** On the primary: answers a new device's link code; confirm once both screens show the same `sas`. */
  linkDevice = (code: string): Promise<PrimaryLink> => answerLinkCode(this.#ctx, code);
  /** Removes one of my devices (by its key) from my list: friends stop sealing to it once the new list reaches them. */
  removeDevice = (key: string): Promise<DeviceList> => removeMyDevice(this.#ctx, key);
  /** A page of the feed view model (threads, reactions, unread), or a search over local posts. */
  feed = (opts: { before?: number; limit?: number; search?: string } = {}): Promise<FeedPage> => {
    const first = this.#firstPage;
    this.#firstPage = undefined;
    return first && opts.before === undefined && opts.limit === undefined && !opts.search ? first : loadFeed(this.#ctx, opts);
  };
  unfriend = (key: string): Promise<void> => unfriend(this.#ctx, key);
  block = (key: string): Promise<void> => block(this.#ctx, key);
  /** Sends a post's image blobs (client/image.ts) to its recipients: channel, else relay, else kept to retry. */
  sendBlobs = (blobs: readonly OutgoingBlob[], to: readonly string[]): Promise<Record<string, BlobDelivery>[]> => sendBlobs(this.#ctx, blobs, to);
  /** The decrypted image a ref names, fetched on demand from this device, the relay or `from` (see client/core/blobs.ts). */
  fetchImage = (ref: Pick<ImageRef, 'id' | 'key' | 'mime' | 'bytes'>, from: string): Promise<Uint8Array> => fetchImage(this.#ctx, ref, from);

  /** Closes the network side and the store. */
  close(): void {
    this.#closed = true;
    if (this.#ctx.flush.timer !== undefined) this.#ctx.clock.clearTimeout(this.#ctx.flush.timer);
    stopBlobs(this.#ctx);
    this.#ctx.mesh?.close();
    this.#ctx.relay?.close();
    this.#ctx.store.close();
  }

  #goOnline(): void {
    if (!this.#connect || this.#closed) return;
    const ctx = this.#ctx;
    const me = requireMe(ctx);
    ctx.mesh = this.#opts.createMesh?.(peerId(me.sigPub), {
      signal: (to, signal, lost) =>
        void ctx.relay?.call('signal:send', { to, data: { kind: 'sdp', signal } }).catch((e) => {
          ctx.log.warn('[bw] signal not sent', e.code ?? e);
          lost(); // e.g. the relay was restarting: that connection attempt can never complete
        }),
      open: (key) => (ctx.opens.get(key)?.(), this.#serial(async () => {
        await markMutual(ctx, key);
        // Catch-up: tell them how far I hold their posts; they resend what I lack (and learn what I got).
        sendChannel(ctx, key, { t: 'sync', since: await cursorFor(ctx, key) });
        await flushOutbox(ctx);
        await flushBlobs(ctx);
        await this.#refresh();
      })),
      close: () => void this.#refresh(),
      message: (from, text) => (stamp('mesh.data'), this.#serial(() => (stamp('inbox.start'), onChannelMessage(ctx, from, text)))),
    });
    ctx.relay = ctx.connect(me, {
      status: (s, detail) => void this.#refresh({ relay: s, relayDetail: detail }),
      authenticated: (ice) => this.#serial(async () => {
        ctx.mesh?.setIceServers(ice);
        await watch(ctx);
        await flushOutbox(ctx);
        await flushBlobs(ctx);
        await drainMailbox(ctx);
        for (const f of ctx.friends.values()) await dropFriendRequest(ctx, f.key); // invites I accepted, inviter never met
        await shareDevices(ctx); // to friends who have not had my current list (made mutual before it existed, or offline)
      }),
      signal: (from, data) => this.#serial(async () => {
        if (isLinkFrame(data)) return onLinkFrame(ctx, from, data); // a device being linked: not a friend
        const msg = parse(SignalDataSchema, data, 'signal');
        if (msg.kind === 'friend-request') return onFriendRequest(ctx, from, msg);
        if (!rowOf(ctx, from)) throw new BwError('not-friend', 'connection offer from a non-friend');
        if (msg.kind === 'receipt') return markDelivered(ctx, from, (_p, stream) => msg.seqs.includes(stream));
        if (!ctx.mesh) return; // relay-only mode: the friend's offer goes unanswered and they use the mailbox
        ctx.mesh.signal(from, msg.signal);
      }),
      presence: (key, online) => this.#serial(() => this.#onPresence(key, online)),
      mailbox: () => (stamp('relay.mailbox'), this.#serial(() => (stamp('inbox.start'), drainMailbox(ctx)))),
    });
  }

  async #onPresence(key: string, online: boolean): Promise<void> {
    const ctx = this.#ctx;
    const f = rowOf(ctx, key);
    if (!f) return;
    if (online) {
      ctx.online.add(key);
      if (f.status === 'pending' && f.invite) await sendFriendRequest(ctx, { ...f, ...f.invite });
      // The pending side waits for the inviter to learn of it; the inviter's offer completes the friendship.
      if (ctx.mesh && isInitiator(peerId(requireMe(ctx).sigPub), key)) ctx.mesh.connect(key);
      await sendReceipt(ctx, key); // what I fetched from the mailbox while they were away
    } else {
      ctx.online.delete(key);
      ctx.mesh?.drop(key);
    }
    await this.#refresh();
  }

  /** Runs handlers one at a time; a rejected message is logged with its code, never silently dropped. */
  #serial(fn: () => Promise<void> | void): void {
    this.#inbox = this.#inbox.then(fn).catch((e) => {
      if (isBwError(e)) this.#ctx.log.warn(`[bw] rejected: ${e.code}: ${e.message}`);
      else this.#ctx.log.error('[bw] handler failed', e);
    });
  }

  /**
   * One refresh at a time, in call order: building the state takes several store reads, and a refresh begun earlier
   * (relay 'connecting') must never finish after a later one ('connected') and overwrite it. Calls made while a build
   * waits its turn join that build (their patches merged in call order): it starts after every one of them, so each
   * still resolves with a state that holds what it stored, and a burst of changes (a mailbox page, acks, presence)
   * costs one build, not one each over the whole store.
   */
  #refresh(patch: Partial<ClientState> = {}): Promise<void> {
    this.#firstPage = undefined; // something changed since it was read: the next feed() reads afresh
    if (this.#waiting) {
      Object.assign(this.#waiting.patch, patch);
      return this.#waiting.run;
    }
    const waiting = { patch: { ...patch }, run: Promise.resolve() };
    waiting.run = this.#refreshing.then(() => {
      this.#waiting = undefined; // from here on, a new call needs a build of its own
      return this.#rebuild(waiting.patch);
    });
    this.#waiting = waiting;
    this.#refreshing = waiting.run.catch(() => {});
    return waiting.run;
  }

  #refreshing: Promise<void> = Promise.resolve();
  /** Posts taken into the state without a build (#took), numbered; a build that began before one may have missed it. */
  #taken: { n: number; row: PostRow }[] = [];
  #takenN = 0;

  /** A friend's stored envelope into the state (see Ctx.took), then announced. */
  #took(row: PostRow): void {
    const announce = () => {
      stamp('recv.refreshed');
      if (row.kind !== 'refused') this.#ctx.onReceived(row);
    };
    const next = this.#closed ? undefined : withPost(this.#ctx, this.#state, row);
    if (!next) {
      void this.#refresh().then(announce).catch((e) => this.#ctx.log.error('[bw] state not rebuilt after a post', e));
      return;
    }
    this.#taken.push({ n: this.#takenN++, row });
    if (next !== this.#state) {
      this.#state = next;
      this.#opts.onChange?.(this.#state);
    }
    announce();
  }
  /** The build queued behind the one running, not started yet: later calls join it. */
  #waiting?: { patch: Partial<ClientState>; run: Promise<void> };

  async #rebuild(patch: Partial<ClientState>): Promise<void> {
    if (this.#closed) return;
    let next: ClientState;
    stamp('state.build');
    const from = this.#takenN;
    try {
      next = await buildState(this.#ctx, this.#state, patch);
      stamp('state.built');
    } catch (e) {
      if (this.#closed) return; // the store closed under a refresh in flight: nobody is listening any more
      throw e;
    }
    if (this.#closed) return;
    // Posts taken in while this build read the store may be missing from what it read: they are put back, and one
    // more build (which reads after them) settles the count of unread ones.
    const late = this.#taken.filter((t) => t.n >= from);
    this.#taken = late;
    for (const { row } of late) next = withPost(this.#ctx, next, row) ?? next;
    if (late.length) void this.#refresh().catch((e) => this.#ctx.log.error('[bw] state not rebuilt after a post', e));
    this.#state = next;
    this.#opts.onChange?.(this.#state);
  }
}
