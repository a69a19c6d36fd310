// Owns <bw-feed>: the embeddable BrainWaves client (identity, friends, compose, feed, profile) for any page, one tag.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { isBwError } from '../../shared/errors.js';
import { inviteLink } from '../../shared/crypto/invite.js';
import { linkLink } from '../../shared/crypto/link.js';
import { SessionController } from '../controllers/session-controller.js';
import type { FeedPage, PostEvent, Session, SessionState } from '../session.js';
import type { AudienceList, FeedItem, PersonView, PhotoView, ReplyView } from '../core/feed-view.js';
import type { ImageRef } from '../../shared/photo-ref.js';
import type { NewLink, PrimaryLink } from '../core/link.js';
import { peopleOf, readMarkFor } from '../core/feed.js';
import * as imageCode from '../image.js';
import { theme } from './theme.js';
import { fire } from './events.js';
import { fullTime, plural } from './format.js';
import { searchIcon } from './icons.js';
import { keepSame } from './keep-same.js';
import type { BwPostList } from './bw-post-list.js';
import './bw-onboarding.js';
import './bw-invite.js';
import './bw-compose.js';
import './bw-post-list.js';
import './bw-backup.js';
import './bw-devices.js';
import './bw-avatar.js';
import './bw-profile.js';
import './bw-lists.js';
import { stamp } from '../core/trace.js';
import { clearFirstScreen, firstScreenOf, readFirstScreen, writeFirstScreen, type FirstScreen } from '../first-screen.js';

const message = (e: unknown) => (isBwError(e) ? e.message : `Something went wrong: ${(e as Error)?.message ?? e}`);
type Tab = 'home' | 'friends' | 'profile';
/** Search results shown. */
const SEARCH = 100;
/**
 * The photo code (decode, resize, seal), run on the first photo or avatar picked. It stays in the entry: a chunk of
 * its own would import the entry back, and the embed snippet's SRI hash could not cover it (rollup.config.mjs).
 */
const images = () => Promise.resolve(imageCode);
/** The longest a pull's first screen waits for an idle moment before it is kept (client/first-screen.ts). */
const KEEP_WITHIN_MS = 1000;

/** A device link in progress, as <bw-devices> shows it (either side): the code, the short code, a status line, an error. */
type LinkView = { code: string; sas: string; status: string; error: string };
const NO_LINK: LinkView = { code: '', sas: '', status: '', error: '' };

/** An image fetched for the page: its object URL once decrypted, or why not. */
interface Fetched {
  url?: string;
  state: PhotoView['state'];
}

/**
 * The whole client in one element. Keys stay inside: no property, attribute or event exposes them.
 *
 * @attr relay - relay base URL, e.g. `https://relay.example:8787`; empty = this page's origin
 * @attr db-name - local database name (default `default`); distinct names keep identities apart
 * @attr invite - an invite code or link to pre-fill (the page passes `#invite=` from its URL)
 * @attr invite-base - the page invite links open (default: the relay's own page)
 * @attr link-code - a new device's link code to pre-fill in Profile → Devices (the page passes `#link=` from its URL)
 * @attr no-direct - never connect directly (friends do not learn this browser's IP); posts go via the relay
 * @attr title-unread - show the unread count in the page's title ("(3) BrainWaves"); for the page's own app, not an embed
 * @event bw-post - `{ author, authorName, seq, ts, body, via }` a friend's post arrived
 * @event bw-status - `{ relay, direct, friends }` connection status changed
 * @event bw-read - `{ upTo }` the reader has seen posts received up to then
 * @event bw-reply, bw-react, bw-edit, bw-delete, bw-profile-save, bw-list-save, bw-list-delete - from the parts inside
 * @csspart status - the connection status line
 * @csspart nav - the section tabs
 * @csspart me - my profile
 * @csspart friends - the friends list
 * @csspart online - the sidebar's friends with online dots (wide layouts)
 * @cssprop --bw-color-accent, --bw-color-text, --bw-color-muted, --bw-color-background, --bw-color-surface, --bw-color-line, --bw-color-danger, --bw-radius, --bw-gap, --bw-font-family
 */
