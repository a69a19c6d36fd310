// Owns <bw-devices>: my devices (and removing one), linking a new device from this one, and, on a browser with no identity, linking it to one I already have.
import { LitElement, css, html, nothing } from 'lit';
import { theme } from './theme.js';
import { fire } from './events.js';
import { fullTime } from './format.js';
import './bw-qr.js';

export interface DeviceRow {
  key?: string;
  name: string;
  added: number;
  current: boolean;
}

/**
 * Two modes. `mode="primary"` (the device that holds the identity): lists my devices with Remove, and takes a new
 * device's code; once `sas` is set, asks the user to compare it and confirm. `mode="linked"`: lists them read-only.
 * `mode="new"` (no identity yet): asks for this device's name, then shows `code` as a QR code and text, then `sas`.
 *
 * @event bw-link-device - `{ code }` (primary) a new device's code was pasted
 * @event bw-link-confirm - (primary) the codes match: certify and provision the new device
 * @event bw-link-cancel - the codes differ, or the user gave up
 * @event bw-device-remove - `{ key }` (primary) remove one of my devices
 * @event bw-start-link - `{ name }` (new) show a link code for this device
 * @csspart devices - the list of my devices
 * @csspart sas - the short code to compare
 * @attr mode - primary | linked | new
 * @attr code - (new) the link code to show as text
 * @attr link - (new) the code as a link to put in the QR code: a phone's camera opens it on the device already in use
 * @attr initial - (primary) a code to pre-fill the paste box with (a scanned link opened this page)
 * @attr sas - the short code both screens show, once known
 * @attr status - a line saying where the link stands
 * @attr error - why the last step failed
 */
export class BwDevices extends LitElement {
  static override properties = {
    mode: { type: String },
    devices: { attribute: false },
    code: { type: String },
    link: { type: String },
    initial: { type: String },
    sas: { type: String },
    status: { type: String },
    error: { type: String },
    busy: { type: Boolean },
  };
  static override styles = [theme, css`
    form, .link { display: grid; gap: 8px; max-width: 28rem; }
    ul { list-style: none; padding: 0; margin: 0 0 var(--_gap); display: grid; gap: 6px; }
    li { display: flex; gap: 8px; align-items: center; }
    li .grow { flex: 1; }
    .sas { font: 600 1.6em ui-monospace, monospace; letter-spacing: 0.1em; }
    textarea { font-family: ui-monospace, monospace; font-size: 0.8em; word-break: break-all; }
    bw-qr { --bw-qr-size: 208px; border-radius: 8px; overflow: hidden; }
    .actions { display: flex; gap: 8px; flex-wrap: wrap; }
  `];
  declare mode: 'primary' | 'linked' | 'new';
  declare devices: DeviceRow[];
  declare code: string;
  declare link: string;
  declare initial: string;
  declare sas: string;
  declare status: string;
  declare error: string;
  declare busy: boolean;

  constructor() {
    super();
    this.mode = 'primary';
    this.devices = [];
    this.code = '';
    this.link = '';
    this.initial = '';
    this.sas = '';
    this.status = '';
    this.error = '';
    this.busy = false;
  }

  #paste(e: Event) {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea[name=link-code]')!;
    const code = input.value.trim();
    if (code) fire(this, 'bw-link-device', { code });
  }

  #start(e: Event) {
    e.preventDefault();
    const name = this.renderRoot.querySelector<HTMLInputElement>('input[name=device-name]')!.value.trim() || 'Browser';
    fire(this, 'bw-start-link', { name });
  }

  #list() {
    if (!this.devices.length) return nothing;
    return html`<ul part="devices" aria-label="My devices">${this.devices.map((d) => html`<li>
      <span class="grow"><strong>${d.name}</strong>${d.current ? html` <span class="muted">(this device)</span>` : nothing}
        <div class="muted">added ${fullTime(d.added).slice(0, 10)}</div></span>
      ${this.mode === 'primary' && !d.current && d.key ? html`<button class="ghost" ?disabled=${this.busy} aria-label="Remove ${d.name}" @click=${() => fire(this, 'bw-device-remove', { key: d.key! })}>Remove</button>` : nothing}
    </li>`)}</ul>`;
  }

  #compare(other: string) {
    return html`<div class="link" role="status">
      <span>Check that ${other} shows the same code:</span>
      <span class="sas" part="sas" aria-label="Short code ${this.sas}">${this.sas}</span>
      ${this.mode === 'primary' ? html`<span class="actions">
        <button ?disabled=${this.busy} @click=${() => fire(this, 'bw-link-confirm', {})}>The codes match: link it</button>
        <button class="ghost" ?disabled=${this.busy} @click=${() => fire(this, 'bw-link-cancel', {})}>They differ</button></span>` : nothing}
    </div>`;
  }

  override render() {
    const msg = this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing;
    const status = this.status ? html`<div class="muted" role="status">${this.status}</div>` : nothing;
    if (this.mode === 'new') {
      if (this.sas) return html`${this.#compare('your other device')}${status}${msg}`;
      if (this.code) {
        return html`<div class="link">
          <span>Scan this with the camera of the device you already use, or paste the code there in Profile → Devices.</span>
          <bw-qr value=${this.link || this.code} label="QR code of this device's link code"></bw-qr>
          <label>Link code <textarea name="code" readonly rows="3" .value=${this.code}></textarea></label>
          ${status}${msg}</div>`;
      }
      return html`<form @submit=${this.#start}>
        <span class="muted">Use this browser as another device of an identity you already have. Your keys stay on that
          device: this one gets keys of its own, and your friends and posts.</span>
        <label>This device’s name <input name="device-name" maxlength="32" placeholder="Browser" /></label>
        <button type="submit" name="start-link" ?disabled=${this.busy}>Show a link code</button>${msg}</form>`;
    }
    return html`${this.#list()}
      ${this.mode === 'linked' ? html`<span class="muted">Devices are linked and removed on the device that made your identity.</span>`
        : this.sas ? this.#compare('the new device')
        : html`<form @submit=${this.#paste}>
          <label>Link a device: paste its code <textarea name="link-code" rows="2" placeholder="bwlink1.…" .value=${this.initial}></textarea></label>
          <button type="submit" name="link" ?disabled=${this.busy}>Link a device</button></form>`}
      ${status}${msg}`;
  }
}
customElements.get('bw-devices') || customElements.define('bw-devices', BwDevices);
