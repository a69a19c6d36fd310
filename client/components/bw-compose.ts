// Owns <bw-compose>: the 280-character composer with a live counter.
import { LitElement, css, html } from 'lit';
import { theme } from './theme.js';
import { fire } from './events.js';

const MAX = 280;
const count = (s: string) => [...s].length;

/**
 * @event bw-compose - `{ body }` when the visitor posts; cancel it to keep the text in the box.
 * @csspart textarea - the text box
 * @csspart counter - the remaining-characters counter
 * @attr disabled - no identity or no friends yet
 */
export class BwCompose extends LitElement {
  static override properties = { disabled: { type: Boolean, reflect: true }, _text: { state: true } };
  static override styles = [theme, css`
    form { display: grid; gap: 8px; }
    .bar { display: flex; justify-content: space-between; align-items: center; }
    .over { color: var(--_danger); }
  `];
  declare disabled: boolean;
  declare _text: string;

  constructor() {
    super();
    this.disabled = false;
    this._text = '';
  }

  #submit(e: Event) {
    e.preventDefault();
    const body = this._text.trim();
    if (!body || count(body) > MAX) return;
    if (fire(this, 'bw-compose', { body })) this._text = '';
  }

  override render() {
    const left = MAX - count(this._text);
    return html`<form @submit=${this.#submit}>
      <textarea part="textarea" name="body" rows="3" placeholder="What’s on your mind?" .value=${this._text}
        @input=${(e: Event) => (this._text = (e.target as HTMLTextAreaElement).value)} ?disabled=${this.disabled}></textarea>
      <div class="bar">
        <span part="counter" class=${left < 0 ? 'over' : 'muted'} aria-live="polite">${left}</span>
        <button type="submit" name="post" ?disabled=${this.disabled || left < 0 || !this._text.trim()}>Post</button>
      </div>
    </form>`;
  }
}
customElements.get('bw-compose') || customElements.define('bw-compose', BwCompose);
