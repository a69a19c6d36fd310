// Owns <bw-post-list>: the feed of post cards, newest first, rendered a page at a time, with a "new posts" pill.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { guard } from 'lit/directives/guard.js';
import { ref, createRef } from 'lit/directives/ref.js';
import type { FeedItem } from '../core/feed-view.js';
import { theme } from './theme.js';
import { fire } from './events.js';
import { plural, relativeTime, warmRelativeTime } from './format.js';
import { nextRuns, type Run } from './card-runs.js';
import { BwPost } from './bw-post.js';

/** Cards rendered first (a screenful); then SLICE per frame while the end is in reach, or PAGE per "Show older posts" press. */
export const FIRST = 8;
export const PAGE = 10;
/**
 * Cards added per frame while the end is in reach (the list re-observes it after each update, so this repeats each
 * frame): a few cards every frame rather than a page in one frame, which was the scroll's slowest frame.
 */
export const SLICE = 3;
/**
 * Cards per run. A run, not each card, is what skips style, layout and paint off screen: with a card each, the
 * browser checked every card's visibility and laid out the whole list each frame (time grew with the cards loaded).
 */
export const RUN = 20;

/**
 * @prop items - FeedItem[], newest first
 * @attr has-more - older posts exist beyond `items` (the list asks for them with bw-more)
 * @attr live - new posts from others wait behind a "N new posts" pill while the reader is scrolled away from the top
 * @event bw-more - `{ before }` the reader reached the end: the host appends older items
 * @slot empty - what shows when there is nothing (default "No posts yet.")
 * @csspart new-posts - the "N new posts" pill
 * @csspart more - the "Show older posts" button
 */
export class BwPostList extends LitElement {
  static override properties = {
    items: { attribute: false },
    hasMore: { type: Boolean, attribute: 'has-more' },
    live: { type: Boolean },
    _limit: { state: true },
    _now: { state: true },
    _held: { state: true },
  };
  // The cards' styles live here, once: a card has no shadow root of its own (see BwPost.createRenderRoot).
  static override styles = [theme, ...BwPost.cardStyles, css`
    /* The list's own text (the end, the empty state) sits on the theme's surface, as inside <bw-feed>, whatever the page's
       colour. Those boxes carry it, not the host: the host grows with every card added, and Chromium rastered its whole
       background again each time (about 6 tiles a frame of a fast scroll, measured with bench/scroll-profile.ts). */
    :host { display: block; }
    .end, .empty { background: var(--_surface); }
    /* Block flow, not grid: a grid lays out every card again when one is added. */
    .run { content-visibility: auto; contain-intrinsic-size: auto 3200px; }
    .run + .run, .post + .post { margin-top: 10px; }
    .pill-wrap { position: sticky; top: 8px; z-index: 2; display: flex; justify-content: center; height: 0; overflow: visible; }
    .pill { box-shadow: 0 4px 14px rgb(0 0 0 / 0.2); }
    .top { height: 1px; }
    .end { display: flex; justify-content: center; padding: 8px; }
    .empty { text-align: center; padding: 28px 12px; }
  `];
  declare items: FeedItem[];
  declare hasMore: boolean;
  declare live: boolean;
  declare _limit: number;
  declare _now: number;
  /** Newest time shown: others' items after it wait behind the pill while the reader is away from the top. */
  declare _held: number;
  #atTop = true;
  #timer?: ReturnType<typeof setInterval>;
  #io?: IntersectionObserver;
  /** The runs as last rendered (see nextRuns). */
  #runs: Run<FeedItem>[] = [];
  /** #split's answer and what it was worked out from (asked several times per update; it walks every item). */
  #held?: { items: FeedItem[]; held: number; candidates: FeedItem[]; waiting: FeedItem[] };
  /** Each run's relative times as last read, and the clock they were read at (see #timesOf). */
  #times = new Map<number, { now: number; text: string }>();
  /** The last card rendered (see willUpdate). */
  #lastShown?: string;
  /** The list's top and end sentinels (refs: finding them with a selector walked every card each update). */
  #top = createRef<HTMLDivElement>();
  #end = createRef<HTMLDivElement>();

  constructor() {
    super();
    this.items = [];
    this.hasMore = false;
    this.live = false;
    this._limit = FIRST;
    this._now = Date.now();
    this._held = Infinity;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#timer = setInterval(() => (this._now = Date.now()), 30_000);
    // Localized relative times once the first cards are on screen (see warmRelativeTime).
    const warm = () => (warmRelativeTime(), (this._now = Date.now()));
    if (typeof requestIdleCallback === 'function') requestIdleCallback(warm, { timeout: 1000 });
    else setTimeout(warm, 200);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#timer);
    this.#io?.disconnect();
    this.#io = undefined;
  }

  /** Whether the list's top is in view (new posts then show at once instead of waiting behind the pill). */
  get atTop(): boolean {
    return this.#atTop;
  }

  /** Whether new posts are waiting behind the pill (not yet seen). */
  get holding(): boolean {
    return this.#waiting().length > 0;
  }

