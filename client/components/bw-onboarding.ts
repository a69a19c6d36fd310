// Owns <bw-onboarding>: the first screen, where a visitor picks a display name and creates an identity.
import { LitElement, css, html } from 'lit';
import { theme } from './theme.js';
import { fire } from './events.js';

/**
 * @event bw-create-identity - `{ name }` when the visitor submits a non-empty name.
 * @event bw-import-identity - `{ backup, passphrase }` to restore an identity from a key backup.
 * @csspart form - the form
 * @attr error - a message to show (set by the host when creation failed)
 */
export class BwOnboarding extends LitElement {
  static override properties = { error: { type: String }, busy: { type: Boolean }, _local: { state: true } };
  static override styles = [theme, css`form { display: grid; gap: var(--_gap); max-width: 28rem; } details { margin-top: var(--_gap); max-width: 28rem; }`];
  declare error: string;
  declare busy: boolean;
  declare _local: string;

  constructor() {
    super();
    this.error = '';
    this.busy = false;
    this._local = '';
  }

  #submit(e: Event) {
    e.preventDefault();
    const input = this.renderRoot.querySelector('input')!;
    const name = input.value.trim();
    if (!name) {
      this._local = 'Pick a display name first.';
      return;
    }
    this._local = '';
    fire(this, 'bw-create-identity', { name });
  }

  /** Reads a downloaded backup file into the text box (it stays editable and visible before Restore). */
  async #file(e: Event) {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    if (file.size > 2 * 1024 * 1024) {
      this._local = 'That file is too large to be a backup.';
      return;
    }
    this.renderRoot.querySelector<HTMLTextAreaElement>('textarea[name=backup]')!.value = (await file.text()).trim();
  }

  #import(e: Event) {
    e.preventDefault();
    const backup = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea[name=backup]')!.value.trim();
    const passphrase = this.renderRoot.querySelector<HTMLInputElement>('input[name=passphrase]')!.value;
    if (!backup || !passphrase) {
      this._local = 'Paste the backup and type its passphrase.';
      return;
    }
    this._local = '';
    fire(this, 'bw-import-identity', { backup, passphrase });
  }

  override render() {
    const msg = this._local || this.error;
    return html`<form part="form" @submit=${this.#submit}>
      <strong>Welcome to BrainWaves</strong>
      <span class="muted">Your identity is a key pair made here, in this browser. No account, no email.</span>
      <label>Display name <input name="name" maxlength="64" autocomplete="nickname" /></label>
      <button type="submit" ?disabled=${this.busy}>Create my identity</button>
      ${msg ? html`<div class="error" role="alert">${msg}</div>` : null}
    </form>
    <details>
      <summary>Restore from a key backup</summary>
      <form part="import" @submit=${this.#import}>
        <span class="muted">Brings back your keys, and with a backup from this version your friends and profile too.</span>
        <label>Key backup <textarea name="backup" rows="3" placeholder="bwbackup2.…"></textarea></label>
        <label>Or open the backup file <input name="file" type="file" accept=".txt,text/plain" @change=${this.#file} /></label>
        <label>Passphrase <input name="passphrase" type="password" autocomplete="current-password" /></label>
        <button type="submit" name="import" ?disabled=${this.busy}>Restore</button>
      </form>
    </details>`;
  }
}
customElements.get('bw-onboarding') || customElements.define('bw-onboarding', BwOnboarding);
