// Component tests in Chromium: rendering, attributes, DOM events and validation messages of each view.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../../client/components/bw-compose.js';
import '../../client/components/bw-invite.js';
import '../../client/components/bw-onboarding.js';
import '../../client/components/bw-post-list.js';
import type { BwCompose } from '../../client/components/bw-compose.js';
import type { BwInvite } from '../../client/components/bw-invite.js';
import type { BwOnboarding } from '../../client/components/bw-onboarding.js';
import type { BwPostList, PostView } from '../../client/components/bw-post-list.js';

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
    await el.updateComplete;
    expect(q<HTMLTextAreaElement>(el, 'textarea[name=my-code]').value).to.equal('bw1.abc.def');
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
  const posts: PostView[] = [
    { author: 'k1', authorName: 'Ada', seq: 2, ts: 2_000, body: 'second <b>not bold</b>', via: 'p2p', mine: false },
    { author: 'me', authorName: 'Me', seq: 1, ts: 1_000, body: 'mine', via: 'self', mine: true, delivery: { k1: 'direct', k2: 'relay' } },
  ];

  it('renders each post with author, escaped body, and how it travelled', async () => {
    const el = await fixture<BwPostList>(html`<bw-post-list .posts=${posts}></bw-post-list>`);
    const items = el.shadowRoot!.querySelectorAll('li[part=post]');
    expect(items.length).to.equal(2);
    expect(items[0]!.querySelector('[part=author]')!.textContent).to.equal('Ada');
    expect(items[0]!.querySelector('[part=body]')!.textContent).to.equal('second <b>not bold</b>');
    expect(items[0]!.querySelector('b')).to.equal(null);
    expect(items[0]!.getAttribute('data-via')).to.equal('p2p');
    expect(items[0]!.querySelector('[part=meta]')!.textContent).to.match(/received directly/);
    expect(items[1]!.querySelector('[part=meta]')!.textContent).to.match(/sent directly ×1, waiting on relay ×1/);
  });

  it('says when there is nothing yet', async () => {
    const el = await fixture<BwPostList>(html`<bw-post-list></bw-post-list>`);
    expect(el.shadowRoot!.textContent).to.match(/No posts yet/);
  });
});