export class BwFeed extends LitElement {
  static override properties = {
    relay: { type: String },
    dbName: { type: String, attribute: 'db-name' },
    noDirect: { type: Boolean, attribute: 'no-direct' },
    inviteBase: { type: String, attribute: 'invite-base' },
    invite: { type: String },
    linkCode: { type: String, attribute: 'link-code' },
    titleUnread: { type: Boolean, attribute: 'title-unread' },
    _tab: { state: true },
    _inviteCode: { state: true },
    _inviteError: { state: true },
    _notice: { state: true },
    _error: { state: true },
    _busy: { state: true },
    _backup: { state: true },
    _backupError: { state: true },
    _link: { state: true },
    _pages: { state: true },
    _query: { state: true },
    _results: { state: true },
    _profileError: { state: true },
    _listError: { state: true },
    _images: { state: true },
    _full: { state: true },
  };
  static override styles = [theme, css`
    :host { display: block; background: var(--_surface); container-type: inline-size; min-height: 100%; }
    .top { position: sticky; top: 0; z-index: 3; background: var(--_bg); border-bottom: 1px solid var(--_line); }
    .status, nav { max-width: 980px; margin: 0 auto; box-sizing: border-box; }
    .status { display: flex; gap: 6px 14px; flex-wrap: wrap; align-items: center; font-size: 0.8em; color: var(--_muted); padding: 6px 14px 0; }
    .status .unread { color: var(--_accent); font-weight: 700; }
    .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--_danger); margin-right: 5px; }
    .dot.connected { background: #22a447; }
    .dot.connecting { background: #e0a100; }
    nav { display: flex; gap: 4px; padding: 4px 8px; }
    nav button { flex: 1; background: transparent; color: var(--_muted); border-radius: 10px; padding: 8px 6px; display: flex; gap: 6px;
      align-items: center; justify-content: center; font-weight: 600; }
    nav button[aria-current='page'] { color: var(--_accent); background: var(--_accent-soft); }
    .badge { background: var(--_accent); color: var(--_on-accent); border-radius: 999px; font-size: 0.75em; padding: 1px 7px; min-width: 1em; }
    /* Each column a minmax(0, 1fr) track, never auto: an auto track is sized from its items' min- and max-content
       widths, which Chromium works out again up the tree each time the feed adds a card (most of the layout time in
       the scroll's slow frames, measured with bench/scroll-profile.ts). */
    .cols { display: grid; grid-template-columns: minmax(0, 1fr); gap: 16px; padding: 12px; max-width: 980px; margin: 0 auto; box-sizing: border-box; }
    .main { display: grid; grid-template-columns: minmax(0, 1fr); gap: 12px; min-width: 0; align-content: start; }
    .side { display: none; }
    /* The side column sticks: align-self keeps its box its own height, and a long friend list scrolls inside it (the
       viewport less the sticky offset and a bottom gap as wide as the columns' padding). Stretched
       to the feed's height it could not stick, and Chromium repainted and rastered a layer as tall as the feed every
       scrolled frame (measured, bench/scroll-profile.ts). */
    @container (min-width: 760px) {
      .cols.home { grid-template-columns: 250px minmax(0, 1fr); }
      .cols.home .side { display: grid; gap: 12px; align-content: start; align-self: start; position: sticky; top: 96px;
        max-height: calc(100vh - 96px - 12px); overflow-y: auto; overscroll-behavior: contain; }
    }
    .me { display: flex; gap: 10px; align-items: center; min-width: 0; }
    .me > div { min-width: 0; overflow-wrap: anywhere; }
    .people { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
    .people li { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; min-width: 0; }
    .people .grow { flex: 1 1 8em; min-width: 0; overflow-wrap: anywhere; }
    .people .actions { display: flex; gap: 6px; flex-wrap: wrap; }
    .people details { flex-basis: 100%; padding-left: 50px; font-size: 0.9em; }
    .people code { font-family: ui-monospace, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
    .people .device-notice { flex-basis: 100%; padding: 6px 10px; border-radius: 8px; background: var(--_accent-soft); font-size: 0.9em; }
    .people .devices { margin: 6px 0 0; padding-left: 1.2em; }
    button.small { padding: 4px 10px; font-size: 0.85em; background: transparent; color: var(--_fg); border: 1px solid var(--_line); font-weight: 500; }
    h2 { font-size: 1.05em; margin: 0 0 10px; }
    .search { position: relative; }
    .search input { border-radius: 999px; padding-left: 34px; background: var(--_bg); }
    .search span { position: absolute; left: 12px; top: 50%; transform: translateY(-50%); color: var(--_muted); pointer-events: none; display: flex; }
    .empty { display: grid; gap: 10px; justify-items: center; text-align: center; padding: 8px; color: var(--_fg); }
    .empty strong { font-size: 1.1em; }
    details.card summary { cursor: pointer; font-weight: 600; }
    details.card[open] summary { margin-bottom: 10px; }
    .center { box-sizing: border-box; width: min(30rem, calc(100% - 24px)); margin: 24px auto; padding: 20px 24px; }
    .link-existing { margin-top: var(--_gap); } .link-existing summary { cursor: pointer; }
    [hidden] { display: none !important; }
  `];
  declare relay: string;
  declare dbName: string;
  declare noDirect: boolean;
  declare inviteBase: string;
  declare invite: string;
  declare linkCode: string;
  declare titleUnread: boolean;
  declare _tab: Tab;
  declare _inviteCode: string;
  declare _inviteError: string;
  /** Key of the friend whose invite I just accepted; the notice shown is #noticeText(). */
  declare _notice: string;
  declare _error: string;
  declare _busy: boolean;
  declare _backup: string;
  declare _backupError: string;
  /** A device link in progress (either side): what <bw-devices> shows. */
  declare _link: LinkView;
  #primaryLink?: PrimaryLink;
  #newLink?: NewLink;
  /** The feed pages pulled from session.feed(), newest first (re-pulled on every change of the session). */
  declare _pages: FeedPage[];
  declare _query: string;
  declare _results: FeedItem[] | undefined;
  declare _profileError: string;
  declare _listError: string;
  /** Images fetched for what is on the page (photos' thumbs and full images, avatars), by blob id. Replaced on change. */
  declare _images: Map<string, Fetched>;
  /** The Friends and Profile sections are rendered from the frame after the feed's first paint on. */
  declare _full: boolean;
  #lastStatus = '';
  #search = 0;
  #title?: string;
  /** The state the feed was last pulled for, the pull under way, and whether another is due after it. */
  #pulledFor?: SessionState;
  #pulling?: Promise<void>;
  #again = false;
  /** The session whose first feed pull has finished, and the one that has been told the page is shown. */
  #pulledBy?: Session;
  #shownFor?: Session;
  /** markRead under way (one at a time). */
  #marking = false;
  /** Memo of the feed decorated with image URLs. */
  #memo?: { key: unknown[]; items: FeedItem[] };
  /** The feed's and the search's items last shown, by id: an item whose data did not change stays the same object. */
  #shown = new Map<string, FeedItem>();
  #found = new Map<string, FeedItem>();
  /** Memo of the search results decorated with image URLs. */
  #foundMemo?: { key: unknown[]; items: FeedItem[] };
  /**
   * The first-screen snapshot the session `for` paints from until its own first page is in (null: none), the state
   * made from it, the text last kept, and whether a keep waits for an idle moment.
   */
  #snap?: { for: Session; snap: FirstScreen | null; state?: SessionState };
  #snapText?: string;
  #snapPending = false;

