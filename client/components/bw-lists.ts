// Owns <bw-lists>: my audience lists ("Close friends"): create, rename, choose members, delete.
import { LitElement, css, html, nothing } from 'lit';
import type { AudienceList, PersonView } from '../core/feed-view.js';
import { theme } from './theme.js';
import { fire } from './events.js';
import { plural } from './format.js';

/**
 * @prop lists - AudienceList[]
 * @prop friends - PersonView[] who can be members
 * @event bw-list-save - `{ id?, name, members }` (no id: a new list)
 * @event bw-list-delete - `{ id }`
 */
export class BwLists extends LitElement {
  static override properties = { lists: { attribute: false }, friends: { attribute: false }, _editing: { state: true }, _error: { state: true } };
  static override styles = [theme, css`
    :host { display: grid; gap: 10px; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
    li { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
    li .grow { flex: 1; min-width: 8em; }
    form { display: grid; gap: 8px; }
    fieldset { border: 1px solid var(--_line); border-radius: var(--_radius); display: grid; gap: 4px; margin: 0; }
    fieldset label { display: flex; gap: 8px; align-items: center; font-weight: 400; }
    fieldset input { width: auto; }
    .bar { display: flex; gap: 8px; justify-content: flex-end; }
  `];
  declare lists: AudienceList[];
  declare friends: PersonView[];
  /** The list being edited: an id, 'new', or '' for none. */
  declare _editing: string;
  declare _error: string;

  constructor() {
    super();
    this.lists = [];
    this.friends = [];
    this._editing = '';
    this._error = '';
  }

  #save(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const name = (form.elements.namedItem('list-name') as HTMLInputElement).value.trim();
    const members = [...form.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map((c) => c.value);
    if (!name) return void (this._error = 'Give the list a name.');
    fire(this, 'bw-list-save', { ...(this._editing !== 'new' && { id: this._editing }), name, members });
    this._editing = '';
    this._error = '';
  }

  #form(list?: AudienceList) {
    return html`<form @submit=${this.#save} aria-label=${list ? `Edit list ${list.name}` : 'New list'}>
      <label>List name <input name="list-name" maxlength="64" .value=${list?.name ?? ''} /></label>
      <fieldset><legend>Members</legend>${this.friends.length ? this.friends.map((f) => html`<label><input type="checkbox" value=${f.key} ?checked=${list?.members.includes(f.key) ?? false} />${f.name}</label>`)
        : html`<span class="muted">Add friends first.</span>`}</fieldset>
      ${this._error ? html`<div class="error" role="alert">${this._error}</div>` : nothing}
      <div class="bar"><button type="button" class="ghost" @click=${() => (this._editing = '')}>Cancel</button><button type="submit">Save list</button></div>
    </form>`;
  }

  override render() {
    return html`
      ${this.lists.length ? html`<ul aria-label="Lists">${this.lists.map((l) => this._editing === l.id ? html`<li>${this.#form(l)}</li>` : html`<li>
        <span class="grow"><strong>${l.name}</strong> <span class="muted">${plural(l.members.length, 'person', 'people')}</span></span>
        <button type="button" class="ghost" aria-label="Edit list ${l.name}" @click=${() => (this._editing = l.id)}>Edit</button>
        <button type="button" class="ghost" aria-label="Delete list ${l.name}" @click=${() => confirm(`Delete the list “${l.name}”?`) && fire(this, 'bw-list-delete', { id: l.id })}>Delete</button></li>`)}</ul>`
        : html`<p class="muted">Lists let you post to some friends only, like “Close friends”. Only you see them.</p>`}
      ${this._editing === 'new' ? this.#form() : html`<div><button type="button" class="ghost" name="new-list" @click=${() => (this._editing = 'new')}>New list</button></div>`}`;
  }
}
customElements.get('bw-lists') || customElements.define('bw-lists', BwLists);
