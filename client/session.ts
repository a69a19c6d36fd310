// Owns one user's running client: identity, friends, posting and receiving, wiring store, relay and mesh together.
import { BwError, isBwError } from '../shared/errors.js';
import { fromB64u, toB64u } from '../shared/bytes.js';
import { generateIdentity, fingerprint, peerId, safetyNumber, type Identity } from '../shared/crypto/identity.js';
import { mailboxAllowTag, pairKeys } from '../shared/crypto/pairwise.js';
import { acceptInvite, createFriendRequest, createInvite, inviteTag, openFriendRequest, type Invite } from '../shared/crypto/invite.js';
import { checkBody, openPost, sealPost, MAX_BODY_CHARS } from '../shared/crypto/envelope.js';
import { exportBackup, importBackup } from '../shared/crypto/backup.js';
import { parse } from '../shared/validate.js';
import { ChannelMessageSchema, LIMITS, SignalDataSchema, type ChannelMessage, type FriendRequest } from '../shared/protocol.js';
import { loadIdentity, openDb, type BwDb, type Delivery, type FriendRow, type IdentityRow, type PostRow, type Via } from './db.js';
import { connectRelay, type RelayConnection, type RelayStatus } from './relay-connection.js';
import { createMesh, isInitiator, type Mesh } from './mesh.js';
import { contiguousCursor, deliveredBy, postsToResend } from './sync.js';

export { MAX_BODY_CHARS };

/** What the UI renders; replaced (never mutated) on every change. */
export interface SessionState {
  ready: boolean;
  me?: { key: string; name: string; fingerprint: string };
  friends: (Pick<FriendRow, 'key' | 'name' | 'status'> & { online: boolean; direct: boolean; safetyNumber: string })[];
  blocked: string[];
  posts: (PostRow & { authorName: string; mine: boolean })[];
  relay: RelayStatus;
  relayDetail?: string;
  direct: number;
  /** Another tab of this browser has this identity open; this one waits and takes over when that one closes. */
  elsewhere?: boolean;
}

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

const FEED_LIMIT = 200;

/**
 * Where a restored identity's post numbering starts. A friend refuses a post whose (author, seq) it already holds as a
 * replay, and its catch-up cursor counts every seq up to it as delivered, so a restored browser must never reuse a
 * number the lost one used; the receiver needs nothing more than that (author, seq) pairs stay unique. The backup
 * cannot know how far the lost browser got (it kept posting after the backup was made, and old backups carry no
 * counter), so the floor is the restore time in milliseconds: a counter that starts at 1 and grows by one per post is
 * ~1.8e12 posts short of it, and one that itself started at an earlier restore's floor stays below a later restore's
 * clock unless it posted more than once per millisecond (or the clocks disagree by more than its post count in ms).
 * 2^53 leaves room for 285 000 years of such floors. Friends' cursors stop below the jump; posts above it are still
 * acked one by one.
 */
export const restoredSeqFloor = (now: number): number => Math.max(1, Math.floor(now));

/** The keys a friendship keeps, derived once (one X25519) at befriending. */
function pairFields(me: Identity, friend: Pick<FriendRow, 'sigPub' | 'dhPub'>): Pick<FriendRow, 'wrapKey' | 'mailboxOut' | 'mailboxAllow'> {
  const k = pairKeys(me, friend);
  return { wrapKey: k.wrap, mailboxOut: toB64u(k.mailboxOut), mailboxAllow: mailboxAllowTag(k.mailboxIn, friend.sigPub) };
}

/**
 * Events: 'change' (state changed), 'post' (CustomEvent<PostEvent>: a friend's post arrived).
 * Keys never leave this object through its API: state carries only public data.
 */
