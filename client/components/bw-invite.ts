// Owns <bw-invite>: my invite as a short copyable link and a QR code, and accepting a friend's link or code.
import { LitElement, css, html, nothing } from 'lit';
import { theme } from './theme.js';
import { fire } from './events.js';
import './bw-qr.js';

/**
 * @event bw-request-invite - the visitor asked for an invite to share.
 * @event bw-accept-invite - `{ code }` a pasted invite link or code to accept.
 * @csspart link - the invite link box
 * @csspart paste - the box for a friend's link or code
 * @attr code - my invite code, once made (accepted as-is when there is no link)
 * @attr link - my invite as a link (shown with Copy, and as a QR code)
 * @attr error - why the last pasted code was refused
 * @attr notice - a success message
 * @attr initial - a code to pre-fill the paste box with
 */
export class BwInvite extends LitElement {
  static override properties = { code: { type: String }, link: { type: String }, error: { type: String }, notice: { type: String }, initial: { type: String }, _copied: { state: true } };
  static override styles = [theme, css`
    :host { display: grid; gap: 16px; }
    .share { display: grid; gap: 10px; justify-items: start; }
    .row { display: flex; gap: 8px; align-items: center; width: 100%; flex-wrap: wrap; }
    .row input { flex: 1; min-width: 10em; font-family: ui-monospace, monospace; font-size: 0.85em; text-overflow: ellipsis; }
    bw-qr { --bw-qr-size: 168px; border-radius: 8px; overflow: hidden; }
    form { display: grid; gap: 8px; }
    textarea { font-family: ui-monospace, monospace; font-size: 0.85em; word-break: break-all; }
    .ok { color: var(--_ok); font-size: 0.95em; font-weight: 600; }
    h3 { margin: 0; font-size: 1em; }
  `];
  declare code: string;
  declare error: string;
  declare notice: string;
  /** Pre-fills the paste box (from an invite link). */
  declare initial: string;
  declare link: string;
  declare _copied: boolean;

  constructor() {
    super();
    this.initial = '';
    this.link = '';
    this.code = '';
    this.error = '';
    this.notice = '';
    this._copied = false;
  }

  #accept(e: Event) {
    e.preventDefault();
    const ta = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea[name=paste]')!;
    const code = ta.value.trim();
    if (!code) {
      this.error = 'Paste a friend’s invite link first.';
      return;
    }
    if (fire(this, 'bw-accept-invite', { code })) ta.value = '';
  }

  async #copy() {
    try {
      await navigator.clipboard.writeText(this.link || this.code);
      this._copied = true;
    } catch {
      // No clipboard permission (an embed in an iframe, an old browser): select the text for a manual copy.
      this.renderRoot.querySelector<HTMLInputElement>('input[name=invite-link]')?.select();
    }
  }

  override render() {
    const text = this.link || this.code;
    return html`
      <section class="share" aria-labelledby="share-h">
        <h3 id="share-h">Invite a friend</h3>
        <span class="muted">Send them a link, or let them scan the code. It opens a friendship with you only and expires in 7 days.</span>
        ${text ? html`<div class="row">
            <input part="link" name="invite-link" readonly aria-label="Your invite link" .value=${text} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
            <button type="button" name="copy" @click=${this.#copy}>${this._copied ? 'Copied ✓' : 'Copy link'}</button>
          </div>
          <span class="sr-only" role="status">${this._copied ? 'Invite link copied' : ''}</span>
          ${this.link ? html`<bw-qr value=${this.link}></bw-qr>` : nothing}
          <button type="button" class="ghost" name="make" @click=${() => ((this._copied = false), fire(this, 'bw-request-invite', {}))}>New invite link</button>`
        : html`<button type="button" name="make" @click=${() => fire(this, 'bw-request-invite', {})}>Create invite link</button>`}
      </section>
      <form @submit=${this.#accept} aria-labelledby="accept-h">
        <h3 id="accept-h">Got an invite?</h3>
        <label>Friend’s invite link <textarea part="paste" name="paste" rows="2" placeholder="https://…#invite=bw1.…" .value=${this.initial}></textarea></label>
        <div><button type="submit" name="accept">Add friend</button></div>
      </form>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
      ${this.notice ? html`<div class="ok" role="status">${this.notice}</div>` : nothing}
    `;
  }
}
customElements.get('bw-invite') || customElements.define('bw-invite', BwInvite);
