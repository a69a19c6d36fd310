// Owns <bw-compose>: the 280-character composer with a live counter, photo attachments and an audience picker.
import { LitElement, css, html, nothing } from 'lit';
import type { AudienceList } from '../core/feed-view.js';
import { MAX_PHOTOS } from '../../shared/photo-ref.js';
import { theme } from './theme.js';
import { fire } from './events.js';
import { MAX_CHARS, countChars } from './format.js';
import { photoIcon } from './icons.js';

/**
 * @event bw-compose - `{ body, audience?, photos? }` when the visitor posts; cancel it to keep the text in the box.
 * @prop lists - AudienceList[] the audience picker offers besides "All friends"
 * @attr disabled - no identity or no friends yet
 * @csspart textarea - the text box
 * @csspart counter - the remaining-characters counter
 * @csspart previews - the attached photos
 */
export class BwCompose extends LitElement {
  static override properties = { disabled: { type: Boolean, reflect: true }, lists: { attribute: false }, _text: { state: true }, _files: { state: true }, _audience: { state: true } };
  static override styles = [theme, css`
    :host { display: block; }
    form { display: grid; gap: 8px; background: var(--_bg); border: 1px solid var(--_line); border-radius: var(--_radius); padding: 12px; }
    textarea { border: 0; padding: 4px 2px; resize: vertical; min-height: 4.5em; font-size: 1.05em; background: transparent; }
    textarea:focus-visible { outline: none; }
    form:focus-within { border-color: var(--_accent); }
    .bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
    .grow { flex: 1; }
    .over { color: var(--_danger); font-weight: 600; }
    .attach { position: relative; display: inline-flex; align-items: center; gap: 4px; color: var(--_accent); font-weight: 600; cursor: pointer;
      padding: 6px 10px; border-radius: 999px; }
    .attach:hover { background: var(--_surface); }
    .attach input { position: absolute; inset: 0; opacity: 0; width: 100%; cursor: pointer; }
    .attach:focus-within { outline: 2px solid var(--_accent); }
    select { width: auto; padding: 5px 8px; border-radius: 999px; font-size: 0.9em; }
    .previews { display: flex; gap: 8px; flex-wrap: wrap; }
    .preview { position: relative; width: 84px; height: 84px; border-radius: 10px; overflow: hidden; background: var(--_surface); }
    .preview img { width: 100%; height: 100%; object-fit: cover; }
    .preview button { position: absolute; top: 4px; right: 4px; padding: 0; width: 24px; height: 24px; line-height: 24px; background: rgb(0 0 0 / 0.7); color: #fff; }
  `];
  declare disabled: boolean;
  declare lists: AudienceList[];
  declare _text: string;
  declare _files: { file: File; url: string }[];
  declare _audience: string;

  constructor() {
    super();
    this.disabled = false;
    this.lists = [];
    this._text = '';
    this._files = [];
    this._audience = '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#clearFiles();
  }

  #clearFiles() {
    for (const f of this._files) URL.revokeObjectURL(f.url);
    this._files = [];
  }

  #pick(e: Event) {
    const input = e.target as HTMLInputElement;
    const picked = [...(input.files ?? [])].filter((f) => f.type.startsWith('image/'));
    const room = MAX_PHOTOS - this._files.length;
    this._files = [...this._files, ...picked.slice(0, room).map((file) => ({ file, url: URL.createObjectURL(file) }))];
    input.value = '';
  }

  #remove(i: number) {
    URL.revokeObjectURL(this._files[i]!.url);
    this._files = this._files.filter((_, j) => j !== i);
    this.renderRoot.querySelector<HTMLTextAreaElement>('textarea')?.focus();
  }

  #submit(e: Event) {
    e.preventDefault();
    const body = this._text.trim();
    if ((!body && !this._files.length) || countChars(body) > MAX_CHARS) return;
    const detail = { body, ...(this._audience && { audience: this._audience }), ...(this._files.length && { photos: this._files.map((f) => f.file) }) };
    if (fire(this, 'bw-compose', detail)) {
      this._text = '';
      this.#clearFiles();
    }
  }

  override render() {
    const left = MAX_CHARS - countChars(this._text);
    const empty = !this._text.trim() && !this._files.length;
    return html`<form @submit=${this.#submit} aria-label="New post">
      <textarea part="textarea" name="body" rows="3" aria-label="What’s on your mind?" placeholder="What’s on your mind?" .value=${this._text}
        @input=${(e: Event) => (this._text = (e.target as HTMLTextAreaElement).value)} ?disabled=${this.disabled}
        @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && (e.ctrlKey || e.metaKey) && this.#submit(e)}></textarea>
      ${this._files.length ? html`<div part="previews" class="previews">${this._files.map((f, i) => html`<div class="preview">
        <img src=${f.url} alt="Photo ${i + 1}: ${f.file.name}" /><button type="button" aria-label="Remove photo ${i + 1}" @click=${() => this.#remove(i)}>✕</button></div>`)}</div>` : nothing}
      <div class="bar">
        <label class="attach" title="Add photos">${photoIcon}<span>Photo</span><input type="file" name="photos" accept="image/*" multiple aria-label="Add photos"
          ?disabled=${this.disabled || this._files.length >= MAX_PHOTOS} @change=${this.#pick} /></label>
        ${this.lists.length ? html`<select name="audience" aria-label="Audience" .value=${this._audience} @change=${(e: Event) => (this._audience = (e.target as HTMLSelectElement).value)}>
          <option value="">All friends</option>${this.lists.map((l) => html`<option value=${l.id} ?selected=${l.id === this._audience}>${l.name}</option>`)}</select>` : nothing}
        <span class="grow"></span>
        <span part="counter" class=${left < 0 ? 'over' : left <= 20 ? '' : 'muted'}>${left}</span><span class="sr-only">characters left</span>
        <button type="submit" name="post" ?disabled=${this.disabled || left < 0 || empty}>Post</button>
      </div>
    </form>`;
  }
}
customElements.get('bw-compose') || customElements.define('bw-compose', BwCompose);