export class Session extends EventTarget {
  #db: BwDb;
  #opts: SessionOptions;
  readonly #direct: boolean;
  #now: () => number;
  #me?: Identity;
  /** My next post is numbered at least this (restoredSeqFloor after a restore, else 1). */
  #seqFloor = 1;
  #friends = new Map<string, FriendRow>();
  #online = new Set<string>();
  #seen = new Set<string>();
  /** Per friend, the receipt last sent them (each is sent once a session; a reload sends it again). */
  #receipted = new Map<string, string>();
  #relay?: RelayConnection;
  #mesh?: Mesh;
  #state: SessionState = { ready: false, friends: [], blocked: [], posts: [], relay: 'offline', direct: 0 };
  #blocked = new Set<string>();
  #flushTimer?: ReturnType<typeof setTimeout>;
  #flushDelay = 1000;
  /** Incoming relay and channel messages are handled one at a time, in arrival order. */
  #inbox: Promise<void> = Promise.resolve();
  /** Ends the tab's hold on this identity (see #claim). */
  #closed = new AbortController();

  constructor(opts: SessionOptions) {
    super();
    this.#opts = opts;
    this.#direct = opts.direct ?? true;
    this.#now = opts.now ?? Date.now;
    this.#db = openDb(opts.dbName);
  }

  get state(): SessionState {
    return this.#state;
  }

