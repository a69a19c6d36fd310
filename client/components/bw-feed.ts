// Owns <bw-feed>: the embeddable BrainWaves client (identity, friends, compose, feed) for any page, one tag.
import { LitElement, css, html, type PropertyValues } from 'lit';
import { isBwError } from '../../shared/errors.js';
import { inviteLink } from '../../shared/crypto/invite.js';
import { SessionController } from '../controllers/session-controller.js';
import type { PostEvent, SessionState } from '../session.js';
import { theme } from './theme.js';
import { fire } from './events.js';
import './bw-onboarding.js';
import './bw-invite.js';
import './bw-compose.js';
import './bw-post-list.js';
import './bw-backup.js';

const message = (e: unknown) => (isBwError(e) ? e.message : `Something went wrong: ${(e as Error)?.message ?? e}`);

/**
 * The whole client in one element. Keys stay inside: no property, attribute or event exposes them.
 *
 * @attr relay - relay base URL, e.g. `https://relay.example:8787`; empty = this page's origin
 * @attr db-name - local database name (default `default`); distinct names keep identities apart
 * @attr invite - an invite code or link to pre-fill (the page passes `#invite=` from its URL)
 * @attr invite-base - the page invite links open (default: the relay's own page)
 * @attr no-direct - never connect directly (friends do not learn this browser's IP); posts go via the relay
 * @event bw-post - `{ author, authorName, seq, ts, body, via }` a friend's post arrived
 * @event bw-status - `{ relay, direct, friends }` connection status changed
 * @csspart status - the connection status line
 * @csspart me - my name and fingerprint
 * @csspart friends - the friends list
 * @cssprop --bw-color-accent, --bw-color-text, --bw-color-muted, --bw-color-background, --bw-color-surface, --bw-color-danger, --bw-radius, --bw-gap, --bw-font-family
 */
export class BwFeed extends LitElement {
  static override properties = {
    relay: { type: String },
    dbName: { type: String, attribute: 'db-name' },
    noDirect: { type: Boolean, attribute: 'no-direct' },
    inviteBase: { type: String, attribute: 'invite-base' },
    invite: { type: String },
    _inviteCode: { state: true },
    _inviteError: { state: true },
    _notice: { state: true },
    _error: { state: true },
    _busy: { state: true },
    _backup: { state: true },
    _backupError: { state: true },
  };
  static override styles = [theme, css`
    :host { display: block; background: var(--_bg); }
    section { display: grid; gap: var(--_gap); padding: var(--_gap); }
    .status { display: flex; gap: 12px; flex-wrap: wrap; font-size: 0.85em; padding: 6px var(--_gap); background: var(--_surface); }
    .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--_danger); margin-right: 4px; }
    .dot.connected { background: #2e7d32; }
    .dot.connecting { background: #f9a825; }
    details { background: var(--_surface); border-radius: var(--_radius); padding: 8px 12px; }
    ul { margin: 4px 0; padding-left: 18px; }
    code { font-size: 0.85em; }
    button.small { padding: 2px 8px; font-size: 0.8em; background: transparent; color: var(--_muted); border: 1px solid color-mix(in srgb, var(--_muted) 40%, transparent); }
  `];
  declare relay: string;
  declare dbName: string;
  declare noDirect: boolean;
  declare inviteBase: string;
  declare invite: string;
  declare _inviteCode: string;
  declare _inviteError: string;
  /** Key of the friend whose invite I just accepted; the notice shown is #noticeText(). */
  declare _notice: string;
  declare _error: string;
  declare _busy: boolean;
  declare _backup: string;
  declare _backupError: string;
  #lastStatus = '';

  readonly #ctl = new SessionController(this, () => ({ relay: this.relay, dbName: this.dbName, direct: !this.noDirect }), (e) => this.#onPost(e));

  constructor() {
    super();
    this.relay = '';
    this.dbName = 'default';
    this.noDirect = false;
    this.inviteBase = '';
    this.invite = '';
    this._inviteCode = '';
    this._inviteError = '';
    this._notice = '';
    this._error = '';
    this._busy = false;
    this._backup = '';
    this._backupError = '';
  }

