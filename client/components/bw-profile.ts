// Owns <bw-profile>: a person's profile card (avatar, name, bio, fingerprint, safety number), and my own as an editor.
import { LitElement, css, html, nothing } from 'lit';
import type { PersonView } from '../core/feed-view.js';
import { theme } from './theme.js';
import { fire } from './events.js';
import { MAX_BIO, countChars } from './format.js';
import './bw-avatar.js';

/**
 * @prop person - whose profile
 * @attr fingerprint - their key's fingerprint
 * @attr safety-number - ours together (a friend's profile), to compare in person
 * @attr editable - my own: shows "Edit profile"
 * @event bw-profile-save - `{ name, bio, avatar? }` (avatar: a new File, null to remove it, absent to keep it)
 * @csspart card - the profile card
 */
export class BwProfile extends LitElement {
  static override properties = {
    person: { attribute: false },
    fingerprint: { type: String },
    safetyNumber: { type: String, attribute: 'safety-number' },
    editable: { type: Boolean },
    _editing: { state: true },
    _bio: { state: true },
    _avatar: { state: true },
    _error: { state: true },
  };
  static override styles = [theme, css`
    :host { display: block; }
    .card { display: grid; gap: 12px; justify-items: center; text-align: center; padding: 20px 16px; }
    h2 { margin: 0; font-size: 1.3em; overflow-wrap: anywhere; }
    .bio { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
    dl { display: grid; gap: 4px; margin: 0; width: 100%; text-align: left; }
    dt { font-size: 0.8em; color: var(--_muted); font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; margin-top: 6px; }
    dd { margin: 0; }
    code { font-family: ui-monospace, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
    form { display: grid; gap: 10px; width: 100%; text-align: left; }
    .bar { display: flex; gap: 8px; justify-content: flex-end; align-items: center; flex-wrap: wrap; }
    .pic { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
    .pic img { width: 64px; height: 64px; border-radius: 50%; object-fit: cover; }
  `];
  declare person: PersonView | undefined;
  declare fingerprint: string;
  declare safetyNumber: string;
  declare editable: boolean;
  declare _editing: boolean;
  declare _bio: string;
  /** undefined: keep; null: remove; a File: the new picture. */
  declare _avatar: { file: File; url: string } | null | undefined;
  declare _error: string;

  constructor() {
    super();
    this.person = undefined;
    this.fingerprint = '';
    this.safetyNumber = '';
    this.editable = false;
    this._editing = false;
    this._bio = '';
    this._avatar = undefined;
    this._error = '';
  }

  #edit() {
    this._bio = this.person?.bio ?? '';
    this._avatar = undefined;
    this._error = '';
    this._editing = true;
    this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('input[name=name]')?.focus());
  }

  #setAvatar(a: { file: File; url: string } | null | undefined) {
    if (this._avatar) URL.revokeObjectURL(this._avatar.url);
    this._avatar = a;
  }

  #save(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const name = (form.elements.namedItem('name') as HTMLInputElement).value.trim();
    const bio = this._bio.trim();
    if (!name) return void (this._error = 'Pick a display name.');
    if (countChars(bio) > MAX_BIO) return void (this._error = `Keep the bio to ${MAX_BIO} characters.`);
    fire(this, 'bw-profile-save', { name, bio, ...(this._avatar !== undefined && { avatar: this._avatar?.file ?? null }) });
    this.#setAvatar(undefined);
    this._editing = false;
  }

  override render() {
    const p = this.person;
    if (!p) return nothing;
    if (this._editing) {
      const left = MAX_BIO - countChars(this._bio);
      const preview = this._avatar === null ? '' : (this._avatar?.url ?? p.avatarUrl ?? '');
      return html`<form part="card" class="card" @submit=${this.#save} aria-label="Edit profile">
        <div class="pic">${preview ? html`<img src=${preview} alt="New profile picture" />` : html`<bw-avatar size="56" name=${p.name} key=${p.key}></bw-avatar>`}
          <label>Profile picture <input type="file" name="avatar" accept="image/*" @change=${(e: Event) => {
            const f = (e.target as HTMLInputElement).files?.[0];
            if (f) this.#setAvatar({ file: f, url: URL.createObjectURL(f) });
          }} /></label>
          ${preview ? html`<button type="button" class="ghost" @click=${() => this.#setAvatar(null)}>Remove picture</button>` : nothing}</div>
        <label>Display name <input name="name" maxlength="64" autocomplete="nickname" .value=${p.name} /></label>
        <label>Bio <textarea name="bio" rows="3" .value=${this._bio} @input=${(e: Event) => (this._bio = (e.target as HTMLTextAreaElement).value)}></textarea></label>
        <div class="bar"><span class=${left < 0 ? 'error' : 'muted'}>${left} characters left</span>
          <button type="button" class="ghost" @click=${() => ((this._editing = false), this.#setAvatar(undefined))}>Cancel</button>
          <button type="submit" name="save">Save profile</button></div>
        ${this._error ? html`<div class="error" role="alert">${this._error}</div>` : nothing}
      </form>`;
    }
    return html`<section part="card" class="card" aria-label="Profile of ${p.name}">
      <bw-avatar size="88" name=${p.name} key=${p.key} src=${p.avatarUrl ?? ''}></bw-avatar>
      <h2>${p.name}</h2>
      ${p.bio ? html`<p class="bio">${p.bio}</p>` : this.editable ? html`<p class="muted">No bio yet.</p>` : nothing}
      ${this.editable ? html`<button type="button" class="ghost" name="edit-profile" @click=${this.#edit}>Edit profile</button>` : nothing}
      <dl>
        ${this.fingerprint ? html`<dt>Fingerprint</dt><dd><code part="fingerprint">${this.fingerprint}</code></dd>` : nothing}
        ${this.safetyNumber ? html`<dt>Safety number</dt><dd><code part="safety-number">${this.safetyNumber}</code>
          <div class="muted">Compare it with ${p.name} in person or on a call: the same number on both screens means nobody is in between.</div></dd>` : nothing}
      </dl>
    </section>`;
  }
}
customElements.get('bw-profile') || customElements.define('bw-profile', BwProfile);
