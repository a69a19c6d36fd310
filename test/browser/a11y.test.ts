// Accessibility in Chromium: axe-core audits of the main screens in light and dark, and the feed driven by keyboard alone.
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import 'axe-core/axe.min.js'; // registers window.axe
import type { AxeResults, RunOptions } from 'axe-core';
import '../../client/components/bw-feed.js';
import '../../client/components/bw-post-list.js';
import type { BwFeed } from '../../client/components/bw-feed.js';
import type { BwPostList } from '../../client/components/bw-post-list.js';
import type { FeedItem } from '../../client/core/feed-view.js';

const DEAD_RELAY = 'http://127.0.0.1:9';
const inner = (el: Element, sel: string) => el.shadowRoot!.querySelector(sel);
const freshDb = () => `a11y-${Math.random().toString(36).slice(2)}`;
const axe = () => (window as unknown as { axe: { run(el: Element, o: RunOptions): Promise<AxeResults> } }).axe;

/** Runs axe on an element (shadow roots included) and fails listing every serious or critical violation. */
async function audit(el: Element, screen: string): Promise<void> {
  const res = await axe().run(el, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' >>> ')}: ${n.failureSummary}`).join('\n  ')}`).join('\n');
  expect(bad, `${screen}: serious or critical axe violations:\n${text}`).to.deep.equal([]);
}

/** The element that has focus, looking inside shadow roots. */
function deepActive(): Element | null {
  let a = document.activeElement;
  while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
  return a;
}

/** Presses Tab (at most `max` times) until the focused element matches; fails if it never does. */
async function tabTo(match: (el: Element) => boolean, what: string, max = 40): Promise<Element> {
  for (let i = 0; i < max; i++) {
    await sendKeys({ press: 'Tab' });
    const a = deepActive();
    if (a && match(a)) return a;
  }
  throw new Error(`Tab never reached ${what}`);
}

async function feedWithIdentity(name: string): Promise<BwFeed> {
  const el = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${freshDb()}></bw-feed>`);
  await waitUntil(() => inner(el, 'bw-onboarding'), 'onboarding shows');
  const ob = inner(el, 'bw-onboarding')!.shadowRoot!;
  ob.querySelector<HTMLInputElement>('input[name=name]')!.value = name;
  ob.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
  await waitUntil(() => inner(el, 'bw-compose'), 'identity created');
  return el;
}

const tab = (el: BwFeed, t: string) => (inner(el, `nav button[data-tab=${t}]`) as HTMLButtonElement).click();

/** A thread with everything a card can show: photos, reactions, replies (one deleted), an edit, unread. */
function richItems(): FeedItem[] {
  const ada = { key: 'k1', name: 'Ada', verified: true, friend: true, online: true };
  const me = { key: 'me', name: 'Me', verified: true, friend: false };
  const dot = 'data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=';
  const ref = { id: 'A'.repeat(43), key: 'A'.repeat(43), mime: 'image/webp' as const, w: 4, h: 3, bytes: 100, alt: 'a cat on a sofa' };
  return [
    { id: 'k1:2', author: ada, ts: Date.now() - 120_000, body: 'Look at this', deleted: false, mine: false, via: 'p2p', unread: true, received: Date.now(), edited: Date.now() - 60_000,
      photos: [{ ref, thumbUrl: dot, fullUrl: dot, state: 'ready' }, { ref: { ...ref, alt: undefined }, state: 'loading' }],
      reactions: [{ emoji: '❤️', count: 2, mine: true, who: [me, ada] }, { emoji: '🎉', count: 1, mine: false, who: [ada] }],
      replies: [{ id: 'me:3', author: me, ts: Date.now() - 30_000, body: 'Lovely', deleted: false, mine: true, reactions: [] },
        { id: 'k1:4', author: ada, ts: Date.now() - 20_000, body: '', deleted: true, mine: false, reactions: [] }] },
    { id: 'me:1', author: me, ts: Date.now() - 3_600_000, body: 'Mine, to close friends', deleted: false, mine: true, via: 'self', unread: false, received: Date.now() - 3_600_000, photos: [],
      reactions: [], replies: [], delivery: { k1: 'delivered' }, audience: { list: 'Close friends', to: [ada] } },
  ];
}

for (const scheme of ['light', 'dark'] as const) {
  describe(`accessibility audit (${scheme})`, () => {
    before(() => emulateMedia({ colorScheme: scheme }));
    after(() => emulateMedia({ colorScheme: 'light' }));

    it('onboarding, empty feed, feed with posts, profile and invite have no serious or critical violation', async () => {
      const el = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${freshDb()}></bw-feed>`);
      await waitUntil(() => inner(el, 'bw-onboarding'), 'onboarding shows');
      await audit(el, 'onboarding');
      el.remove();

      const feed = await feedWithIdentity('Ada');
      await audit(feed, 'empty feed');
      const compose = inner(feed, 'bw-compose')!.shadowRoot!;
      const ta = compose.querySelector('textarea')!;
      ta.value = 'A first post';
      ta.dispatchEvent(new Event('input'));
      await (inner(feed, 'bw-compose') as HTMLElement & { updateComplete: Promise<boolean> }).updateComplete;
      compose.querySelector<HTMLButtonElement>('button[name=post]')!.click();
      await waitUntil(() => inner(feed, 'bw-post-list')?.shadowRoot?.querySelector('bw-post'), 'the post shows');
      await audit(feed, 'feed with posts');
      tab(feed, 'profile');
      await audit(feed, 'profile');
      tab(feed, 'friends');
      await feed.updateComplete;
      (inner(feed, 'bw-invite')!.shadowRoot!.querySelector('button[name=make]') as HTMLButtonElement).click();
      await waitUntil(() => inner(feed, 'bw-invite')!.shadowRoot!.querySelector('bw-qr'), 'the invite link and QR code show');
      await audit(feed, 'invite');
      feed.remove();
    });

    it('a thread with photos, reactions, replies and an open reply box has no serious or critical violation', async () => {
      const list = await fixture<BwPostList>(html`<bw-post-list .items=${richItems()}></bw-post-list>`);
      const card = list.shadowRoot!.querySelector('bw-post') as HTMLElement & { open: boolean; updateComplete: Promise<boolean> };
      card.open = true;
      await card.updateComplete;
      await audit(list, 'thread');
    });
  });
}

