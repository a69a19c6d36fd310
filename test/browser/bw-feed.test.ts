// <bw-feed> with its real Session and IndexedDB: onboarding, persistence, and a clear message when the relay is down.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../client/components/bw-feed.js';
import type { BwFeed } from '../../client/components/bw-feed.js';
import { Session } from '../../client/session.js';
import { searchWords } from '../../client/core/words.js';

// Port 9 on loopback: nothing listens, so the relay is "not running" (and no traffic leaves loopback).
const DEAD_RELAY = 'http://127.0.0.1:9';
const inner = (el: Element, sel: string) => el.shadowRoot!.querySelector(sel);
const freshDb = () => `test-${Math.random().toString(36).slice(2)}`;
/** My profile card's text (name, fingerprint) and my fingerprint, from inside <bw-profile part=me>. */
const meText = (el: Element) => inner(el, '[part=me]')?.shadowRoot?.textContent ?? '';
const myFingerprint = (el: Element) => inner(el, '[part=me]')!.shadowRoot!.querySelector('[part=fingerprint]')!.textContent;

/** A new visitor's <bw-feed> on its own database, through onboarding to a created identity. */
async function feedWithIdentity(name: string, db = freshDb()): Promise<BwFeed> {
  const el = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${db}></bw-feed>`);
  await waitUntil(() => inner(el, 'bw-onboarding'), 'onboarding shows for a new visitor');
  const ob = inner(el, 'bw-onboarding')!.shadowRoot!;
  ob.querySelector('input')!.value = name;
  (ob.querySelector('button[type=submit]') as HTMLButtonElement).click();
  await waitUntil(() => /\S/.test(meText(el)), 'identity is created');
  return el;
}

describe('<bw-feed>', () => {
  it('onboards, keeps the identity in IndexedDB across a reload, and says the relay is unreachable', async () => {
    const db = freshDb();
    const el = await feedWithIdentity('Ada', db);
    expect(meText(el)).to.match(/Ada/);
    await waitUntil(() => /relay unreachable at http:\/\/127\.0\.0\.1:9/.test(inner(el, '[part=status]')?.textContent ?? ''), 'says the relay is unreachable');
    expect(el.getAttribute('data-relay')).to.not.equal('connected');

    el.remove(); // a reload: a new element on the same database
    const again = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${db}></bw-feed>`);
    await waitUntil(() => /\S/.test(meText(again)), 'identity is loaded from IndexedDB');
    expect(meText(again)).to.match(/Ada/);
    again.remove();
  });

  it('a second <bw-feed> on the same identity waits, says so, and takes over when the first goes away', async () => {
    const db = freshDb();
    const first = await feedWithIdentity('Cy', db);
    const second = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${db}></bw-feed>`);
    await waitUntil(() => inner(second, '[part=elsewhere]'), 'the second one says the identity is open elsewhere');
    expect(inner(second, '[part=elsewhere]')!.textContent).to.match(/open in another tab/);
    expect(inner(second, '[part=me]'), 'and shows no feed of its own').to.equal(null);
    // Another identity's store is not held up by it.
    const other = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${freshDb()}></bw-feed>`);
    await waitUntil(() => inner(other, 'bw-onboarding'), 'a different database opens at once');
    other.remove();

    first.remove();
    await waitUntil(() => /\S/.test(meText(second)), 'the waiting one takes over once the first has closed');
    expect(meText(second)).to.match(/Cy/);
    expect(inner(second, '[part=elsewhere]')).to.equal(null);
    second.remove();
  });

  it('attributes set after the element is upgraded count: changing db-name reopens on the other store', async () => {
    const db = freshDb();
    const first = await feedWithIdentity('Eve', db);
    first.remove();
    const el = document.createElement('bw-feed') as BwFeed;
    el.setAttribute('relay', DEAD_RELAY);
    document.body.append(el); // upgraded and connected with db-name "default"…
    el.setAttribute('db-name', db); // …then given its store, as a page script or a framework would
    await waitUntil(() => /\S/.test(meText(el)), 'opens the store named after the upgrade, not "default"');
    expect(meText(el)).to.match(/Eve/);
    el.setAttribute('db-name', freshDb());
    await waitUntil(() => inner(el, 'bw-onboarding'), 'a new db-name reopens on that (empty) store');
    el.remove();
  });

  it('refuses a malformed invite code with a clear message', async () => {
    const el = await feedWithIdentity('Bo');
    const invite = inner(el, 'bw-invite')!;
    const paste = invite.shadowRoot!.querySelector('textarea[name=paste]') as HTMLTextAreaElement;
    paste.value = 'bw1.this-is-not.a-code';
    (invite.shadowRoot!.querySelector('button[name=accept]') as HTMLButtonElement).click();
    await waitUntil(() => invite.shadowRoot!.querySelector('[role=alert]'), 'an error is shown');
    expect(invite.shadowRoot!.querySelector('[role=alert]')!.textContent).to.match(/invite code/);
    el.remove();
  });

  it('exports a key backup and restores it in another store, with a clear error for a wrong passphrase', async () => {
    const el = await feedWithIdentity('Dee');
    const fingerprint = myFingerprint(el);
    const backup = inner(el, 'bw-backup')!;
    const pass = backup.shadowRoot!.querySelector('input[name=passphrase]') as HTMLInputElement;
    pass.value = 'short';
    (backup.shadowRoot!.querySelector('button[name=export]') as HTMLButtonElement).click();
    await waitUntil(() => backup.shadowRoot!.querySelector('[role=alert]'), 'a short passphrase is refused');
    pass.value = 'correct horse battery staple';
    (backup.shadowRoot!.querySelector('button[name=export]') as HTMLButtonElement).click();
    await waitUntil(() => backup.shadowRoot!.querySelector('textarea[name=backup]'), 'backup text is shown', { timeout: 10_000 });
    const text = (backup.shadowRoot!.querySelector('textarea[name=backup]') as HTMLTextAreaElement).value;
    expect(text).to.match(/^bwbackup2\./); // v2: keys, profile and friends
    expect(text).to.not.include('Dee'); // the name is inside the encryption
    el.remove();

    const other = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${freshDb()}></bw-feed>`);
    await waitUntil(() => inner(other, 'bw-onboarding'));
    const ob2 = inner(other, 'bw-onboarding')!.shadowRoot!;
    (ob2.querySelector('textarea[name=backup]') as HTMLTextAreaElement).value = text;
    (ob2.querySelector('input[name=passphrase]') as HTMLInputElement).value = 'wrong passphrase';
    (ob2.querySelector('button[name=import]') as HTMLButtonElement).click();
    await waitUntil(() => ob2.querySelector('[role=alert]'), 'wrong passphrase is reported', { timeout: 10_000 });
    expect(ob2.querySelector('[role=alert]')!.textContent).to.match(/passphrase/i);
    (ob2.querySelector('input[name=passphrase]') as HTMLInputElement).value = 'correct horse battery staple';
    (ob2.querySelector('button[name=import]') as HTMLButtonElement).click();
    await waitUntil(() => /\S/.test(meText(other)), 'identity restored', { timeout: 10_000 });
    expect(meText(other)).to.match(/Dee/);
    expect(myFingerprint(other)).to.equal(fingerprint);
    other.remove();
  });

  it('a restored identity numbers its posts past every number the lost browser used (old or new backup)', async () => {
    // The lost browser posts three times (no friends: nothing leaves it), and its key backup was made after the first.
    let clock = Date.UTC(2026, 0, 1);
    const now = () => clock;
    const lost = new Session({ relay: DEAD_RELAY, dbName: freshDb(), now });
    await lost.start();
    await lost.createIdentity('Eve');
    await lost.post('one');
    const backup = await lost.exportBackup('correct horse battery staple');
    await lost.post('two');
    const three = await lost.post('three');
    expect(three.seq).to.equal(3);
    lost.close();

    // Friends hold (Eve, 1..3): a restored post numbered 1, 2 or 3 would be dropped by them as a replay.
    clock += 60_000;
    const db = freshDb();
    const restoring = new Session({ relay: DEAD_RELAY, dbName: db, now });
    await restoring.start();
    await restoring.importIdentity(backup, 'correct horse battery staple');
    restoring.close(); // a reload before the first post: the floor is kept with the identity
    const restored = new Session({ relay: DEAD_RELAY, dbName: db, now });
    await restored.start();
    const first = await restored.post('after the restore');
    expect(first.seq, 'numbering restarted within what friends hold').to.be.above(three.seq);
    const second = await restored.post('and again');
    expect(second.seq).to.equal(first.seq + 1);
    restored.close();
  });

  it('pages past the newest 200 posts from IndexedDB and searches every stored post', async () => {
    const db = freshDb();
    (await feedWithIdentity('Pam', db)).remove();
    // 230 posts from a friend, written straight into the store (the app's schema: feed items keyed by `author:id`).
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(`brainwaves:${db}`);
      req.onsuccess = () => {
        const tx = req.result.transaction('items', 'readwrite');
        const author = 'F'.repeat(43);
        for (let i = 1; i <= 230; i++) {
          const text = i === 7 ? 'the needle' : `post ${i}`;
          tx.objectStore('items').put({ key: `${author}:p${i}`, author, id: `p${i}`, kind: 'post', seq: i, ts: 1_000_000 + i * 1000, text, via: 'relay', received: 1_000_000 + i * 1000, words: searchWords(text) });
        }
        tx.oncomplete = () => (req.result.close(), resolve());
        tx.onerror = () => reject(tx.error);
      };
      req.onerror = () => reject(req.error);
    });
    const el = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${db}></bw-feed>`);
    const list = () => inner(el, 'bw-post-list')!.shadowRoot!;
    await waitUntil(() => inner(el, 'bw-post-list')?.shadowRoot?.querySelector('bw-post'), 'the feed shows');
    expect(list().querySelectorAll('bw-post').length, 'a page at a time, not everything').to.be.below(60);
    for (let i = 0; i < 100 && list().querySelector('[part=more]'); i++) {
      (list().querySelector('[part=more]') as HTMLButtonElement).click();
      await new Promise((r) => requestAnimationFrame(r));
    }
    await waitUntil(() => list().querySelectorAll('bw-post').length === 230, 'every stored post, the older ones from session.feed() pages');
    expect(list().textContent).to.match(/That’s everything/);
    // At this width the side column (me, friends) shows beside the feed and stays in view down the whole feed.
    const side = inner(el, '.side') as HTMLElement;
    expect(getComputedStyle(side).display, 'the side column shows at this width').to.not.equal('none');
    window.scrollTo(0, document.documentElement.scrollHeight);
    await new Promise((r) => requestAnimationFrame(r));
    expect(window.scrollY, 'the page scrolled far down the feed').to.be.above(5000);
    const box = side.getBoundingClientRect();
    // Its own top on screen, not a box stretched down the feed's height that merely overlaps the viewport.
    expect(box.top >= 0 && box.bottom <= innerHeight, `the side column sits in view (top ${box.top}, bottom ${box.bottom})`).to.equal(true);
    window.scrollTo(0, 0);

    const search = inner(el, 'input[name=search]') as HTMLInputElement;
    search.value = 'NEEDLE';
    search.dispatchEvent(new Event('input'));
    await waitUntil(() => list().querySelectorAll('bw-post').length === 1, 'one post matches');
    expect(list().querySelector('bw-post')!.textContent).to.include('the needle');
    el.remove();
  });

  it('writes the unread count into the page title only when asked to (the embed leaves its host’s title alone)', async () => {
    const before = document.title;
    const el = await feedWithIdentity('Tia');
    expect(el.hasAttribute('title-unread')).to.equal(false);
    expect(document.title).to.equal(before);
    el.remove();
  });

  it('exposes no key material through its public surface', async () => {
    const el = await feedWithIdentity('Cy');
    // Everything reachable from the element's own enumerable properties: no 32-byte arrays, no "secret".
    const seen = new Set<unknown>();
    const walk = (v: unknown, depth: number): void => {
      if (depth > 6 || v === null || typeof v !== 'object' || seen.has(v) || v instanceof Node) return;
      seen.add(v);
      expect(v instanceof Uint8Array, 'no raw key bytes are reachable').to.equal(false);
      for (const k of Object.keys(v)) {
        expect(k.toLowerCase()).to.not.include('secret');
        walk((v as Record<string, unknown>)[k], depth + 1);
      }
    };
    walk(el, 0);
    el.remove();
  });
});
