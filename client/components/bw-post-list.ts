// Owns <bw-post-list>: a pure view of posts, newest first, with author, time and delivery state.
import { LitElement, css, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { theme } from './theme.js';

export interface PostView {
  author: string;
  authorName: string;
  seq: number;
  ts: number;
  body: string;
  via: string;
  mine: boolean;
  delivery?: Record<string, string>;
}

const LABELS: Record<string, string> = { direct: 'sent directly', relay: 'waiting on relay', queued: 'queued on this device', delivered: 'delivered' };

function deliveryText(d: Record<string, string> | undefined): string {
  const vals = Object.values(d ?? {});
  if (!vals.length) return 'only you (no friends yet)';
  const counts = new Map<string, number>();
  for (const v of vals) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${LABELS[k] ?? k}${vals.length > 1 ? ` ×${n}` : ''}`).join(', ');
}

/**
 * @csspart post - one post
 * @csspart author - the author's name
 * @csspart body - the post's text
 * @csspart meta - time and delivery line
 */
export class BwPostList extends LitElement {
  static override properties = { posts: { attribute: false } };
  static override styles = [theme, css`
    ol { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
    li { background: var(--_surface); border-radius: var(--_radius); padding: 10px 12px; }
    .body { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; }
  `];
  declare posts: PostView[];

  constructor() {
    super();
    this.posts = [];
  }

  override render() {
    if (!this.posts.length) return html`<p class="muted">No posts yet.</p>`;
    return html`<ol>${repeat(this.posts, (p) => `${p.author}:${p.seq}`, (p) => html`
      <li part="post" data-author=${p.author} data-seq=${p.seq} data-via=${p.via}>
        <strong part="author">${p.authorName}</strong>
        <div part="body" class="body">${p.body}</div>
        <div part="meta" class="muted"><time datetime=${new Date(p.ts).toISOString()}>${new Date(p.ts).toLocaleString()}</time>
          · ${p.mine ? deliveryText(p.delivery) : p.via === 'p2p' ? 'received directly' : 'received via relay'}</div>
      </li>`)}</ol>`;
  }
}
customElements.get('bw-post-list') || customElements.define('bw-post-list', BwPostList);
