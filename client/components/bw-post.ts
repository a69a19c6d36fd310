// Owns <bw-post>: one post card (author, time, body, photos, reactions, its thread and my Edit/Delete), a pure view.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { FeedItem, PhotoView, ReactionView, ReplyView } from '../core/feed-view.js';
import { theme } from './theme.js';
import { fire } from './events.js';
import { MAX_CHARS, countChars, deliveryText, fullTime, namesText, plural, relativeTime } from './format.js';
import { reactIcon, replyIcon } from './icons.js';
import { avatarInline, avatarStyles } from './bw-avatar.js';

/** The reactions the picker offers, with the names screen readers say. */
export const REACTIONS: [string, string][] = [['❤️', 'heart'], ['👍', 'thumbs up'], ['😂', 'laughing'], ['😮', 'surprised'], ['😢', 'sad'], ['🎉', 'party']];
const emojiName = (e: string) => REACTIONS.find(([x]) => x === e)?.[1] ?? e;

/**
 * @prop item - the FeedItem to show
 * @prop now - the time relative times count from (the list ticks it each minute)
 * @attr open - the thread is expanded
 * @event bw-reply - `{ parent, body }` (cancel it to keep the text)
 * @event bw-react - `{ post, emoji }`; emoji null takes my reaction back
 * @event bw-edit - `{ post, body }`
 * @event bw-delete - `{ post }`
 * @event bw-photo-open - `{ post, photo }` a photo was opened: the host fills in its fullUrl
 * @csspart post - the card; avatar, author, time, body, meta, photos, reactions, thread, reply - its pieces (part
 * attributes in the root that holds the card: it renders into its own children, see createRenderRoot)
 */
export class BwPost extends LitElement {
  static override properties = {
    item: { attribute: false },
    now: { type: Number },
    open: { type: Boolean, reflect: true },
    _menu: { state: true },
    _picker: { state: true },
    _editing: { state: true },
    _reply: { state: true },
    _photo: { state: true },
  };
  /** A card's look, for the shadow root that holds the cards (bw-post-list adopts it): see createRenderRoot. */
  static readonly cardStyles = [theme, avatarStyles, css`
    bw-post { display: block; }
    /* Grid tracks are minmax(0, 1fr), never auto or a bare 1fr: those are sized from the items' min- and max-content
       widths, extra layout work for every card the feed adds (see bw-feed's .cols). */
    article { background: var(--_bg); border: 1px solid var(--_line); border-radius: var(--_radius); padding: 12px 14px; display: grid; grid-template-columns: minmax(0, 1fr); gap: 8px; }
    article.unread { border-color: var(--_accent); box-shadow: inset 3px 0 0 var(--_accent); }
    header, .row { display: flex; gap: 10px; align-items: center; min-width: 0; }
    .who { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 6px; min-width: 0; flex: 1; }
    .who strong { overflow-wrap: anywhere; }
    .badge { color: var(--_accent); font-size: 0.85em; }
    time { color: var(--_muted); font-size: 0.85em; }
    .body { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; line-height: 1.45; }
    .deleted { font-style: italic; }
    .icon { background: transparent; color: var(--_muted); padding: 4px 8px; font-weight: 500; display: inline-flex; align-items: center; gap: 6px; }
    .i { flex: none; }
    .icon:hover { background: var(--_surface); }
    .pop { display: flex; flex-wrap: wrap; gap: 4px; padding: 4px; background: var(--_surface); border-radius: var(--_radius); }
    .pop button { background: transparent; color: var(--_fg); padding: 6px 10px; font-weight: 500; }
    .pop button:hover { background: var(--_line); }
    .actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
    .chip { background: var(--_surface); color: var(--_fg); padding: 3px 10px; font-weight: 500; border: 1px solid transparent; }
    .chip[aria-pressed='true'] { background: var(--_accent-soft); border-color: var(--_accent); }
    .photos { display: grid; gap: 4px; grid-template-columns: repeat(2, minmax(0, 1fr)); border-radius: var(--_radius); overflow: hidden; }
    .photos.n1 { grid-template-columns: minmax(0, 1fr); }
    .photos button { padding: 0; border-radius: 0; background: var(--_surface); aspect-ratio: 4 / 3; display: block; width: 100%; overflow: hidden; }
    .photos.n1 button { aspect-ratio: 16 / 10; }
    .photos .ph { aspect-ratio: 4 / 3; background: linear-gradient(110deg, var(--_surface) 30%, var(--_line) 50%, var(--_surface) 70%); }
    .photos img { width: 100%; height: 100%; object-fit: cover; display: block; }
    .thread { display: grid; grid-template-columns: minmax(0, 1fr); gap: 10px; border-top: 1px solid var(--_line); padding-top: 10px; }
    .reply { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 8px; }
    .reply .bubble { background: var(--_surface); border-radius: var(--_radius); padding: 6px 10px; display: grid; grid-template-columns: minmax(0, 1fr); gap: 2px; min-width: 0; }
    form { display: grid; grid-template-columns: minmax(0, 1fr); gap: 6px; }
    .bar { display: flex; justify-content: flex-end; gap: 8px; align-items: center; }
    .over { color: var(--_danger); }
    dialog { padding: 0; border: 0; background: transparent; max-width: 96vw; max-height: 96vh; }
    dialog::backdrop { background: rgb(0 0 0 / 0.8); }
    dialog img { max-width: 96vw; max-height: 86vh; display: block; border-radius: 8px; }
    dialog .bar { padding: 8px 0; }
  `];

