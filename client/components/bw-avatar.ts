// Owns <bw-avatar>: a person's picture, or their initials on a colour of their key, with an optional online dot.
import { LitElement, css, html } from 'lit';
import { hueOf, initials } from './format.js';

/**
 * @attr name - whose avatar (its label, and the initials without a picture)
 * @attr key - their key (picks the colour)
 * @attr src - a picture URL (object or data URL)
 * @attr online - shows the online dot; absent: no dot, "false": an offline dot
 * @attr size - diameter in px (default 40)
 * @csspart avatar - the circle
 * @csspart dot - the online dot
 */
export class BwAvatar extends LitElement {
  static override properties = { name: { type: String }, key: { type: String }, src: { type: String }, online: { type: String }, size: { type: Number } };
  static override styles = css`
    :host { display: inline-block; position: relative; flex: none; width: var(--_s); height: var(--_s); --_s: 40px; }
    :host([size='28']) { --_s: 28px; } :host([size='32']) { --_s: 32px; } :host([size='56']) { --_s: 56px; } :host([size='88']) { --_s: 88px; }
    .c { display: grid; place-items: center; width: 100%; height: 100%; border-radius: 50%; overflow: hidden; color: #fff;
      font: 600 calc(var(--_s) * 0.4) / 1 system-ui, sans-serif; user-select: none; }
    img { width: 100%; height: 100%; object-fit: cover; }
    .h0 { background: #6a3fc8; } .h1 { background: #0b6e99; } .h2 { background: #b0305a; } .h3 { background: #2f7a3c; }
    .h4 { background: #a8470a; } .h5 { background: #3b5bdb; } .h6 { background: #4b5563; } .h7 { background: #0f766e; }
    .dot { position: absolute; right: -1px; bottom: -1px; width: calc(var(--_s) * 0.28); height: calc(var(--_s) * 0.28);
      min-width: 9px; min-height: 9px; border-radius: 50%; background: #8a8a93; border: 2px solid var(--bw-color-background, #fff); box-sizing: border-box; }
    .dot.on { background: #22a447; }
    @media (prefers-color-scheme: dark) { .dot { border-color: var(--bw-color-background, #121215); } }
  `;
  declare name: string;
  declare key: string;
  declare src: string;
  declare online: string | null;
  declare size: number;

  constructor() {
    super();
    this.name = '';
    this.key = '';
    this.src = '';
    this.online = null;
    this.size = 40;
  }

  override render() {
    const status = this.online === null || this.online === undefined ? '' : this.online === 'false' ? ', offline' : ', online';
    return html`<span part="avatar" class="c h${hueOf(this.key || this.name)}" role="img" aria-label="${this.name}${status}">${this.src
      ? html`<img src=${this.src} alt="" />`
      : initials(this.name)}</span>${status ? html`<span part="dot" class="dot ${this.online === 'false' ? '' : 'on'}"></span>` : null}`;
  }
}
customElements.get('bw-avatar') || customElements.define('bw-avatar', BwAvatar);
