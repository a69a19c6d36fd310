// Component tests in Chromium: rendering, attributes, DOM events and validation messages of each view.
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../client/components/bw-compose.js';
import '../../client/components/bw-invite.js';
import '../../client/components/bw-onboarding.js';
import '../../client/components/bw-post-list.js';
import '../../client/components/bw-post.js';
import type { BwCompose } from '../../client/components/bw-compose.js';
import type { BwInvite } from '../../client/components/bw-invite.js';
import type { BwOnboarding } from '../../client/components/bw-onboarding.js';
import { FIRST, RUN, type BwPostList } from '../../client/components/bw-post-list.js';
import type { BwPost } from '../../client/components/bw-post.js';
import type { FeedItem } from '../../client/core/feed-view.js';

const q = <T extends Element = HTMLElement>(el: Element, sel: string) => el.shadowRoot!.querySelector(sel) as T;

function type(el: HTMLTextAreaElement | HTMLInputElement, text: string) {
  el.value = text;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('<bw-compose>', () => {
  it('counts down from 280 by code points and fires bw-compose with the text', async () => {
    const el = await fixture<BwCompose>(html`<bw-compose></bw-compose>`);
    type(q<HTMLTextAreaElement>(el, 'textarea'), 'hi 👋');
    await el.updateComplete;
    expect(q(el, '[part=counter]').textContent).to.equal('276');
    setTimeout(() => q<HTMLButtonElement>(el, 'button[name=post]').click());
    const ev = await oneEvent(el, 'bw-compose');
    expect(ev.detail).to.deep.equal({ body: 'hi 👋' });
    expect(ev.composed, 'crosses shadow roots').to.equal(true);
    await el.updateComplete;
    expect(q<HTMLTextAreaElement>(el, 'textarea').value).to.equal('');
  });

  it('disables posting when over 280 characters or empty, and when disabled', async () => {
    const el = await fixture<BwCompose>(html`<bw-compose></bw-compose>`);
    const button = q<HTMLButtonElement>(el, 'button[name=post]');
    expect(button.disabled).to.equal(true);
    type(q<HTMLTextAreaElement>(el, 'textarea'), 'x'.repeat(281));
    await el.updateComplete;
    expect(button.disabled).to.equal(true);
    expect(q(el, '[part=counter]').textContent).to.equal('-1');
    type(q<HTMLTextAreaElement>(el, 'textarea'), 'x'.repeat(280));
    await el.updateComplete;
    expect(button.disabled).to.equal(false);
    el.disabled = true;
    await el.updateComplete;
    expect(button.disabled).to.equal(true);
  });

  it('keeps the text when the host cancels the event', async () => {
    const el = await fixture<BwCompose>(html`<bw-compose @bw-compose=${(e: Event) => e.preventDefault()}></bw-compose>`);
    type(q<HTMLTextAreaElement>(el, 'textarea'), 'keep me');
    await el.updateComplete;
    q<HTMLButtonElement>(el, 'button[name=post]').click();
    await el.updateComplete;
    expect(q<HTMLTextAreaElement>(el, 'textarea').value).to.equal('keep me');
  });
});

describe('<bw-invite>', () => {
  it('asks for an invite and shows the code it is given', async () => {
    const el = await fixture<BwInvite>(html`<bw-invite></bw-invite>`);
    setTimeout(() => q<HTMLButtonElement>(el, 'button[name=make]').click());
    await oneEvent(el, 'bw-request-invite');
    el.code = 'bw1.abc.def';
    el.link = 'https://bw.example/#invite=bw1.abc.def';
    await el.updateComplete;
    expect(q<HTMLInputElement>(el, 'input[name=invite-link]').value, 'the link, one line').to.equal('https://bw.example/#invite=bw1.abc.def');
    expect(q(el, 'textarea[name=my-code]'), 'no wall of base64').to.equal(null);
    expect(q(el, 'button[name=copy]').textContent).to.match(/Copy link/);
    const qr = q(el, 'bw-qr') as HTMLElement & { value: string; updateComplete: Promise<boolean> };
    expect(qr.value).to.equal('https://bw.example/#invite=bw1.abc.def');
    // Drawn once the generator's chunk is loaded (client/qr-libs.ts).
    await waitUntil(() => qr.shadowRoot!.querySelector('svg[role=img]'), 'the QR code is drawn');
    expect(qr.shadowRoot!.querySelector('svg[role=img]')!.getAttribute('aria-label')).to.match(/QR code/);
  });

  it('fires bw-accept-invite with the pasted code, and says so when nothing was pasted', async () => {
    const el = await fixture<BwInvite>(html`<bw-invite></bw-invite>`);
    q<HTMLButtonElement>(el, 'button[name=accept]').click();
    await el.updateComplete;
    expect(q(el, '[role=alert]').textContent).to.match(/Paste/);
    type(q<HTMLTextAreaElement>(el, 'textarea[name=paste]'), '  bw1.x.y  ');
    setTimeout(() => q<HTMLButtonElement>(el, 'button[name=accept]').click());
    const ev = await oneEvent(el, 'bw-accept-invite');
    expect(ev.detail).to.deep.equal({ code: 'bw1.x.y' });
  });

  it('shows the error attribute it is given and pre-fills from initial', async () => {
    const el = await fixture<BwInvite>(html`<bw-invite error="invite code is garbled" initial="bw1.pre.filled"></bw-invite>`);
    expect(q(el, '[role=alert]').textContent).to.equal('invite code is garbled');
    expect(q<HTMLTextAreaElement>(el, 'textarea[name=paste]').value).to.equal('bw1.pre.filled');
  });
});

describe('<bw-onboarding>', () => {
  it('refuses an empty name with a message, then fires bw-create-identity', async () => {
    const el = await fixture<BwOnboarding>(html`<bw-onboarding></bw-onboarding>`);
    q<HTMLButtonElement>(el, 'button[type=submit]').click();
    await el.updateComplete;
    expect(q(el, '[role=alert]').textContent).to.match(/display name/);
    type(q<HTMLInputElement>(el, 'input'), ' Ada ');
    setTimeout(() => q<HTMLButtonElement>(el, 'button[type=submit]').click());
    const ev = await oneEvent(el, 'bw-create-identity');
    expect(ev.detail).to.deep.equal({ name: 'Ada' });
  });
});

describe('<bw-post-list>', () => {
  const person = (key: string, name: string) => ({ key, name, verified: true, friend: key !== 'me' });
  const item = (over: Partial<FeedItem> & Pick<FeedItem, 'id' | 'ts' | 'body'>): FeedItem => ({
    author: person('k1', 'Ada'), deleted: false, mine: false, reactions: [], photos: [], via: 'p2p', replies: [], unread: false, received: over.ts, ...over,
  });
  const posts: FeedItem[] = [
    item({ id: 'k1:2', ts: 2_000, body: 'second <b>not bold</b>' }),
    item({ id: 'me:1', ts: 1_000, body: 'mine', author: person('me', 'Me'), mine: true, via: 'self', delivery: { k1: 'direct', k2: 'relay' } }),
  ];
  const cards = (el: Element) => [...el.shadowRoot!.querySelectorAll('bw-post')] as BwPost[];
  // A card renders into its own children (no shadow root: see BwPost.createRenderRoot).
  const inCard = (c: BwPost, sel: string) => c.querySelector(sel) as HTMLElement;

  it('renders each post with author, escaped body, and how it travelled', async () => {
    const el = await fixture<BwPostList>(html`<bw-post-list .items=${posts}></bw-post-list>`);
    const items = cards(el);
    expect(items.length).to.equal(2);
    await Promise.all(items.map((c) => c.updateComplete));
    expect(inCard(items[0]!, '[part=author]').textContent).to.equal('Ada');
    expect(inCard(items[0]!, '[part=body]').textContent).to.equal('second <b>not bold</b>');
    expect(inCard(items[0]!, '[part=body] b')).to.equal(null);
    expect(items[0]!.getAttribute('data-via')).to.equal('p2p');
    expect(inCard(items[0]!, '[part=meta]').textContent).to.match(/received directly/);
    expect(inCard(items[1]!, '[part=meta]').textContent).to.match(/sent directly ×1, waiting on relay ×1/);
    const time = inCard(items[0]!, 'time');
    expect(time.getAttribute('datetime')).to.equal(new Date(2_000).toISOString());
    expect(time.getAttribute('title'), 'the full date on hover').to.not.equal('');
  });

  it('styles its cards from its own shadow root: a card adds no shadow root, nor does its avatar', async () => {
    // Chromium's style update walks every shadow root with style sheets each time one is added: one per card made a
    // long scroll slow down with the cards loaded (bench/feed-profile.ts).
    const el = await fixture<BwPostList>(html`<bw-post-list .items=${posts}></bw-post-list>`);
    const card = cards(el)[0]!;
    await card.updateComplete;
    expect(card.shadowRoot === null && card.querySelector('bw-avatar') === null, 'no shadow root in the card').to.equal(true);
    expect(getComputedStyle(inCard(card, 'article')).borderTopStyle, 'the card is styled all the same').to.equal('solid');
    expect(getComputedStyle(inCard(card, '[part=avatar]')).borderTopLeftRadius).to.equal('50%');
  });

  it('says when there is nothing yet', async () => {
    const el = await fixture<BwPostList>(html`<bw-post-list></bw-post-list>`);
    expect(el.shadowRoot!.textContent).to.match(/No posts yet/);
  });

  it('holds others’ new posts behind a "N new posts" pill while the reader is away from the top, and shows them on click', async () => {
    // The list starts below a screenful of the host page: its top is out of view.
    const wrap = await fixture<HTMLDivElement>(html`<div><div class="tall"></div><bw-post-list live .items=${posts}></bw-post-list></div>`);
    wrap.querySelector<HTMLElement>('.tall')!.style.height = '3000px';
    const el = wrap.querySelector('bw-post-list') as BwPostList;
    await waitUntil(() => !el.atTop, 'the list knows its top is out of view');
    el.items = [item({ id: 'k1:3', ts: 3_000, body: 'newer' }), ...posts];
    await el.updateComplete;
    expect(cards(el).length, 'the list does not jump').to.equal(2);
    const pill = el.shadowRoot!.querySelector('[part=new-posts]') as HTMLButtonElement;
    expect(pill.textContent).to.match(/1 new post/);
    pill.click();
    await el.updateComplete;
    expect(cards(el).length).to.equal(3);
    await waitUntil(() => el.atTop, 'and it scrolled the list top into view');
    expect(el.shadowRoot!.querySelector('[part=new-posts]')).to.equal(null);
  });

  it('renders a page at a time and asks for older posts at the end', async () => {
    const many = Array.from({ length: 45 }, (_, i) => item({ id: `k1:${i}`, ts: 100_000 - i, body: `post ${i}` }));
    const el = await fixture<BwPostList>(html`<bw-post-list has-more .items=${many}></bw-post-list>`);
    expect(cards(el).length).to.equal(FIRST);
    const more = () => (el.shadowRoot!.querySelector('[part=more]') as HTMLButtonElement).click();
    for (let i = 0; i < 4; i++) {
      more();
      await el.updateComplete;
    }
    expect(cards(el).length).to.equal(45);
    setTimeout(more);
    const ev = await oneEvent(el, 'bw-more');
    expect(ev.detail).to.deep.equal({ before: 100_000 - 44 });
  });

  it('on the clock’s tick re-renders only the runs of cards whose relative time changed', async () => {
    const now = Date.now();
    const fresh = item({ id: 'k1:fresh', ts: now - 60_000, body: 'fresh' });
    const old = Array.from({ length: RUN + 9 }, (_, i) => item({ id: `k1:${i}`, ts: now - 3 * 86_400_000 - i, body: `old ${i}` }));
    const el = await fixture<BwPostList>(html`<bw-post-list .items=${[fresh, ...old]}></bw-post-list>`);
    while (cards(el).length < RUN + 10) {
      (el.shadowRoot!.querySelector('[part=more]') as HTMLButtonElement).click();
      await el.updateComplete;
    }
    // The list's own warm-up (localized times, on an idle moment) ticks the clock once: past it before counting.
    await new Promise((r) => requestIdleCallback(r, { timeout: 1500 }));
    await el.updateComplete;
    await Promise.all(cards(el).map((c) => c.updateComplete));
    const card = cards(el).find((c) => c.item.id === 'k1:fresh')!;
    const before = inCard(card, 'time').textContent;
    const proto = customElements.get('bw-post')!.prototype as BwPost;
    const render = proto.render;
    const rendered: string[] = [];
    proto.render = function (this: BwPost) {
      rendered.push(this.item.id);
      return render.call(this);
    };
    try {
      el._now = now + 3 * 60_000;
      await el.updateComplete;
      await Promise.all(cards(el).map((c) => c.updateComplete));
    } finally {
      proto.render = render;
    }
    expect(inCard(card, 'time').textContent, 'the fresh post’s time moved on').to.not.equal(before);
    expect(rendered.length, `the first run only, not ${RUN + 10} cards: ${rendered.join(' ')}`).to.equal(RUN);
  });

  it('a card keeps its open thread and reply draft while posts are added above it and the list grows below it', async () => {
    const many = Array.from({ length: 30 }, (_, i) => item({ id: `k1:${i}`, ts: 100_000 - i, body: `post ${i}` }));
    const el = await fixture<BwPostList>(html`<bw-post-list has-more .items=${many}></bw-post-list>`);
    const card = cards(el).find((c) => c.item.id === 'k1:5')!;
    await card.updateComplete;
    inCard(card, 'button[name=thread]').click();
    await card.updateComplete;
    type(inCard(card, 'textarea[name=reply]') as HTMLTextAreaElement, 'half a thought');
    el.items = [...Array.from({ length: 25 }, (_, i) => item({ id: `k1:new${i}`, ts: 200_000 - i, body: `newer ${i}` })), ...many];
    await el.updateComplete;
    (el.shadowRoot!.querySelector('[part=more]') as HTMLButtonElement).click();
    await el.updateComplete;
    const after = cards(el).find((c) => c.item.id === 'k1:5');
    // Compared as a boolean: a failed assertion holding an element never reaches the runner (Web Test Runner hangs
    // serializing the element's object graph for the diff).
    expect(after === card, 'the same card element, not a new one').to.equal(true);
    expect(card.open).to.equal(true);
    expect((inCard(card, 'textarea[name=reply]') as HTMLTextAreaElement).value).to.equal('half a thought');
  });
});

describe('<bw-post>', () => {
  const ada = { key: 'k1', name: 'Ada Lovelace', verified: true, friend: true };
  const me = { key: 'me', name: 'Me', verified: true, friend: false };
  const base: FeedItem = {
    id: 'k1:1', author: ada, ts: Date.now() - 3 * 60_000, body: 'hello', deleted: false, mine: false, via: 'p2p', unread: false, received: Date.now(), photos: [],
    reactions: [{ emoji: '❤️', count: 2, mine: true, who: [me, { ...ada, key: 'k2', name: 'Bo' }] }],
    replies: [{ id: 'me:5', author: me, ts: Date.now() - 60_000, body: 'hi back', deleted: false, mine: true, reactions: [] }],
  };
  const q2 = (el: Element, sel: string) => el.querySelector(sel) as HTMLElement;

  it('shows a relative time, initials without a picture, reaction counts with who reacted, and a collapsed thread', async () => {
    const el = await fixture<BwPost>(html`<bw-post .item=${base}></bw-post>`);
    expect(q2(el, 'time').textContent).to.match(/3 min/);
    expect(q2(el, '[part=avatar]').textContent!.trim()).to.equal('AL');
    expect(q2(el, '[part=avatar]').getAttribute('aria-label')).to.equal('Ada Lovelace');
    const chip = q2(el, '[part=reaction]');
    expect(chip.textContent).to.match(/❤️ 2/);
    expect(chip.getAttribute('aria-label')).to.match(/Me and Bo/);
    expect(chip.getAttribute('aria-pressed')).to.equal('true');
    expect(q2(el, '[part=thread]'), 'collapsed to a count').to.equal(null);
    expect(q2(el, 'button[name=thread]').textContent).to.match(/1 reply/);
  });

  it('opens the thread and fires bw-reply; reacting and taking back fire bw-react', async () => {
    const el = await fixture<BwPost>(html`<bw-post .item=${base}></bw-post>`);
    q2(el, 'button[name=thread]').click();
    await el.updateComplete;
    expect(q2(el, '[part=thread]').textContent).to.match(/hi back/);
    type(q2(el, 'textarea[name=reply]') as HTMLTextAreaElement, 'a reply');
    await el.updateComplete;
    setTimeout(() => q2(el, 'button[name=send-reply]').click());
    expect((await oneEvent(el, 'bw-reply')).detail).to.deep.equal({ parent: 'k1:1', body: 'a reply' });

    setTimeout(() => q2(el, '[part=reaction]').click());
    expect((await oneEvent(el, 'bw-react')).detail, 'my own reaction: taken back').to.deep.equal({ post: 'k1:1', emoji: null });
    (el.querySelector('button[aria-label="Add a reaction"]') as HTMLButtonElement).click();
    await el.updateComplete;
    setTimeout(() => (el.querySelector('[aria-label="Pick a reaction"] button[aria-label="party"]') as HTMLButtonElement).click());
    expect((await oneEvent(el, 'bw-react')).detail).to.deep.equal({ post: 'k1:1', emoji: '🎉' });
  });

  it('my post has Edit and Delete; others have no menu; a deleted post says so', async () => {
    const other = await fixture<BwPost>(html`<bw-post .item=${base}></bw-post>`);
    expect(other.querySelector('button[aria-label="More options for this post"]')).to.equal(null);
    const el = await fixture<BwPost>(html`<bw-post .item=${{ ...base, id: 'me:2', author: me, mine: true, via: 'self', delivery: {} }}></bw-post>`);
    q2(el, 'button[aria-label="More options for this post"]').click();
    await el.updateComplete;
    const edit = [...el.querySelectorAll('button')].find((b) => b.textContent === 'Edit')!;
    edit.click();
    await el.updateComplete;
    type(q2(el, 'textarea[aria-label="Edit your post"]') as HTMLTextAreaElement, 'hello, edited');
    setTimeout(() => [...el.querySelectorAll('button')].find((b) => b.textContent === 'Save')!.click());
    expect((await oneEvent(el, 'bw-edit')).detail).to.deep.equal({ post: 'me:2', body: 'hello, edited' });

    const gone = await fixture<BwPost>(html`<bw-post .item=${{ ...base, deleted: true, body: '' }}></bw-post>`);
    expect(q2(gone, '[part=body]').textContent).to.match(/deleted/);
    const edited = await fixture<BwPost>(html`<bw-post .item=${{ ...base, edited: Date.now() }}></bw-post>`);
    expect(edited.textContent).to.match(/edited/);
  });

  it('shows photos as a grid and opens one full size in a modal dialog', async () => {
    const dot = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
    const ref = { id: 'A'.repeat(43), key: 'A'.repeat(43), mime: 'image/webp' as const, w: 4, h: 3, bytes: 100, alt: 'a cat' };
    const el = await fixture<BwPost>(html`<bw-post .item=${{ ...base, photos: [{ ref, thumbUrl: dot, fullUrl: dot, state: 'ready' }] }}></bw-post>`);
    const open = el.querySelector('[part=photos] button') as HTMLButtonElement;
    expect(open.getAttribute('aria-label')).to.equal('Open photo 1 of 1: a cat');
    open.click();
    await el.updateComplete;
    const dialog = el.querySelector('dialog') as HTMLDialogElement;
    expect(dialog.open).to.equal(true);
    dialog.close(); // what Escape or its Close button does
    await waitUntil(() => !el.querySelector('dialog'), 'the dialog goes once closed');
  });
});