  /** Profile → Devices was opened for a scanned link code. */
  #devicesOpen = false;

  readonly #ctl = new SessionController(this, () => ({ relay: this.relay, dbName: this.dbName, direct: !this.noDirect }), (e) => this.#onPost(e));

  constructor() {
    super();
    this.relay = '';
    this.dbName = 'default';
    this.noDirect = false;
    this.inviteBase = '';
    this.invite = '';
    this.linkCode = '';
    this.titleUnread = false;
    this._tab = 'home';
    this._inviteCode = '';
    this._inviteError = '';
    this._notice = '';
    this._error = '';
    this._busy = false;
    this._backup = '';
    this._backupError = '';
    this._link = NO_LINK;
    this._pages = [];
    this._query = '';
    this._results = undefined;
    this._profileError = '';
    this._listError = '';
    this._images = new Map();
    this._full = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    if (changed.has('linkCode') && this.linkCode) {
      this._tab = 'profile'; // a scanned link code opens where it is used
      this.#devicesOpen = true; // and stays open while it is used (the user may close it)
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.#onVisible);
    window.addEventListener('pagehide', this.#onPageHide);
  }

  override disconnectedCallback(): void {
    this.#writeFirstScreen(); // before the session closes: the element leaving is the feed's last word
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.#onVisible);
    if (this.#title !== undefined) document.title = this.#title;
    this.#title = undefined;
    for (const f of this._images.values()) if (f.url) URL.revokeObjectURL(f.url);
    this._images = new Map();
    this._pages = [];
    this.#pulledFor = undefined;
    window.removeEventListener('pagehide', this.#onPageHide);
    this.#snap = undefined;
  }

  readonly #onVisible = () => this.requestUpdate();

  readonly #onPost = (e: Event) => {
    const { post } = (e as CustomEvent<PostEvent>).detail;
    stamp('bw-post');
    const name = this.#ctl.state?.friends.find((f) => f.key === post.author)?.name ?? '';
    fire(this, 'bw-post', { author: post.author, authorName: name, seq: post.seq, ts: post.ts, body: post.body, via: post.via });
  };

  /** Unread: friends' posts received since the read mark (the core counts them over the whole store). */
  #unread(s: SessionState): number {
    return s.unread ?? 0;
  }

  /** Pulls the loaded feed pages (and the search, if any) again; pulls queue, so the last one reflects the last change. */
  #pull(): void {
    if (this.#pulling) return void (this.#again = true);
    const session = this.#ctl.session;
    if (!session) return;
    this.#pulling = (async () => {
      try {
        const pages: FeedPage[] = [];
        let before: number | undefined;
        const want = Math.max(1, this._pages.length);
        for (let i = 0; i < want; i++) {
          const page = await session.feed(before === undefined ? {} : { before });
          pages.push(page);
          if (page.next === undefined) break;
          before = page.next;
        }
        const q = this._query.trim();
        const results = q ? (await session.feed({ search: q, limit: SEARCH })).items : undefined;
        if (session !== this.#ctl.session) return;
        this._pages = pages;
        if (q === this._query.trim()) this._results = results;
        this.#fetchImages(session);
        this.#keepFirstScreen();
      } catch (e) {
        if (!isBwError(e)) console.error(e);
        this._error = message(e);
      } finally {
        this.#pulling = undefined;
        if (this.#pulledBy !== session) {
          this.#pulledBy = session;
          this.requestUpdate(); // the first page is in: updated() lets the rest of the page and the network follow
        }
        if (this.#again) {
          this.#again = false;
          this.#pull();
        }
      }
    })();
  }

  /**
   * The snapshot to paint from (client/first-screen.ts), from the session's first render until its first page is in.
   * Read once per session; dropped and forgotten the moment the store shows no identity or another one (a restore
   * into an emptied database, a wipe), so another identity's posts never stay on screen.
   */
  #snapshot(): FirstScreen | undefined {
    const session = this.#ctl.session;
    if (!session || this.#pulledBy === session) {
      if (this.#snap?.snap) this.#snap = { for: this.#snap.for, snap: null }; // its items are no longer needed
      return undefined;
    }
    if (this.#snap?.for !== session) {
      stamp('first-screen.read');
      this.#snap = { for: session, snap: readFirstScreen(this.dbName) ?? null };
      stamp('first-screen.read.done');
    }
    const { snap } = this.#snap;
    if (!snap) return undefined;
    const s = session.state;
    if (s.ready && s.me?.key !== snap.me.key) {
      this.#snap = { for: session, snap: null };
      clearFirstScreen(this.dbName);
      return undefined;
    }
    return snap;
  }

  /** The state to render with a snapshot: the session's own once it is ready (same identity), else one made from the snapshot. */
  #snapState(snap: FirstScreen, real: SessionState): SessionState {
    if (real.ready) return real;
    this.#snap!.state ??= {
      ready: true,
      me: snap.me,
      ...(snap.profile && { profile: snap.profile }),
      friends: snap.friends.map((f) => ({ ...f, online: false, direct: false, safetyNumber: '', devices: [] })),
      blocked: [],
      posts: [],
      unread: snap.unread,
      lists: snap.lists,
      relay: real.relay,
      direct: 0,
    };
    return this.#snap!.state;
  }

  /**
   * Keeps the first screen (what the next load paints first) when the main thread is next idle after a pull, and when
   * the page goes away (pagehide): not in the frame that paints the pull, and at most once for a burst of pulls.
   */
  #keepFirstScreen(): void {
    if (this.#snapPending) return;
    this.#snapPending = true;
    const write = () => ((this.#snapPending = false), this.#writeFirstScreen());
    if (typeof requestIdleCallback === 'function') requestIdleCallback(write, { timeout: KEEP_WITHIN_MS });
    else setTimeout(write, KEEP_WITHIN_MS);
  }

  /** The first page's first items and their frame into the snapshot (client/first-screen.ts), if this session has pulled it. */
  #writeFirstScreen(): void {
    const session = this.#ctl.session;
    const s = this.#ctl.state;
    const first = this._pages[0];
    if (!session || this.#pulledBy !== session || !s?.ready || !first) return;
    const snap = firstScreenOf(s, first.items, first.next !== undefined);
    if (snap) this.#snapText = writeFirstScreen(this.dbName, snap, this.#snapText);
  }

  readonly #onPageHide = () => this.#writeFirstScreen();

  /** Every item on the page: the feed pages and the search results. */
  #allItems(): FeedItem[] {
    return [...this._pages.flatMap((p) => p.items), ...(this._results ?? [])];
  }

  /** Fetches the thumbs and avatars the page shows that are not fetched yet; revokes the URLs of those it no longer shows. */
  #fetchImages(session: Session): void {
    const want = new Map<string, { ref: ImageRef; from: string }>();
    const person = (p: PersonView) => p.avatar && want.set(p.avatar.id, { ref: p.avatar, from: p.key });
    for (const item of this.#allItems()) {
      person(item.author);
      for (const r of item.replies) person(r.author);
      for (const ph of item.photos) {
        const thumb = ph.ref.thumb ?? ph.ref;
        want.set(thumb.id, { ref: thumb, from: item.author.key });
        // A full image stays while its post is on the page (it was fetched because the reader opened it).
        if (this._images.has(ph.ref.id)) want.set(ph.ref.id, { ref: ph.ref, from: item.author.key });
      }
    }
    const s = this.#ctl.state;
    if (s) for (const p of peopleOf(s).values()) person(p);
    let changed = false;
    const next = new Map(this._images);
    for (const [id, f] of this._images) {
      if (want.has(id) || f.state === 'loading') continue;
      if (f.url) URL.revokeObjectURL(f.url);
      next.delete(id);
      changed = true;
    }
    for (const [id, { ref, from }] of want) {
      const had = next.get(id);
      if (had && had.state !== 'missing') continue;
      if (!had) {
        next.set(id, { state: 'loading' });
        changed = true;
      }
      this.#fetch(session, id, ref, from, !!had);
    }
    if (changed) this._images = next;
  }

  /** One image into _images. `retry`: it was missing before; it stays 'missing' (not 'loading') while asked again. */
  #fetch(session: Session, id: string, ref: ImageRef, from: string, retry: boolean): void {
    const set = (f: Fetched) => {
      if (session !== this.#ctl.session) return void (f.url && URL.revokeObjectURL(f.url));
      const old = this._images.get(id);
      if (old?.url && old.url !== f.url) URL.revokeObjectURL(old.url);
      this._images = new Map(this._images).set(id, f);
    };
    if (retry && this.#retrying.has(id)) return;
    this.#retrying.add(id);
    session.photoUrl(ref, from).then(
      (url) => set({ url, state: 'ready' }),
      (e) => {
        if (!isBwError(e)) console.error(e);
        set({ state: isBwError(e) && e.code === 'bad-ciphertext' ? 'bad' : isBwError(e) && e.code === 'unavailable' ? 'missing' : 'bad' });
      },
    ).finally(() => this.#retrying.delete(id));
  }

  #retrying = new Set<string>();

  /** Opening a photo fetches its full image. */
  #photoOpen = (e: CustomEvent<{ post: string; photo: string }>) => {
    const session = this.#ctl.session;
    const item = this.#allItems().find((i) => i.id === e.detail.post);
    const ph = item?.photos.find((p) => p.ref.id === e.detail.photo);
    if (!session || !item || !ph || this._images.get(ph.ref.id)?.state === 'ready') return;
    this._images = new Map(this._images).set(ph.ref.id, { state: 'loading' });
    this.#fetch(session, ph.ref.id, ph.ref, item.author.key, false);
  };

  /** A person with their avatar's URL once fetched. */
  #withAvatar(p: PersonView): PersonView {
    const url = p.avatar && this._images.get(p.avatar.id)?.url;
    return url ? { ...p, avatarUrl: url } : p;
  }

  /** Items with the image URLs fetched so far (thumbs, full images, avatars). */
  #decorate(items: FeedItem[]): FeedItem[] {
    const reply = (r: ReplyView): ReplyView => ({ ...r, author: this.#withAvatar(r.author) });
    return items.map((i) => ({
      ...i,
      author: this.#withAvatar(i.author),
      replies: i.replies.map(reply),
      photos: i.photos.map((ph) => {
        const thumb = this._images.get((ph.ref.thumb ?? ph.ref).id);
        const full = this._images.get(ph.ref.id);
        return { ...ph, ...(thumb?.url && { thumbUrl: thumb.url }), ...(full?.url && { fullUrl: full.url }), state: thumb?.state ?? 'loading' };
      }),
    }));
  }

  protected override updated(_: PropertyValues): void {
    const s = this.#ctl.state;
    if (!s) return;
    const key = `${s.relay}/${s.direct}/${s.friends.length}`;
    if (key !== this.#lastStatus) {
      this.#lastStatus = key;
      this.setAttribute('data-relay', s.relay);
      this.setAttribute('data-direct', String(s.direct));
      fire(this, 'bw-status', { relay: s.relay, direct: s.direct, friends: s.friends.length });
    }
    // The Friends and Profile sections, and going online (the network chunk, the relay's state changes), wait for the
    // feed's first page (or onboarding) to be painted: the frame after it, once that frame is drawn.
    const session = this.#ctl.session;
    if (session && s.ready && (!s.me || this.#pulledBy === session) && this.#shownFor !== session) {
      this.#shownFor = session;
      requestAnimationFrame(() => setTimeout(() => {
        this._full = true;
        if (session === this.#ctl.session) this.#ctl.shown();
      }));
    }
    if (s.me && s !== this.#pulledFor) {
      this.#pulledFor = s;
      this.#pull();
    }
    const unread = this.#unread(s);
    // Seen: the feed is on screen, the page is visible and the list is not holding new posts back.
    const list = this.renderRoot.querySelector<BwPostList>('bw-post-list');
    if (unread && !this.#marking && this._tab === 'home' && !this._query && document.visibilityState === 'visible' && list && !list.holding) {
      // Up to what is on screen, not up to now: a post stored but not yet shown stays unread.
      const upTo = readMarkFor(this._pages.flatMap((p) => p.items));
      if (upTo && fire(this, 'bw-read', { upTo })) {
        this.#marking = true;
        this.#ctl.session?.markRead(upTo).catch((e) => console.error(e)).finally(() => (this.#marking = false));
      }
    }
    if (this.titleUnread && s.me) {
      this.#title ??= document.title.replace(/^\(\d+\) /, '');
      document.title = unread ? `(${unread}) ${this.#title}` : this.#title;
    }
  }

  async #run(fn: () => Promise<void>, onError: (m: string) => void) {
    this._busy = true;
    try {
      await fn();
    } catch (e) {
      if (!isBwError(e)) console.error(e);
      onError(message(e));
    } finally {
      this._busy = false;
    }
  }

  #create = (e: CustomEvent<{ name: string }>) =>
    this.#run(async () => {
      this._error = '';
      await this.#ctl.session!.createIdentity(e.detail.name);
    }, (m) => (this._error = m));

  #import = (e: CustomEvent<{ backup: string; passphrase: string }>) =>
    this.#run(async () => {
      this._error = '';
      await this.#ctl.session!.importIdentity(e.detail.backup, e.detail.passphrase);
    }, (m) => (this._error = m));

  /** What <bw-devices> shows of a link: `p` over nothing at all. */
  #showLink = (p: Partial<LinkView>) => (this._link = { ...NO_LINK, ...p });
  #linkFailed = (m: string) => this.#showLink({ error: m });

  /** A new browser: shows its link code, then the short code; once linked, the session is that device, online. */
  #startLink = (e: CustomEvent<{ name: string }>) =>
    this.#run(async () => {
      const link = this.#ctl.session!.startLink(e.detail.name);
      this.#newLink = link;
      this.#showLink({ code: link.code, status: 'Waiting for your other device…' });
      const sas = await link.sas;
      this._link = { ...this._link, sas, status: 'Waiting for your other device to confirm…' };
      await link.done;
      this.#showLink({});
    }, this.#linkFailed);

  /** The primary: a new device's code was pasted; its short code is shown to compare. */
  #linkDevice = (e: CustomEvent<{ code: string }>) =>
    this.#run(async () => {
      this.#showLink({ status: 'Reaching the new device…' });
      this.linkCode = '';
      this.#primaryLink = await this.#ctl.session!.linkDevice(e.detail.code);
      this.#showLink({ sas: this.#primaryLink.sas });
    }, this.#linkFailed);

  #linkConfirm = () =>
    this.#run(async () => {
      const link = this.#primaryLink;
      if (!link) return;
      this.#primaryLink = undefined;
      this.#showLink({ status: `Linking ${link.name}…` });
      await link.confirm();
      this.#showLink({ status: `${link.name} is linked. Your friends see that you added a device.` });
    }, this.#linkFailed);

  #linkCancel = () => {
    this.#primaryLink?.cancel();
    this.#newLink?.cancel();
    this.#primaryLink = this.#newLink = undefined;
    this.#showLink({ status: 'Linking was cancelled.' });
  };

  #removeDevice = (e: CustomEvent<{ key: string }>) =>
    this.#run(async () => {
      await this.#ctl.session!.removeDevice(e.detail.key);
      this.#showLink({ status: 'Removed. Nothing you or your friends post from now on reaches it.' });
    }, this.#linkFailed);

  #export = (e: CustomEvent<{ passphrase: string }>) =>
    this.#run(async () => {
      this._backupError = '';
      await new Promise((r) => setTimeout(r)); // let "Encrypting…" paint before scrypt holds the thread
      this._backup = await this.#ctl.session!.exportBackup(e.detail.passphrase);
    }, (m) => (this._backupError = m));

  #friendAction = (e: Event) => {
    const button = (e.target as HTMLElement).closest('button[data-action]');
    const key = button?.closest('li')?.getAttribute('data-key');
    if (!button || !key) return;
    const action = button.getAttribute('data-action');
    const name = this.#ctl.state?.friends.find((f) => f.key === key)?.name ?? 'this friend';
    const question = action === 'block' ? `Block ${name}? They are removed and cannot befriend you again unless you accept their invite.` : `Remove ${name}? They will not be able to read anything you post from now on.`;
    if (!confirm(question)) return;
    return this.#run(() => (action === 'block' ? this.#ctl.session!.block(key) : this.#ctl.session!.unfriend(key)), (m) => (this._inviteError = m));
  };

  #makeInvite = () =>
    this.#run(async () => {
      this._inviteCode = await this.#ctl.session!.createInvite();
    }, (m) => (this._inviteError = m));

  #accept = (e: CustomEvent<{ code: string }>) => {
    this._inviteError = '';
    this._notice = '';
    return this.#run(async () => {
      const { key } = await this.#ctl.session!.acceptInvite(e.detail.code);
      this._notice = key;
      this.invite = '';
    }, (m) => (this._inviteError = m));
  };

  #compose = (e: CustomEvent<{ body: string; audience?: string; photos?: File[] }>) => {
    e.preventDefault(); // keep the text and photos until the post is stored
    stamp('compose');
    const box = e.target as HTMLElement & { _text: string; _files: { url: string }[] };
    const { body, audience, photos } = e.detail;
    return this.#run(async () => {
      this._error = '';
      const session = this.#ctl.session!;
      const prepared = photos?.length ? await (await images()).preparePhotos(photos) : undefined;
      const written = await session.post({ text: body, ...(audience && { audience }), ...(prepared && { photos: prepared.refs }) });
      box._text = '';
      for (const f of box._files ?? []) URL.revokeObjectURL(f.url);
      box._files = [];
      this.renderRoot.querySelector<BwPostList>('bw-post-list')?.showNew();
      // The post is stored; its photos go to exactly whom it was sealed for (what is not taken now is retried).
      if (prepared?.blobs.length) await session.sendBlobs(prepared.blobs, written.to);
    }, (m) => (this._error = m));
  };

  /** The thread's and the card's actions: each a session call, its error shown above the feed. */
  #social = (fn: (s: Session) => Promise<unknown>) => this.#run(async () => {
    this._error = '';
    await fn(this.#ctl.session!);
  }, (m) => (this._error = m));

  #reply = (e: CustomEvent<{ parent: string; body: string }>) => {
    e.preventDefault(); // bw-post keeps the reply text until it is stored
    const post = e.composedPath()[0] as HTMLElement & { _reply: string };
    return this.#social(async (s) => {
      await s.reply(e.detail.parent, e.detail.body);
      post._reply = '';
    });
  };

  #react = (e: CustomEvent<{ post: string; emoji: string | null }>) => this.#social((s) => s.react(e.detail.post, e.detail.emoji));
  #edit = (e: CustomEvent<{ post: string; body: string }>) => this.#social((s) => s.edit(e.detail.post, e.detail.body));
  #delete = (e: CustomEvent<{ post: string }>) => this.#social((s) => s.delete(e.detail.post));

  #profileSave = (e: CustomEvent<{ name: string; bio: string; avatar?: File | null }>) =>
    this.#run(async () => {
      this._profileError = '';
      const session = this.#ctl.session!;
      const { name, bio, avatar } = e.detail;
      const prepared = avatar ? await (await images()).prepareAvatar(avatar) : undefined;
      await session.saveProfile({ name, bio, ...(avatar !== undefined && { avatar: prepared?.ref ?? null }) });
      // Every friend gets the new card; its picture goes to all of them too.
      if (prepared) await session.sendBlobs(prepared.blobs, (this.#ctl.state?.friends ?? []).map((f) => f.key));
    }, (m) => (this._profileError = m));

  #listSave = (e: CustomEvent<{ id?: string; name: string; members: string[] }>) =>
    this.#run(async () => {
      this._listError = '';
      await this.#ctl.session!.saveList(e.detail);
    }, (m) => (this._listError = m));

  #listDelete = (e: CustomEvent<{ id: string }>) =>
    this.#run(async () => {
      this._listError = '';
      await this.#ctl.session!.deleteList(e.detail.id);
    }, (m) => (this._listError = m));

  #more = async (e: CustomEvent<{ before: number }>) => {
    const session = this.#ctl.session;
    const last = this._pages.at(-1);
    if (!session || this._query || last?.next === undefined || this.#pulling) return;
    try {
      const page = await session.feed({ before: last.next });
      if (session !== this.#ctl.session || this._pages.at(-1) !== last) return;
      this._pages = [...this._pages, page];
      this.#fetchImages(session);
    } catch (err) {
      this._error = message(err);
    }
    void e;
  };

  #searchInput = async (e: Event) => {
    const q = (e.target as HTMLInputElement).value;
    this._query = q;
    const n = ++this.#search;
    const session = this.#ctl.session;
    if (!q.trim() || !session) return void (this._results = undefined);
    try {
      const page = await session.feed({ search: q.trim(), limit: SEARCH });
      if (n !== this.#search) return;
      this._results = page.items;
      this.#fetchImages(session);
    } catch (err) {
      this._error = message(err);
    }
  };

  #go(tab: Tab) {
    this._tab = tab;
  }

  /** The page links open: the one that embeds me, else the relay's own. */
  #page(): string {
    return this.inviteBase || new URL('/', this.relay || location.origin).href;
  }

  #inviteLink(code: string): string {
    return inviteLink(code, this.#page());
  }

  /** The notice after accepting an invite follows that friend's state: it changes once they have answered. */
  #noticeText(friends: SessionState['friends']): string {
    const f = this._notice ? friends.find((x) => x.key === this._notice) : undefined;
    if (!f) return '';
    return f.status === 'mutual' ? `You and ${f.name} are friends now.` : `${f.name} added. You are friends once they are online.`;
  }

  #feed(s: SessionState): { items: FeedItem[]; people: Map<string, PersonView> } {
    const people = new Map([...peopleOf(s)].map(([k, p]) => [k, this.#withAvatar(p)]));
    const key = [this._pages, this._images];
    if (!this.#memo || !this.#memo.key.every((k, i) => k === key[i])) {
      const seen = new Set<string>();
      const items = this._pages.flatMap((p) => p.items).filter((i) => !seen.has(i.id) && !!seen.add(i.id));
      // Reloaded pages and image URLs arriving make new objects for every item: keep the unchanged ones identical, so
      // only their cards re-render (not all the cards loaded) when a page arrives or a post changes.
      const kept = keepSame(this.#decorate(items), this.#shown, (i) => i.id, this.#memo?.items);
      this.#shown = kept.byId;
      this.#memo = { key, items: kept.items };
    }
    return { items: this.#memo.items, people };
  }

  #searchResults(): FeedItem[] | undefined {
    if (!this._results) {
      this.#found = new Map();
      this.#foundMemo = undefined;
      return undefined;
    }
    const key = [this._results, this._images];
    if (!this.#foundMemo || !this.#foundMemo.key.every((k, i) => k === key[i])) {
      const kept = keepSame(this.#decorate(this._results), this.#found, (i) => i.id, this.#foundMemo?.items);
      this.#found = kept.byId;
      this.#foundMemo = { key, items: kept.items };
    }
    return this.#foundMemo.items;
  }

  #friendStatus(f: SessionState['friends'][number]): string {
    return `${f.direct ? 'connected directly' : f.online ? 'online' : 'offline'}${f.status === 'pending' ? ' · waiting for them to accept' : ''}`;
  }

  /** `more`: older posts follow `items`. */
  #home(s: SessionState, items: FeedItem[], people: Map<string, PersonView>, lists: AudienceList[], more: boolean) {
    const results = this.#searchResults();
    void people;
    const online = s.friends.filter((f) => f.online).length;
    return html`
      <aside class="side" aria-label="You and your friends" ?hidden=${this._tab !== 'home'}>
        <div class="card me"><bw-avatar name=${s.me!.name} key=${s.me!.key}></bw-avatar><div><strong>${s.me!.name}</strong>
          <div class="muted">${plural(s.friends.length, 'friend', 'friends')} · ${online} online</div></div></div>
        <div class="card"><h2>Friends</h2>${s.friends.length ? html`<ul part="online" class="people">${s.friends.map((f) => html`<li>
            <bw-avatar size="32" name=${f.name} key=${f.key} online=${f.online ? 'true' : 'false'}></bw-avatar>
            <span class="grow">${f.name}<div class="muted">${f.direct ? 'direct' : f.online ? 'online' : 'offline'}</div></span></li>`)}</ul>`
          : html`<p class="muted">Nobody yet.</p>`}
          <button type="button" class="small" @click=${() => this.#go('friends')}>Invite a friend</button></div>
      </aside>
      <div class="main" ?hidden=${this._tab !== 'home'} @bw-reply=${this.#reply} @bw-react=${this.#react} @bw-edit=${this.#edit} @bw-delete=${this.#delete}
        @bw-photo-open=${this.#photoOpen}>
        <bw-compose ?disabled=${this._busy} .lists=${lists} @bw-compose=${this.#compose}></bw-compose>
        ${this._error ? html`<div class="error" role="alert">${this._error}</div>` : nothing}
        <div class="search" role="search"><span aria-hidden="true">${searchIcon}</span><input type="search" name="search" aria-label="Search posts" placeholder="Search posts"
          .value=${this._query} @input=${this.#searchInput} /></div>
        ${results ? html`<div class="muted" role="status">${plural(results.length, 'post matches', 'posts match')} “${this._query.trim()}”</div>
          <bw-post-list .items=${results}><span slot="empty">Nothing here matches. Try another word.</span></bw-post-list>`
        : html`<bw-post-list live .items=${items} ?has-more=${more} @bw-more=${this.#more}>
          <div slot="empty" class="empty">${s.friends.length
            ? html`<strong>No posts yet</strong><span>Say hello: your friends see what you post here.</span>`
            : html`<strong>No posts yet: invite a friend</strong><span>BrainWaves is for people you know. Send a friend your invite link to start.</span>
              <button type="button" @click=${() => this.#go('friends')}>Invite a friend</button>`}</div></bw-post-list>`}
      </div>`;
  }

  /** "Ann added a device: “phone” on 2026-05-03. If Ann did not, compare safety numbers." */
  #deviceNotice(name: string, added: { name: string; added: number }[]): string {
    const which = added.map((d) => `“${d.name}” on ${fullTime(d.added).slice(0, 10)}`).join(', ');
    return `${name} added ${added.length === 1 ? 'a device' : `${added.length} devices`}: ${which}. If ${name} did not, compare safety numbers.`;
  }

  #friends(s: SessionState, people: Map<string, PersonView>, lists: AudienceList[]) {
    return html`<div class="main" ?hidden=${this._tab !== 'friends'}>
      <div class="card"><h2>Friends (${s.friends.length})</h2>
        ${s.friends.length ? nothing : html`<p class="muted">No friends yet. ${s.me!.linked ? 'Add them on your first device.' : 'Invite someone you know with the link below.'}</p>`}
        <ul part="friends" class="people" aria-label="Friends" @click=${this.#friendAction}>${s.friends.map((f) => html`<li data-key=${f.key} data-status=${f.status} data-online=${f.online}>
          <bw-avatar name=${f.name} key=${f.key} online=${f.online ? 'true' : 'false'}></bw-avatar>
          <span class="grow"><strong>${f.name}</strong><div class="muted">${this.#friendStatus(f)}</div></span>
          <span class="actions"><button class="small" data-action="remove" aria-label="Remove ${f.name}">Remove</button>
          <button class="small" data-action="block" aria-label="Block ${f.name}">Block</button></span>
          ${f.addedDevices ? html`<div class="device-notice" part="device-notice" role="status">${this.#deviceNotice(f.name, f.addedDevices)}</div>` : nothing}
          <details><summary>Safety number and devices</summary><code>${f.safetyNumber}</code>
            <div class="muted">Compare it with ${f.name} in person or on a call.</div>
            ${f.devices.length ? html`<ul class="devices" aria-label="${f.name}’s devices">${f.devices.map((d) => html`<li>${d.name} <span class="muted">added ${fullTime(d.added).slice(0, 10)}</span></li>`)}</ul>` : nothing}</details></li>`)}</ul></div>
      ${s.me!.linked
        ? html`<div class="card"><h2>Add a friend</h2><p class="muted" role="note">Friends are added on your first device, the one this device is linked to. They show here, and on all your devices, once added there.</p></div>`
        : html`<div class="card"><bw-invite .code=${this._inviteCode} .link=${this._inviteCode ? this.#inviteLink(this._inviteCode) : ''} .error=${this._inviteError}
        .notice=${this.#noticeText(s.friends)} .initial=${this.invite} @bw-request-invite=${this.#makeInvite} @bw-accept-invite=${this.#accept}></bw-invite></div>`}
      <div class="card"><h2>Lists</h2><bw-lists .lists=${lists} .friends=${s.friends.map((f) => people.get(f.key)!)}
        @bw-list-save=${this.#listSave} @bw-list-delete=${this.#listDelete}></bw-lists>
        ${this._listError ? html`<div class="error" role="alert">${this._listError}</div>` : nothing}</div>
    </div>`;
  }

  #profile(s: SessionState, people: Map<string, PersonView>) {
    return html`<div class="main" ?hidden=${this._tab !== 'profile'}>
      <bw-profile part="me" editable .person=${people.get(s.me!.key)} fingerprint=${s.me!.fingerprint} @bw-profile-save=${this.#profileSave}></bw-profile>
      ${this._profileError ? html`<div class="error" role="alert">${this._profileError}</div>` : nothing}
      <details class="card" name="devices" ?open=${this.#devicesOpen}><summary>Devices</summary>
        <bw-devices mode=${s.me!.linked ? 'linked' : 'primary'} .initial=${this.linkCode} .devices=${s.myDevices ?? []} sas=${this._link.sas} status=${this._link.status} error=${this._link.error} ?busy=${this._busy}
          @bw-link-device=${this.#linkDevice} @bw-link-confirm=${this.#linkConfirm} @bw-link-cancel=${this.#linkCancel} @bw-device-remove=${this.#removeDevice}></bw-devices></details>
      ${s.me!.linked ? nothing : html`<details class="card"><summary>Key backup</summary>
        <bw-backup .backup=${this._backup} .error=${this._backupError} ?busy=${this._busy} @bw-export-backup=${this.#export}></bw-backup></details>`}
    </div>`;
  }

  override render() {
    if (this.#ctl.error) return html`<section class="center"><div class="error" role="alert">${this.#ctl.error}</div></section>`;
    const real = this.#ctl.state;
    const snap = real?.elsewhere ? undefined : this.#snapshot();
    const s = snap && real ? this.#snapState(snap, real) : real;
    if (s?.elsewhere) return html`<section class="center" part="elsewhere" role="status">BrainWaves is open in another tab of this browser. This tab takes over when that one closes.</section>`;
    if (!s?.ready) return html`<section class="center muted" role="status">Loading…</section>`;
    if (!s.me) {
      return html`<section class="center card"><bw-onboarding .error=${this._error} ?busy=${this._busy} @bw-create-identity=${this.#create} @bw-import-identity=${this.#import}></bw-onboarding>
        <details class="link-existing" ?open=${!!this._link.code}><summary>Link to an account I already have</summary>
          <bw-devices mode="new" code=${this._link.code} link=${this._link.code ? linkLink(this._link.code, this.#page()) : ''} sas=${this._link.sas} status=${this._link.status} error=${this._link.error} ?busy=${this._busy}
            @bw-start-link=${this.#startLink} @bw-link-cancel=${this.#linkCancel}></bw-devices></details></section>`;
    }
    const relayText = { connected: 'Relay connected', connecting: 'Connecting to relay…', offline: 'Relay offline' }[s.relay];
    const { items, people } = snap ? { items: snap.items as FeedItem[], people: peopleOf(s) } : this.#feed(s);
    const lists: AudienceList[] = s.lists ?? [];
    const unread = this.#unread(s);
    const tab = (t: Tab, label: string, extra: unknown = nothing) => html`<button type="button" data-tab=${t} aria-current=${this._tab === t ? 'page' : 'false'} @click=${() => this.#go(t)}>${label}${extra}</button>`;
    return html`
      <header class="top">
        <div part="status" class="status" role="status">
          <span><span class="dot ${s.relay}"></span>${relayText}</span>
          <span>${s.direct} friend${s.direct === 1 ? '' : 's'} connected directly</span>
          ${unread ? html`<span class="unread">${plural(unread, 'unread post', 'unread posts')}</span>` : nothing}
          ${s.relay !== 'connected' && s.relayDetail ? html`<span class="error">${s.relayDetail}</span>` : nothing}
        </div>
        <nav part="nav" aria-label="Sections">
          ${tab('home', 'Home', unread ? html`<span class="badge">${unread}<span class="sr-only"> unread</span></span>` : nothing)}
          ${tab('friends', 'Friends', s.friends.length ? html`<span class="muted">${s.friends.length}</span>` : nothing)}
          ${tab('profile', 'Profile')}
        </nav>
      </header>
      <div class="cols ${this._tab}">
        ${this.#home(s, items, people, lists, snap ? snap.more : this._pages.at(-1)?.next !== undefined)}
        ${this._full || this._tab === 'friends' ? this.#friends(s, people, lists) : nothing}
        ${this._full || this._tab === 'profile' ? this.#profile(s, people) : nothing}
      </div>`;
  }
}
customElements.get('bw-feed') || customElements.define('bw-feed', BwFeed);