describe('keyboard only', () => {
  it('composes, posts, opens the thread, replies and reacts with Tab, typing and Enter', async () => {
    const el = await feedWithIdentity('Kay');
    (document.activeElement as HTMLElement | null)?.blur();
    await tabTo((a) => a.matches('textarea[name=body]'), 'the compose box');
    await sendKeys({ type: 'typed, not clicked' });
    await tabTo((a) => a.matches('button[name=post]'), 'the Post button');
    await sendKeys({ press: 'Enter' });
    const list = () => inner(el, 'bw-post-list')!.shadowRoot!;
    await waitUntil(() => list().querySelector('bw-post')?.textContent?.includes('typed, not clicked'), 'the post shows');

    await tabTo((a) => a.matches('button[name=thread]'), 'the post’s Reply button');
    await sendKeys({ press: 'Enter' });
    await tabTo((a) => a.matches('textarea[name=reply]'), 'the reply box');
    await sendKeys({ type: 'a reply by keyboard' });
    await tabTo((a) => a.matches('button[name=send-reply]'), 'the Reply button');
    setTimeout(() => void sendKeys({ press: 'Enter' }));
    expect((await oneEvent(el, 'bw-reply')).detail.body).to.equal('a reply by keyboard');

    // Back up to the post's reactions: Shift+Tab to "Add a reaction", Enter opens the picker, Tab to a heart, Enter.
    for (let i = 0; i < 10 && deepActive()?.getAttribute('aria-label') !== 'Add a reaction'; i++) {
      await sendKeys({ down: 'Shift' });
      await sendKeys({ press: 'Tab' });
      await sendKeys({ up: 'Shift' });
    }
    expect(deepActive()?.getAttribute('aria-label')).to.equal('Add a reaction');
    await sendKeys({ press: 'Enter' });
    await tabTo((a) => a.getAttribute('aria-label') === 'heart', 'the heart in the picker', 3);
    setTimeout(() => void sendKeys({ press: 'Enter' }));
    expect((await oneEvent(el, 'bw-react')).detail.emoji).to.equal('❤️');
    el.remove();
  });
});
