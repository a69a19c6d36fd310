// Owns <bw-backup>: exporting my identity, friends and profile as a passphrase-protected backup (text and file).
import { LitElement, css, html } from 'lit';
import { theme } from './theme.js';
import { fire } from './events.js';

const MIN_PASSPHRASE = 10;

/**
 * @event bw-export-backup - `{ passphrase }` the visitor asked for a backup
 * @csspart backup - the textarea holding the backup text
 * @attr backup - the backup text, once made
 * @attr error - why the export failed
 */
export class BwBackup extends LitElement {
  static override properties = { backup: { type: String }, error: { type: String }, busy: { type: Boolean }, _local: { state: true } };
  static override styles = [theme, css`form { display: grid; gap: 8px; } textarea { font-family: ui-monospace, monospace; font-size: 0.8em; word-break: break-all; }`];
  declare backup: string;
  declare error: string;
  declare busy: boolean;
  declare _local: string;

  constructor() {
    super();
    this.backup = '';
    this.error = '';
    this.busy = false;
    this._local = '';
  }

  #submit(e: Event) {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('input[name=passphrase]')!;
    if ([...input.value].length < MIN_PASSPHRASE) {
      this._local = `Use a passphrase of at least ${MIN_PASSPHRASE} characters: it is all that protects the backup.`;
      return;
    }
    this._local = '';
    fire(this, 'bw-export-backup', { passphrase: input.value });
    input.value = '';
  }

  override render() {
    const msg = this._local || this.error;
    const href = this.backup ? URL.createObjectURL(new Blob([this.backup + '\n'], { type: 'text/plain' })) : '';
    return html`<form @submit=${this.#submit}>
      <span class="muted">Your identity lives only in this browser. A backup holds your keys, your friends and your profile, so a
        new or wiped browser gets them back.</span>
      <span class="muted" id="stale">Backups made before you add a friend don’t include them: export a new one after befriending someone.</span>
      <label>Passphrase <input name="passphrase" type="password" autocomplete="new-password" /></label>
      <button type="submit" name="export" ?disabled=${this.busy}>${this.busy ? 'Encrypting…' : 'Export key backup'}</button>
      ${msg ? html`<div class="error" role="alert">${msg}</div>` : null}
      ${this.backup ? html`<textarea part="backup" name="backup" readonly rows="4" .value=${this.backup}></textarea>
        <a href=${href} download="brainwaves-key-backup.txt">Download as a file</a>` : null}
    </form>`;
  }
}
customElements.get('bw-backup') || customElements.define('bw-backup', BwBackup);