  readonly #onPost = (e: Event) => {
    const { post } = (e as CustomEvent<PostEvent>).detail;
    const name = this.#ctl.state?.friends.find((f) => f.key === post.author)?.name ?? '';
    fire(this, 'bw-post', { author: post.author, authorName: name, seq: post.seq, ts: post.ts, body: post.body, via: post.via });
  };

  protected override updated(_: PropertyValues): void {
    const s = this.#ctl.state;
    if (!s) return;
    const key = `${s.relay}/${s.direct}/${s.friends.length}`;
    if (key !== this.#lastStatus) {
      this.#lastStatus = key;
      this.setAttribute('data-relay', s.relay);
      this.setAttribute('data-direct', String(s.direct));
      fire(this, 'bw-status', { relay: s.relay, direct: s.direct, friends: s.friends.length });
    }
  }

  async #run(fn: () => Promise<void>, onError: (m: string) => void) {
    this._busy = true;
    try {
      await fn();
    } catch (e) {
      if (!isBwError(e)) console.error(e);
      onError(message(e));
    } finally {
      this._busy = false;
    }
  }

  #create = (e: CustomEvent<{ name: string }>) =>
    this.#run(async () => {
      this._error = '';
      await this.#ctl.session!.createIdentity(e.detail.name);
    }, (m) => (this._error = m));

  #import = (e: CustomEvent<{ backup: string; passphrase: string }>) =>
    this.#run(async () => {
      this._error = '';
      await this.#ctl.session!.importIdentity(e.detail.backup, e.detail.passphrase);
    }, (m) => (this._error = m));

  #export = (e: CustomEvent<{ passphrase: string }>) =>
    this.#run(async () => {
      this._backupError = '';
      await new Promise((r) => setTimeout(r)); // let "Encrypting…" paint before scrypt holds the thread
      this._backup = this.#ctl.session!.exportBackup(e.detail.passphrase);
    }, (m) => (this._backupError = m));

  #friendAction = (e: Event) => {
    const button = (e.target as HTMLElement).closest('button[data-action]');
    const key = button?.closest('li')?.getAttribute('data-key');
    if (!button || !key) return;
    const action = button.getAttribute('data-action');
    const name = this.#ctl.state?.friends.find((f) => f.key === key)?.name ?? 'this friend';
    const question = action === 'block' ? `Block ${name}? They are removed and cannot befriend you again unless you accept their invite.` : `Remove ${name}? They will not be able to read anything you post from now on.`;
    if (!confirm(question)) return;
    return this.#run(() => (action === 'block' ? this.#ctl.session!.block(key) : this.#ctl.session!.unfriend(key)), (m) => (this._inviteError = m));
  };

  #makeInvite = () =>
    this.#run(async () => {
      this._inviteCode = await this.#ctl.session!.createInvite();
    }, (m) => (this._inviteError = m));

  #accept = (e: CustomEvent<{ code: string }>) => {
    this._inviteError = '';
    this._notice = '';
    return this.#run(async () => {
      const { key } = await this.#ctl.session!.acceptInvite(e.detail.code);
      this._notice = key;
      this.invite = '';
    }, (m) => (this._inviteError = m));
  };

  #compose = (e: CustomEvent<{ body: string }>) => {
    e.preventDefault(); // keep the text until the post is stored
    const box = e.target as HTMLElement & { _text: string };
    return this.#run(async () => {
      this._error = '';
      await this.#ctl.session!.post(e.detail.body);
      box._text = '';
    }, (m) => (this._error = m));
  };

  #inviteLink(code: string): string {
    return inviteLink(code, this.inviteBase || new URL('/', this.relay || location.origin).href);
  }

  /** The notice after accepting an invite follows that friend's state: it changes once they have answered. */
  #noticeText(friends: SessionState['friends']): string {
    const f = this._notice ? friends.find((x) => x.key === this._notice) : undefined;
    if (!f) return '';
    return f.status === 'mutual' ? `You and ${f.name} are friends now.` : `${f.name} added. You are friends once they are online.`;
  }

  override render() {
    if (this.#ctl.error) return html`<section><div class="error" role="alert">${this.#ctl.error}</div></section>`;
    const s = this.#ctl.state;
    if (s?.elsewhere) return html`<section part="elsewhere" role="status">BrainWaves is open in another tab of this browser. This tab takes over when that one closes.</section>`;
    if (!s?.ready) return html`<section class="muted">Loading…</section>`;
    if (!s.me) return html`<section><bw-onboarding .error=${this._error} ?busy=${this._busy} @bw-create-identity=${this.#create} @bw-import-identity=${this.#import}></bw-onboarding></section>`;
    const relayText = { connected: 'Relay connected', connecting: 'Connecting to relay…', offline: 'Relay offline' }[s.relay];
    return html`
      <div part="status" class="status" role="status">
        <span><span class="dot ${s.relay}"></span>${relayText}</span>
        <span>${s.direct} friend${s.direct === 1 ? '' : 's'} connected directly</span>
        ${s.relay !== 'connected' && s.relayDetail ? html`<span class="error">${s.relayDetail}</span>` : null}
      </div>
      <section>
        <div part="me"><strong>${s.me.name}</strong> <span class="muted">fingerprint <code>${s.me.fingerprint}</code></span></div>
        <details class="friends" ?open=${s.friends.length === 0}>
          <summary>Friends (${s.friends.length})</summary>
          <ul part="friends" @click=${this.#friendAction}>${s.friends.map((f) => html`<li data-key=${f.key} data-status=${f.status} data-online=${f.online}>
            ${f.name} · ${f.direct ? 'connected directly' : f.online ? 'online' : 'offline'}${f.status === 'pending' ? ' · waiting for them to accept' : ''}
            <button class="small" data-action="remove" title="Remove friend">Remove</button>
            <button class="small" data-action="block" title="Block">Block</button>
            <div class="muted">safety number <code>${f.safetyNumber}</code> — compare it with ${f.name} in person or on a call</div></li>`)}</ul>
          <bw-invite .code=${this._inviteCode} .link=${this._inviteCode ? this.#inviteLink(this._inviteCode) : ''} .error=${this._inviteError} .notice=${this.#noticeText(s.friends)} .initial=${this.invite}
            @bw-request-invite=${this.#makeInvite} @bw-accept-invite=${this.#accept}></bw-invite>
        </details>
        <details>
          <summary>Key backup</summary>
          <bw-backup .backup=${this._backup} .error=${this._backupError} ?busy=${this._busy} @bw-export-backup=${this.#export}></bw-backup>
        </details>
        <bw-compose ?disabled=${this._busy} @bw-compose=${this.#compose}></bw-compose>
        ${this._error ? html`<div class="error" role="alert">${this._error}</div>` : null}
        <bw-post-list .posts=${s.posts}></bw-post-list>
      </section>`;
  }
}
customElements.get('bw-feed') || customElements.define('bw-feed', BwFeed);
