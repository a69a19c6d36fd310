// Owns <bw-invite>: showing my invite code and accepting a friend's, with validation messages.
import { LitElement, css, html } from 'lit';
import { theme } from './theme.js';
import { fire } from './events.js';

/**
 * @event bw-request-invite - the visitor asked for an invite code to share.
 * @event bw-accept-invite - `{ code }` a pasted invite code or link to accept.
 * @csspart my-code - the textarea holding my invite code
 * @csspart paste - the textarea for a friend's code
 * @attr code - my invite code, once made
 * @attr error - why the last pasted code was refused
 * @attr notice - a success message
 * @attr initial - a code to pre-fill the paste box with
 * @attr link - my invite as a link (shown, and as a QR code where <bw-qr> is defined)
 */
export class BwInvite extends LitElement {
  static override properties = { code: { type: String }, link: { type: String }, error: { type: String }, notice: { type: String }, initial: { type: String } };
  static override styles = [theme, css`
    :host { display: grid; gap: var(--_gap); }
    textarea { font-family: ui-monospace, monospace; font-size: 0.8em; word-break: break-all; }
    .row { display: flex; gap: 8px; align-items: center; }
    .ok { color: var(--_accent); font-size: 0.9em; }
  `];
  declare code: string;
  declare error: string;
  declare notice: string;
  /** Pre-fills the paste box (from an invite link). */
  declare initial: string;
  declare link: string;

  constructor() {
    super();
    this.initial = '';
    this.link = '';
    this.code = '';
    this.error = '';
    this.notice = '';
  }

  #accept(e: Event) {
    e.preventDefault();
    const ta = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea[name=paste]')!;
    const code = ta.value.trim();
    if (!code) {
      this.error = 'Paste a friend’s invite code first.';
      return;
    }
    if (fire(this, 'bw-accept-invite', { code })) ta.value = '';
  }

  override render() {
    return html`
      <div class="row">
        <button type="button" name="make" @click=${() => fire(this, 'bw-request-invite', {})}>${this.code ? 'New invite code' : 'Make an invite code'}</button>
        ${this.code ? html`<button type="button" name="copy" @click=${() => navigator.clipboard?.writeText(this.code)}>Copy</button>` : null}
      </div>
      ${this.code ? html`<textarea part="my-code" name="my-code" readonly rows="4" .value=${this.code}></textarea>
        <span class="muted">Send this code or the link to a friend. It holds your public keys and expires in 7 days.</span>
        ${this.link ? html`<a part="link" href=${this.link} target="_blank" rel="noopener">Invite link</a><bw-qr value=${this.link}></bw-qr>` : null}` : null}
      <form @submit=${this.#accept}>
        <label>Friend’s invite code <textarea part="paste" name="paste" rows="3" placeholder="bw1.…" .value=${this.initial}></textarea></label>
        <button type="submit" name="accept">Add friend</button>
      </form>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : null}
      ${this.notice ? html`<div class="ok" role="status">${this.notice}</div>` : null}
    `;
  }
}
customElements.get('bw-invite') || customElements.define('bw-invite', BwInvite);