  /**
   * A card draws into its own children, not a shadow root: the list holds thousands of cards, and Chromium's style
   * update merges the rule features of every shadow root with adopted style sheets in the page each time one is added
   * (the scroll's slowest frames grew with the cards loaded). The host adopts cardStyles once (bw-post-list does).
   */
  protected override createRenderRoot() {
    return this;
  }

  declare item: FeedItem;
  declare now: number;
  declare open: boolean;
  /** Which item's (post or reply id) menu or picker is open. */
  declare _menu: string;
  declare _picker: string;
  declare _editing: string;
  declare _reply: string;
  /** The open photo's ref id (its view is looked up in `item`, so a fullUrl arriving later shows). */
  declare _photo: string | undefined;
  #editText = '';

  constructor() {
    super();
    this.now = Date.now();
    this.open = false;
    this._menu = '';
    this._picker = '';
    this._editing = '';
    this._reply = '';
    this._photo = undefined;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('_photo') && this._photo) this.renderRoot.querySelector('dialog')?.showModal();
    if (changed.has('item')) {
      this.setAttribute('data-via', this.item.via);
      this.setAttribute('data-id', this.item.id);
    }
  }

  #react(target: string, r: ReactionView | undefined, emoji: string) {
    this._picker = '';
    fire(this, 'bw-react', { post: target, emoji: r?.mine ? null : emoji });
  }

  #delete(target: string) {
    this._menu = '';
    if (confirm('Delete this post? Friends who have it will see it was deleted.')) fire(this, 'bw-delete', { post: target });
  }

  #saveEdit(e: Event, target: ReplyView) {
    e.preventDefault();
    const body = this.#editText.trim();
    if (!body || countChars(body) > MAX_CHARS) return;
    if (body !== target.body) fire(this, 'bw-edit', { post: target.id, body });
    this._editing = '';
  }

  #sendReply(e: Event) {
    e.preventDefault();
    const body = this._reply.trim();
    if (!body || countChars(body) > MAX_CHARS) return;
    if (fire(this, 'bw-reply', { parent: this.item.id, body })) this._reply = '';
  }

  #keys = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || !(this._menu || this._picker || this._editing)) return;
    const id = this._menu || this._picker;
    this._menu = this._picker = this._editing = '';
    e.stopPropagation();
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[data-for="${id}"]`)?.focus());
  };

  #reactions(x: ReplyView) {
    const who = (r: ReactionView) => namesText(r.who.map((p) => p.name));
    return html`${x.reactions.map((r) => html`<button type="button" class="chip" part="reaction" aria-pressed=${r.mine ? 'true' : 'false'}
        title=${who(r)} aria-label="${emojiName(r.emoji)} ${r.count}${r.who.length ? `: ${who(r)}` : ''}${r.mine ? ' (yours, press to take back)' : ''}"
        @click=${() => this.#react(x.id, r, r.emoji)}>${r.emoji} ${r.count}</button>`)}
      ${x.deleted ? nothing : html`<button type="button" class="icon" data-for=${x.id} aria-label="Add a reaction" aria-expanded=${this._picker === x.id ? 'true' : 'false'}
        @click=${() => ((this._picker = this._picker === x.id ? '' : x.id), (this._menu = ''))}>${reactIcon}</button>`}
      ${this._picker === x.id ? html`<div class="pop" role="group" aria-label="Pick a reaction">${REACTIONS.map(([emoji, name]) => html`
        <button type="button" aria-label=${name} @click=${() => this.#react(x.id, x.reactions.find((r) => r.emoji === emoji), emoji)}>${emoji}</button>`)}</div>` : nothing}`;
  }

  #menu(x: ReplyView, what: string) {
    if (!x.mine || x.deleted) return nothing;
    return html`<button type="button" class="icon" data-for=${x.id} aria-label="More options for this ${what}" aria-expanded=${this._menu === x.id ? 'true' : 'false'}
        @click=${() => ((this._menu = this._menu === x.id ? '' : x.id), (this._picker = ''))}>⋯</button>
      ${this._menu === x.id ? html`<div class="pop" role="group" aria-label="${what} options">
        <button type="button" @click=${() => ((this.#editText = x.body), (this._editing = x.id), (this._menu = ''))}>Edit</button>
        <button type="button" @click=${() => this.#delete(x.id)}>Delete</button></div>` : nothing}`;
  }

  #body(x: ReplyView, what: string) {
    if (x.deleted) return html`<p part="body" class="body deleted muted">This ${what} was deleted.</p>`;
    if (this._editing === x.id) {
      return html`<form @submit=${(e: Event) => this.#saveEdit(e, x)}>
        <textarea aria-label="Edit your ${what}" rows="3" .value=${this.#editText} @input=${(e: Event) => ((this.#editText = (e.target as HTMLTextAreaElement).value), this.requestUpdate())}></textarea>
        <div class="bar"><span class="muted">${MAX_CHARS - countChars(this.#editText)}</span>
          <button type="button" class="ghost" @click=${() => (this._editing = '')}>Cancel</button><button type="submit">Save</button></div></form>`;
    }
    return html`<p part="body" class="body">${x.body}</p>`;
  }

  #time(x: ReplyView) {
    return html`<time part="time" datetime=${new Date(x.ts).toISOString()} title=${fullTime(x.ts)}>${relativeTime(x.ts, this.now)}</time>
      ${x.edited && !x.deleted ? html`<span class="muted" title="edited ${fullTime(x.edited)}">· edited</span>` : nothing}`;
  }

  #photos(photos: PhotoView[]) {
    if (!photos.length) return nothing;
    return html`<div part="photos" class="photos n${Math.min(photos.length, 2) === 1 ? 1 : 2}">${photos.map((p, i) => {
      const src = p.thumbUrl ?? p.fullUrl;
      const label = `Open photo ${i + 1} of ${photos.length}${p.ref.alt ? `: ${p.ref.alt}` : ''}`;
      if (!src) return html`<div class="ph muted" role="img" aria-label="Photo ${i + 1} of ${photos.length}: ${p.state === 'loading' ? 'loading' : 'unavailable'}"></div>`;
      return html`<button type="button" aria-label=${label} @click=${() => this.#open(p)}>
        <img src=${src} alt=${p.ref.alt ?? ''} loading="lazy" decoding="async" width=${p.ref.w} height=${p.ref.h} /></button>`;
    })}</div>`;
  }

  #open(p: PhotoView) {
    this._photo = p.ref.id;
    fire(this, 'bw-photo-open', { post: this.item.id, photo: p.ref.id });
  }

  #meta(p: FeedItem) {
    if (!p.mine) return p.via === 'p2p' ? 'received directly' : 'received via relay';
    const to = p.audience?.list ? `to ${p.audience.list}` : '';
    return [to, deliveryText(p.delivery, p.audience?.to.length ?? 0)].filter(Boolean).join(' · ');
  }

  override render() {
    const p = this.item;
    if (!p) return nothing;
    const n = p.replies.length;
    const open = this._photo ? p.photos.find((x) => x.ref.id === this._photo) : undefined;
    return html`<article part="post" class=${p.unread ? 'unread' : ''} aria-label="Post by ${p.author.name}" @keydown=${this.#keys}>
      <header>
        ${avatarInline(p.author.name, p.author.key, p.author.avatarUrl)}
        <div class="who"><strong part="author">${p.author.name}</strong>${p.author.verified && !p.mine ? html`<span class="badge" title="Friend, verified">✓<span class="sr-only"> verified</span></span>` : nothing}
          ${this.#time(p)}${p.unread ? html`<span class="sr-only">, new</span>` : nothing}</div>
        ${this.#menu(p, 'post')}
      </header>
      ${this.#body(p, 'post')}
      ${p.deleted ? nothing : this.#photos(p.photos)}
      <div part="meta" class="muted">${this.#meta(p)}</div>
      <div part="reactions" class="actions">
        ${this.#reactions(p)}
        <button type="button" class="icon" name="thread" aria-expanded=${this.open ? 'true' : 'false'} @click=${() => (this.open = !this.open)}>
          ${replyIcon} ${n ? plural(n, 'reply', 'replies') : 'Reply'}</button>
      </div>
      ${this.open ? html`<section part="thread" class="thread" aria-label="Replies to ${p.author.name}">
        ${p.replies.map((r) => html`<div class="reply" data-id=${r.id}>
          ${avatarInline(r.author.name, r.author.key, r.author.avatarUrl, 28)}
          <div class="bubble"><div class="row"><div class="who"><strong>${r.author.name}</strong>${this.#time(r)}</div>${this.#menu(r, 'reply')}</div>
            ${this.#body(r, 'reply')}${r.reactions.length ? html`<div class="actions">${this.#reactions(r)}</div>` : nothing}</div></div>`)}
        <form part="reply" @submit=${(e: Event) => this.#sendReply(e)}>
          <textarea name="reply" rows="2" aria-label="Reply to ${p.author.name}" placeholder="Write a reply…" .value=${this._reply}
            @input=${(e: Event) => (this._reply = (e.target as HTMLTextAreaElement).value)}
            @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && (e.ctrlKey || e.metaKey) && this.#sendReply(e)}></textarea>
          <div class="bar"><span class=${countChars(this._reply) > MAX_CHARS ? 'over' : 'muted'}>${MAX_CHARS - countChars(this._reply)}</span>
            <button type="submit" name="send-reply" ?disabled=${!this._reply.trim() || countChars(this._reply) > MAX_CHARS}>Reply</button></div>
        </form></section>` : nothing}
    </article>
    ${open ? html`<dialog part="lightbox" aria-label="Photo" @close=${() => (this._photo = undefined)}>
      <img src=${open.fullUrl ?? open.thumbUrl ?? ''} alt=${open.ref.alt ?? 'Photo'} />
      <div class="bar"><button type="button" autofocus @click=${(e: Event) => (e.target as HTMLElement).closest('dialog')!.close()}>Close</button></div></dialog>` : nothing}`;
  }
}
customElements.get('bw-post') || customElements.define('bw-post', BwPost);