  /**
   * Loads everything from IndexedDB first (the feed shows offline), then goes online if there is an identity.
   * Waits first, showing `elsewhere`, while another tab of this browser has the same database open.
   */
  async start(): Promise<void> {
    if (!(await this.#claim())) return;
    const row = await loadIdentity(this.#db);
    for (const f of await this.#db.friends.toArray()) {
      // Rows from before mailbox capabilities: derived once here, then kept.
      if (row && (!f.mailboxOut || !f.mailboxAllow)) {
        Object.assign(f, pairFields(row, f));
        await this.#db.friends.put(f);
      }
      this.#friends.set(f.key, f);
    }
    for (const b of await this.#db.blocked.toArray()) this.#blocked.add(b.key);
    for (const [author, seq] of (await this.#db.posts.toCollection().primaryKeys()) as unknown as [string, number][]) this.#seen.add(`${author}:${seq}`);
    if (row) this.#me = row;
    this.#seqFloor = row?.seqFloor ?? 1;
    await this.#refresh({ ready: true });
    if (this.#me) this.#goOnline();
  }

  async createIdentity(name: string): Promise<void> {
    const clean = name.trim();
    if (!clean) throw new BwError('bad-frame', 'pick a display name');
    if (clean.length > 64) throw new BwError('oversize', 'display name is over 64 characters');
    if (this.#me) throw new BwError('bad-frame', 'this browser already has an identity');
    const id = generateIdentity(clean);
    const row: IdentityRow = { id: 'me', ...id, created: this.#now() };
    await this.#db.identity.put(row);
    this.#me = id;
    await this.#refresh();
    this.#goOnline();
  }

  /** Restores an identity from a key backup (a browser that has none yet). */
  async importIdentity(backup: string, passphrase: string): Promise<void> {
    if (this.#me) throw new BwError('bad-frame', 'this browser already has an identity');
    const id = importBackup(backup, passphrase);
    const seqFloor = restoredSeqFloor(this.#now());
    await this.#db.identity.put({ id: 'me', ...id, created: this.#now(), seqFloor });
    this.#me = id;
    this.#seqFloor = seqFloor;
    await this.#refresh();
    this.#goOnline();
  }

  /** My identity as passphrase-protected text (scrypt + XChaCha20-Poly1305). */
  exportBackup(passphrase: string): string {
    return exportBackup(this.#requireMe(), passphrase);
  }

  /** A fresh invite code (remembered, so the friend request that answers it is recognised). */
  async createInvite(): Promise<string> {
    const me = this.#requireMe();
    const relay = this.#opts.relay || location.origin;
    const { code, invite } = createInvite(me, { relay, now: this.#now() });
    await this.#db.invites.put({ token: toB64u(invite.token), expires: invite.expires });
    this.#serial(() => this.#watch()); // the relay lets holders of this invite reach me from now on
    return code;
  }

  /** Accepts a pasted invite code or link; the inviter is told through the relay (now, or when next online). */
  async acceptInvite(code: string): Promise<{ name: string; key: string }> {
    const me = this.#requireMe();
    const inv = acceptInvite(me, code, this.#now());
    if (this.#blocked.has(peerId(inv.sigPub))) {
      this.#blocked.delete(peerId(inv.sigPub)); // accepting their invite is an explicit unblock
      await this.#db.blocked.delete(peerId(inv.sigPub));
    }
    await this.#addFriend(inv, 'pending');
    await this.#sendFriendRequest(inv);
    return { name: inv.name, key: peerId(inv.sigPub) };
  }

  async post(body: string): Promise<PostRow> {
    const me = this.#requireMe();
    checkBody(body);
    if (!body.trim()) throw new BwError('bad-frame', 'write something first');
    const myKey = peerId(me.sigPub);
    const last = await this.#db.posts.where('author').equals(myKey).last();
    const seq = Math.max((last?.seq ?? 0) + 1, this.#seqFloor);
    const ts = this.#now();
    const friends = [...this.#friends.values()];
    const sealed = sealPost(me, { seq, ts, body }, friends.map((f) => ({ sigPub: f.sigPub, wrapKey: f.wrapKey })));
    // Every recipient is recorded before anything is sent, so catch-up knows whom the post was for.
    const delivery: Record<string, Delivery> = Object.fromEntries(sealed.map((s) => [peerId(s.to), 'queued' as Delivery]));
    const row: PostRow = { author: myKey, seq, ts, body, via: 'self', received: ts, delivery };
    await this.#db.posts.put(row);
    this.#seen.add(`${myKey}:${seq}`);
    await Promise.all(sealed.map(async (s) => {
      const to = peerId(s.to);
      const how = await this.#deliver(to, seq, toB64u(s.envelope));
      await this.#setDelivery(seq, to, how);
      if (how === 'queued') this.#scheduleFlush();
    }));
    await this.#refresh();
    return row;
  }

  /**
   * Removes a friend: no later post is sealed for them, queued ones are dropped, the channel closes, and the invite of
   * mine they answered is withdrawn (invites are reusable until they expire: pasting it again must not re-add them).
   */
  async unfriend(key: string): Promise<void> {
    const f = this.#friends.get(key);
    if (!f) throw new BwError('not-friend', 'that key is not a friend');
    this.#friends.delete(key);
    if (f.answered) await this.#db.invites.update(f.answered, { revoked: this.#now() });
    await this.#db.friends.delete(key);
    await this.#db.outbox.where('to').equals(key).delete();
    this.#mesh?.drop(key);
    this.#online.delete(key);
    await this.#watch();
    await this.#refresh();
  }

  /** Unfriends and refuses any later friend request or offer from that key. */
  async block(key: string): Promise<void> {
    this.#blocked.add(key);
    await this.#db.blocked.put({ key, at: this.#now() });
    // The invite they answered would still let them see me come and go, and reach me: it is withdrawn.
    const answered = this.#friends.get(key)?.answered;
    if (answered) await this.#db.invites.delete(answered);
    if (this.#friends.has(key)) await this.unfriend(key); // re-watches without them
    else await this.#watch();
    await this.#refresh();
  }

  close(): void {
    this.#closed.abort();
    clearTimeout(this.#flushTimer);
    this.#mesh?.close();
    this.#relay?.close();
    this.#db.close();
  }

  // ---- delivery ---------------------------------------------------------------------------------------

  /** Direct if the channel is open, else the relay's mailbox, else the local outbox until the network returns. */
  async #deliver(to: string, seq: number, env: string): Promise<Delivery> {
    if (this.#sendChannel(to, { t: 'post', env })) return 'direct';
    try {
      const cap = this.#friends.get(to)?.mailboxOut;
      if (!cap) throw new BwError('not-friend', 'no mailbox capability for that key');
      await this.#relay!.call('mailbox:put', { to, env, cap });
      return 'relay';
    } catch (e) {
      console.warn('[bw] mailbox put failed, queued', isBwError(e) ? e.code : e);
      await this.#db.outbox.add({ to, seq, env, created: this.#now() });
      return 'queued';
    }
  }

  /** Retries the outbox with backoff while the relay is up but refused something (rate limit, quota, a blip). */
  #scheduleFlush(): void {
    if (this.#flushTimer || this.#relay?.status !== 'connected') return;
    const delay = this.#flushDelay;
    this.#flushDelay = Math.min(this.#flushDelay * 2, 60_000);
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#serial(() => this.#flushOutbox());
    }, delay);
  }

  async #flushOutbox(): Promise<void> {
    for (const item of await this.#db.outbox.toArray()) {
      if (!this.#friends.has(item.to)) {
        await this.#db.outbox.delete(item.id!); // unfriended since: the post must not reach them
        continue;
      }
      const how = await this.#deliver(item.to, item.seq, item.env);
      if (how !== 'queued') {
        await this.#db.outbox.delete(item.id!);
        await this.#setDelivery(item.seq, item.to, how);
      } else {
        this.#scheduleFlush(); // keep order, try again later
        await this.#refresh();
        return;
      }
    }
    this.#flushDelay = 1000;
    await this.#refresh();
  }

  async #receive(env: string, via: Via): Promise<PostRow> {
    const me = this.#requireMe();
    const bytes = fromB64u(env, 'envelope');
    const post = openPost(bytes, {
      me: me.sigPub,
      wrapKeyFor: (author) => this.#friends.get(peerId(author))?.wrapKey,
      seen: (author, seq) => this.#seen.has(`${peerId(author)}:${seq}`),
    });
    const row: PostRow = { author: peerId(post.author), seq: post.seq, ts: post.ts, body: post.body, via, received: this.#now() };
    this.#seen.add(`${row.author}:${row.seq}`);
    await this.#db.posts.put(row);
    await this.#markMutual(row.author); // they seal posts for me: they hold me as a friend (relay-only mode learns it here)
    await this.#refresh();
    this.dispatchEvent(new CustomEvent<PostEvent>('post', { detail: { post: row } }));
    this.#sendChannel(row.author, { t: 'ack', seq: row.seq });
    return row;
  }

  /** A pending friend has shown they hold me as a friend (a channel opened, or a post of theirs verified). */
  async #markMutual(key: string): Promise<void> {
    const f = this.#friends.get(key);
    if (!f || f.status === 'mutual') return;
    f.status = 'mutual';
    await this.#db.friends.update(key, { status: 'mutual' });
    await this.#watch(); // their invite is answered: stop presenting its tag to the relay
    await this.#refresh();
  }

  async #drainMailbox(): Promise<void> {
    for (;;) {
      const { items } = await this.#relay!.call('mailbox:fetch', { after: 0, limit: LIMITS.maxFetchPage });
      if (!items.length) return;
      const got: string[] = [];
      for (const item of items) {
        try {
          got.push((await this.#receive(item.env, 'relay')).author);
        } catch (e) {
          // Stored locally or unreadable for a named reason: either way it is settled, so it is acknowledged.
          if (!isBwError(e)) throw e;
          if (e.code !== 'replay') console.warn('[bw] mailbox post rejected', e.code, e.message);
        }
      }
      await this.#relay!.call('mailbox:ack', { ids: items.map((i) => i.id) });
      for (const author of new Set(got)) await this.#sendReceipt(author);
    }
  }

  /**
   * Tells a friend, through the relay, which of their newest posts I hold, so their copy shows 'delivered' without a
   * data channel (one that came through the mailbox has nobody else to say so). Best effort: an offline friend gets
   * it when presence next says they are online.
   */
  async #sendReceipt(author: string): Promise<void> {
    if (!this.#online.has(author) || this.#relay?.status !== 'connected') return;
    const held = (await this.#db.posts.where('author').equals(author).reverse().limit(LIMITS.maxReceiptSeqs).primaryKeys()) as unknown as [string, number][];
    const seqs = held.map(([, seq]) => seq);
    const sig = seqs.join(',');
    if (!seqs.length || this.#receipted.get(author) === sig) return;
    this.#receipted.set(author, sig);
    try {
      await this.#relay.call('signal:send', { to: author, data: { kind: 'receipt', seqs } });
    } catch (e) {
      this.#receipted.delete(author);
      if (!isBwError(e)) throw e;
      console.warn('[bw] receipt not sent', e.code);
    }
  }

  // ---- friends ----------------------------------------------------------------------------------------

  async #addFriend(inv: Invite, status: FriendRow['status']): Promise<FriendRow> {
    const me = this.#requireMe();
    const key = peerId(inv.sigPub);
    const existing = this.#friends.get(key);
    const row: FriendRow = {
      key,
      name: inv.name,
      sigPub: inv.sigPub,
      dhPub: inv.dhPub,
      ...pairFields(me, inv),
      status: existing?.status === 'mutual' ? 'mutual' : status,
      added: existing?.added ?? this.#now(),
      ...(status === 'pending' && { invite: { token: inv.token, relay: inv.relay, expires: inv.expires } }),
      ...(status === 'mutual' && { answered: toB64u(inv.token) }),
    };
    await this.#db.friends.put(row);
    this.#friends.set(key, row);
    await this.#watch();
    await this.#refresh();
    return row;
  }

  async #sendFriendRequest(inv: Invite): Promise<void> {
    const req = createFriendRequest(this.#requireMe(), inv, this.#now());
    try {
      await this.#relay?.call('signal:send', { to: peerId(inv.sigPub), data: req });
    } catch (e) {
      // Offline inviter: the request is sent again when presence says they are online.
      if (!isBwError(e, 'offline') && !isBwError(e, 'unavailable')) throw e;
    }
  }

  async #onFriendRequest(from: string, req: FriendRequest): Promise<void> {
    if (this.#blocked.has(from)) throw new BwError('not-friend', 'friend request from a blocked key');
    const card = openFriendRequest(this.#requireMe(), req, this.#now());
    if (peerId(card.sigPub) !== from) throw new BwError('bad-signature', 'friend request sender does not match its card');
    const invite = await this.#db.invites.get(toB64u(card.token));
    if (!invite) throw new BwError('not-friend', 'friend request answers no invite of mine');
    if (invite.revoked) throw new BwError('revoked', 'friend request answers an invite I withdrew when I removed a friend who had used it');
    if (invite.expires <= this.#now()) throw new BwError('expired', 'friend request answers an expired invite');
    await this.#addFriend(card, 'mutual');
    if (this.#direct && this.#online.has(from)) this.#mesh?.connect(from);
  }

  // ---- network ----------------------------------------------------------------------------------------

  #goOnline(): void {
    const me = this.#requireMe();
    const myKey = peerId(me.sigPub);
    this.#mesh = createMesh(myKey, {
      signal: (to, signal, lost) =>
        void this.#relay?.call('signal:send', { to, data: { kind: 'sdp', signal } }).catch((e) => {
          console.warn('[bw] signal not sent', e.code ?? e);
          lost(); // e.g. the relay was restarting: that connection attempt can never complete
        }),
      open: (key) => this.#serial(async () => {
        await this.#markMutual(key);
        // Catch-up: tell them how far I hold their posts; they resend what I lack (and learn what I got).
        this.#sendChannel(key, { t: 'sync', since: await this.#cursorFor(key) });
        await this.#flushOutbox();
        await this.#refresh();
      }),
      close: () => void this.#refresh(),
      message: (from, text) => this.#serial(() => this.#onChannelMessage(from, text)),
    });
    this.#relay = connectRelay(this.#opts.relay, me, {
      status: (s, detail) => void this.#refresh({ relay: s, relayDetail: detail }),
      authenticated: (ice) => this.#serial(async () => {
        this.#mesh!.setIceServers(ice);
        await this.#watch();
        await this.#flushOutbox();
        await this.#drainMailbox();
      }),
      signal: (from, data) => this.#serial(async () => {
        const msg = parse(SignalDataSchema, data, 'signal');
        if (msg.kind === 'friend-request') return this.#onFriendRequest(from, msg);
        if (!this.#friends.has(from)) throw new BwError('not-friend', 'connection offer from a non-friend');
        if (msg.kind === 'receipt') return this.#markDelivered(from, (p) => msg.seqs.includes(p.seq));
        if (!this.#direct) return; // relay-only mode: the friend's offer goes unanswered and they use the mailbox
        this.#mesh!.signal(from, msg.signal);
      }),
      presence: (key, online) => this.#serial(() => this.#onPresence(key, online)),
      mailbox: () => this.#serial(() => this.#drainMailbox()),
    });
  }

  async #onChannelMessage(from: string, text: string): Promise<void> {
    if (!this.#friends.has(from)) throw new BwError('not-friend', 'data channel message from a non-friend');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new BwError('bad-frame', 'channel message is not JSON');
    }
    const msg = parse(ChannelMessageSchema, json, 'channel message');
    switch (msg.t) {
      case 'post':
        try {
          await this.#receive(msg.env, 'p2p');
        } catch (e) {
          // A catch-up resend of a post already held is expected: the sync cursor already told them.
          if (!isBwError(e, 'replay')) throw e;
        }
        return;
      case 'ack':
        return this.#markDelivered(from, (p) => p.seq === msg.seq);
      case 'sync': {
        const me = this.#requireMe();
        const friend = this.#friends.get(from)!;
        const mine = await this.#db.posts.where('author').equals(peerId(me.sigPub)).toArray();
        await this.#markDelivered(from, (p) => deliveredBy([p], from, msg.since).length > 0);
        for (const p of postsToResend(mine, from, msg.since)) {
          const [s] = sealPost(me, { seq: p.seq, ts: p.ts, body: p.body }, [{ sigPub: friend.sigPub, wrapKey: friend.wrapKey }]);
          this.#sendChannel(from, { t: 'post', env: toB64u(s!.envelope) });
        }
        return;
      }
    }
  }

  async #cursorFor(author: string): Promise<number> {
    const keys = (await this.#db.posts.where('author').equals(author).primaryKeys()) as unknown as [string, number][];
    return contiguousCursor(keys.map(([, seq]) => seq));
  }

  /** Records how my post `seq` left for `to`; never downgrades 'delivered' (an ack may beat this write). */
  async #setDelivery(seq: number, to: string, how: Delivery): Promise<void> {
    const me = peerId(this.#requireMe().sigPub);
    await this.#db.posts.where('[author+seq]').equals([me, seq]).modify((p: PostRow) => {
      if (p.delivery?.[to] !== 'delivered') p.delivery = { ...p.delivery, [to]: how };
    });
  }

  async #markDelivered(friend: string, which: (p: PostRow) => boolean): Promise<void> {
    const me = peerId(this.#requireMe().sigPub);
    let changed = false;
    await this.#db.posts.where('author').equals(me).modify((p: PostRow) => {
      if (p.delivery && friend in p.delivery && p.delivery[friend] !== 'delivered' && which(p)) {
        p.delivery[friend] = 'delivered';
        changed = true;
      }
    });
    if (changed) await this.#refresh();
  }

  #sendChannel(to: string, msg: ChannelMessage): boolean {
    return this.#mesh?.send(to, JSON.stringify(msg)) ?? false;
  }

  /**
   * Tells the relay whose presence I want and who may see mine (signaling/presence.ts): my friends; holders of my
   * open invites (their friend request can reach me); and, for invites I accepted, the inviter I still have to reach.
   */
  async #watch(): Promise<void> {
    if (this.#relay?.status !== 'connected') return;
    const now = this.#now();
    const newest = <T>(rows: T[], expires: (r: T) => number) =>
      rows.filter((r) => expires(r) > now).sort((a, b) => expires(b) - expires(a)).slice(0, LIMITS.maxInviteTags);
    const mine = newest((await this.#db.invites.toArray()).filter((i) => !i.revoked), (i) => i.expires);
    const held = newest([...this.#friends.values()].flatMap((f) => (f.status === 'pending' && f.invite ? [f.invite] : [])), (i) => i.expires);
    const { online } = await this.#relay.call('presence:watch', {
      keys: [...this.#friends.keys()],
      accept: mine.map((i) => inviteTag(fromB64u(i.token, 'invite token'))),
      present: held.map((i) => inviteTag(i.token)),
    });
    // …and who may leave posts in my mailbox: my friends, by the hash of the capability each of them holds.
    const tags = [...this.#friends.values()].flatMap((f) => (f.mailboxAllow ? [f.mailboxAllow] : []));
    await this.#relay.call('mailbox:allow', { tags });
    for (const k of online) await this.#onPresence(k, true);
  }

  async #onPresence(key: string, online: boolean): Promise<void> {
    const f = this.#friends.get(key);
    if (!f) return;
    if (online) {
      this.#online.add(key);
      if (f.status === 'pending' && f.invite) await this.#sendFriendRequest({ ...f, ...f.invite });
      // The pending side waits for the inviter to learn of it; the inviter's offer completes the friendship.
      if (this.#direct && isInitiator(peerId(this.#me!.sigPub), key)) this.#mesh!.connect(key);
      await this.#sendReceipt(key); // what I fetched from the mailbox while they were away
    } else {
      this.#online.delete(key);
      this.#mesh!.drop(key);
    }
    await this.#refresh();
  }

  /** Runs handlers one at a time; a rejected message is logged with its code, never silently dropped. */
  #serial(fn: () => Promise<void> | void): void {
    this.#inbox = this.#inbox.then(fn).catch((e) => {
      if (isBwError(e)) console.warn(`[bw] rejected: ${e.code}: ${e.message}`);
      else console.error('[bw] handler failed', e);
    });
  }

  #requireMe(): Identity {
    if (!this.#me) throw new BwError('unauthenticated', 'create an identity first');
    return this.#me;
  }

  /**
   * One tab per identity: two would both answer a friend's connection offers and both number new posts from the
   * same sequence (one of them then refused by friends as a replay). A Web Lock per database, held until close()
   * or the tab goes away; a second tab waits for it. False if closed while waiting.
   */
  async #claim(): Promise<boolean> {
    const locks = globalThis.navigator?.locks;
    if (!locks) return true; // no Web Locks (very old browser): run as before
    const name = `brainwaves:${this.#opts.dbName}`;
    const closed = this.#closed.signal;
    const held = new Promise<void>((release) => closed.addEventListener('abort', () => release(), { once: true }));
    const hold = (got: (ok: boolean) => void) => (lock: Lock | null) => {
      got(!!lock);
      return lock ? held : undefined;
    };
    if (await new Promise<boolean>((got) => void locks.request(name, { ifAvailable: true }, hold(got)))) return true;
    await this.#refresh({ elsewhere: true });
    try {
      await new Promise<boolean>((got, fail) => void locks.request(name, { signal: closed }, hold(got)).catch(fail));
    } catch (e) {
      if (closed.aborted) return false;
      throw e;
    }
    this.#state = { ...this.#state, elsewhere: false };
    return true;
  }

  async #refresh(patch: Partial<SessionState> = {}): Promise<void> {
    const me = this.#me;
    const myKey = me ? peerId(me.sigPub) : '';
    const rows = await this.#db.posts.orderBy('ts').reverse().limit(FEED_LIMIT).toArray();
    const names = new Map([...this.#friends.values()].map((f) => [f.key, f.name]));
    this.#state = {
      ...this.#state,
      ...patch,
      me: me && { key: myKey, name: me.name, fingerprint: fingerprint(me) },
      friends: [...this.#friends.values()].map((f) => ({
        key: f.key,
        name: f.name,
        status: f.status,
        online: this.#online.has(f.key),
        direct: this.#mesh?.isOpen(f.key) ?? false,
        safetyNumber: me ? safetyNumber(me, f) : '',
      })),
      blocked: [...this.#blocked],
      posts: rows.map((r) => ({ ...r, mine: r.author === myKey, authorName: r.author === myKey ? (me?.name ?? '') : (names.get(r.author) ?? r.author.slice(0, 8)) })),
      direct: this.#mesh?.openCount() ?? 0,
    };
    this.dispatchEvent(new Event('change'));
  }
}
