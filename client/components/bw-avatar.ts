// Owns <bw-avatar>: a person's picture, or their initials on a colour of their key, with an optional online dot.
import { LitElement, css, html } from 'lit';
import { hueOf, initials } from './format.js';

/**
 * The circle and dot inside an avatar (shared by <bw-avatar> and avatarInline). The picture is rounded itself rather
 * than clipped by the circle (`overflow: hidden` on a rounded box): that clip split every card's paint in the feed into
 * more pieces for the browser to record, layer and raster on each frame of a scroll, and initials do not need it.
 */
const inner = css`
  .c { display: grid; place-items: center; width: 100%; height: 100%; border-radius: 50%; color: #fff;
    font: 600 calc(var(--_s) * 0.4) / 1 system-ui, sans-serif; user-select: none; }
  .c img { width: 100%; height: 100%; object-fit: cover; border-radius: 50%; }
  .h0 { background: #6a3fc8; } .h1 { background: #0b6e99; } .h2 { background: #b0305a; } .h3 { background: #2f7a3c; }
  .h4 { background: #a8470a; } .h5 { background: #3b5bdb; } .h6 { background: #4b5563; } .h7 { background: #0f766e; }
  .dot { position: absolute; right: -1px; bottom: -1px; width: calc(var(--_s) * 0.28); height: calc(var(--_s) * 0.28);
    min-width: 9px; min-height: 9px; border-radius: 50%; background: #8a8a93; border: 2px solid var(--bw-color-background, #fff); box-sizing: border-box; }
  .dot.on { background: #22a447; }
  @media (prefers-color-scheme: dark) { .dot { border-color: var(--bw-color-background, #121215); } }
`;

/** What an avatar draws: the circle (picture or initials) and, when `online` is given, the dot. */
function avatarParts(name: string, key: string, src: string, online: string | null | undefined) {
  const status = online === null || online === undefined ? '' : online === 'false' ? ', offline' : ', online';
  return html`<span part="avatar" class="c h${hueOf(key || name)}" role="img" aria-label="${name}${status}">${src
    ? html`<img src=${src} alt="" />`
    : initials(name)}</span>${status ? html`<span part="dot" class="dot ${online === 'false' ? '' : 'on'}"></span>` : null}`;
}

/**
 * Styles for avatarInline, for a component that includes them in its own `styles`. A component that draws many
 * avatars (a post card) draws them inline: each <bw-avatar> is a shadow root with a style sheet of its own, and
 * Chromium's style update walks every such root in the page each time one is added (the feed's scroll added thousands).
 * Not `position: relative` as <bw-avatar> is: an inline avatar has no dot to place, and a positioned box is a paint
 * layer of its own, one more per card.
 */
export const avatarStyles = css`
  .av { display: inline-block; flex: none; width: var(--_s); height: var(--_s); --_s: 40px; }
  .av.s28 { --_s: 28px; } .av.s32 { --_s: 32px; }
  ${inner}
`;

/** An avatar as markup in the caller's shadow root (needs avatarStyles there); `size` 40 (default), 32 or 28 px. */
export const avatarInline = (name: string, key: string, src = '', size: 40 | 32 | 28 = 40) =>
  html`<span class="av s${size}">${avatarParts(name, key, src, undefined)}</span>`;

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
    ${inner}
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
    return avatarParts(this.name, this.key, this.src, this.online);
  }
}
customElements.get('bw-avatar') || customElements.define('bw-avatar', BwAvatar);