  /** Shows the waiting posts and scrolls the list's top into view. */
  showNew(): void {
    this._held = Infinity;
    this.updateComplete.then(() => this.#top.value?.scrollIntoView({ block: 'nearest' }));
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('items')) {
      // Held only while live and away from the top; the first items, and everything at the top, show at once.
      if (!this.live || this.#atTop || this._held === Infinity) this._held = this.items.length ? this.items[0]!.ts : Infinity;
      // Posts shown above the cards push them down, not off the end: a card dropped would lose its open thread, draft or focus.
      const last = this.#lastShown === undefined ? -1 : this.#candidates().findIndex((i) => i.id === this.#lastShown);
      if (last >= this._limit) this._limit = last + 1;
    }
  }

  protected override updated(): void {
    if (!this.#io) {
      this.#io = new IntersectionObserver((entries) => {
        for (const e of entries) {
          if (e.target.classList.contains('top')) {
            this.#atTop = e.isIntersecting;
            if (this.#atTop && this.#waiting().length) this._held = Infinity;
          } else if (e.isIntersecting) this.#more(SLICE);
        }
      }, { rootMargin: '0px 0px 800px 0px' });
    }
    // Observed afresh after each update, so the end reports again (and adds another SLICE) while it stays in reach.
    this.#io.disconnect();
    for (const el of [this.#top.value, this.#end.value]) if (el?.isConnected) this.#io.observe(el);
  }

  #waiting(): FeedItem[] {
    return this.#split().waiting;
  }

  #more = (step: number) => {
    if (this._limit < this.#candidates().length) this._limit += step;
    else if (this.hasMore && this.items.length) fire(this, 'bw-more', { before: this.items[this.items.length - 1]!.ts });
  };

  #candidates(): FeedItem[] {
    return this.#split().candidates;
  }

  /** The items split into those that may show and those waiting behind the pill, worked out once per items and hold. */
  #split(): { candidates: FeedItem[]; waiting: FeedItem[] } {
    const { items, _held: held } = this;
    if (this.#held?.items !== items || this.#held.held !== held) {
      const waits = (i: FeedItem) => i.ts > held && !i.mine;
      const waiting = held === Infinity ? [] : items.filter(waits);
      this.#held = { items, held, candidates: waiting.length ? items.filter((i) => !waits(i)) : items, waiting };
    }
    return this.#held;
  }

  #visible(): FeedItem[] {
    return this.#candidates().slice(0, this._limit);
  }

  #runsOf(shown: FeedItem[]): Run<FeedItem>[] {
    const runs = nextRuns(shown, (p) => p.id, this.#runs, RUN);
    if (runs !== this.#runs) {
      const keys = new Set(runs.map((r) => r.key));
      for (const k of this.#times.keys()) if (!keys.has(k)) this.#times.delete(k);
    }
    return (this.#runs = runs);
  }

  /**
   * The relative times a run's cards show at the list's clock (posts and their replies), read once per tick. A tick
   * re-renders only the runs where one of them changed: it re-rendered every card loaded (a long stall with thousands).
   * A card skipped keeps the clock of its last render, which gives it the same texts as now (its run's texts have not
   * changed since), and a run whose items change renders with the current clock anyway.
   */
  #timesOf(r: Run<FeedItem>): string {
    const had = this.#times.get(r.key);
    if (had?.now === this._now) return had.text;
    const text = r.items.map((p) => [p, ...p.replies].map((x) => relativeTime(x.ts, this._now)).join(',')).join(';');
    this.#times.set(r.key, { now: this._now, text });
    return text;
  }

  // A run whose cards and shown times did not change is skipped whole (guard), so an update walks the runs, not every card.
  override render() {
    if (!this.items.length) return html`<div class="empty muted" role="status"><slot name="empty">No posts yet.</slot></div>`;
    const waiting = this.#waiting().length;
    const shown = this.#visible();
    const more = shown.length < this.#candidates().length || this.hasMore;
    this.#lastShown = shown.at(-1)?.id;
    return html`
      ${waiting ? html`<div class="pill-wrap"><button type="button" part="new-posts" class="pill" @click=${() => this.showNew()}>↑ ${plural(waiting, 'new post', 'new posts')}</button></div>` : nothing}
      <div class="top" ${ref(this.#top)}></div>
      <div role="list" aria-label="Posts">${repeat(this.#runsOf(shown), (r) => r.key, (r) => html`<div class="run">${guard([r.items, this.#timesOf(r)], () => repeat(r.items, (p) => p.id, (p) => html`
        <div role="listitem" class="post"><bw-post .item=${p} .now=${this._now}></bw-post></div>`))}</div>`)}</div>
      <div class="end" ${ref(this.#end)}>${more ? html`<button type="button" part="more" class="ghost" @click=${() => this.#more(PAGE)}>Show older posts</button>` : html`<span class="muted">That’s everything.</span>`}</div>`;
  }
}
customElements.get('bw-post-list') || customElements.define('bw-post-list', BwPostList);
