// <bw-feed>'s first-screen snapshot (client/first-screen.ts): painted before the store answers, replaced by the store's
// state, ignored when corrupt, and never shown over a database that holds no identity or another one.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../client/components/bw-feed.js';
import type { BwFeed } from '../../client/components/bw-feed.js';
import { searchWords } from '../../client/core/words.js';

const DEAD_RELAY = 'http://127.0.0.1:9'; // nothing listens: the relay is down, no traffic leaves loopback
const inner = (el: Element, sel: string) => el.shadowRoot!.querySelector(sel);
const freshDb = () => `test-${Math.random().toString(36).slice(2)}`;
const snapKey = (db: string) => `brainwaves:${db}:first-screen`;
const FRIEND = `${'F'.repeat(42)}A`; // a key's last base64url character carries 4 bits: A, not F
/** The text of every post card in the feed. */
const cards = (el: Element) => [...(inner(el, 'bw-post-list')?.shadowRoot?.querySelectorAll('bw-post') ?? [])].map((p) => p.textContent ?? '').join('\n');

/** Opens the raw IndexedDB of <bw-feed db-name=db>. */
const openRaw = (db: string) =>
  new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(`brainwaves:${db}`);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });

/** Writes or changes a friend's posts straight in the store (the app's schema: feed items keyed by `author:id`). */
async function putPosts(db: string, posts: { id: string; ts: number; text: string; deleted?: boolean }[]): Promise<void> {
  const idb = await openRaw(db);
  await new Promise<void>((resolve, reject) => {
    const tx = idb.transaction('items', 'readwrite');
    for (const p of posts) {
      const text = p.deleted ? '' : p.text;
      tx.objectStore('items').put({ key: `${FRIEND}:${p.id}`, author: FRIEND, id: p.id, kind: 'post', seq: p.ts, ts: p.ts, text, via: 'relay', received: p.ts, words: searchWords(text), ...(p.deleted && { deleted: p.ts }) });
    }
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  idb.close();
}

/**
 * Holds the store: a read-write transaction over every table the feed reads, kept alive until released, so the page's
 * reads queue behind it. What shows meanwhile can only come from the snapshot.
 */
async function holdStore(db: string): Promise<() => void> {
  const idb = await openRaw(db);
  const tx = idb.transaction([...idb.objectStoreNames], 'readwrite');
  let held = true;
  const spin = () => {
    if (held) tx.objectStore('meta').get('none').onsuccess = spin;
  };
  spin();
  return () => {
    held = false;
    tx.oncomplete = () => idb.close();
  };
}

/** A database with an identity (Sam) and three posts from a friend, whose feed has been shown once (so its snapshot is kept). */
async function shownOnce(): Promise<string> {
  const db = freshDb();
  const el = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${db}></bw-feed>`);
  await waitUntil(() => inner(el, 'bw-onboarding'), 'onboarding shows');
  const ob = inner(el, 'bw-onboarding')!.shadowRoot!;
  ob.querySelector('input')!.value = 'Sam';
  (ob.querySelector('button[type=submit]') as HTMLButtonElement).click();
  await waitUntil(() => inner(el, 'bw-post-list'), 'the identity is made');
  el.remove();
  await putPosts(db, [1, 2, 3].map((i) => ({ id: `p${i}`, ts: 1_000_000 + i * 1000, text: `kept post ${i}` })));
  const again = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${db}></bw-feed>`);
  await waitUntil(() => cards(again).includes('kept post 3'), 'the stored posts show');
  await waitUntil(() => localStorage.getItem(snapKey(db))?.includes('kept post 3'), 'the first screen is kept once the feed settles', { timeout: 5000 });
  again.remove();
  return db;
}

describe('<bw-feed> first-screen snapshot', () => {
  it('paints the first items before the store answers, then the store’s state replaces them (a post deleted since goes at once)', async () => {
    const db = await shownOnce();
    // Since then: post 3 was deleted and post 4 arrived (the snapshot still has the old first screen).
    await putPosts(db, [{ id: 'p3', ts: 1_003_000, text: '', deleted: true }, { id: 'p4', ts: 1_004_000, text: 'newer post 4' }]);
    const release = await holdStore(db);
    const el = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${db}></bw-feed>`);
    await waitUntil(() => cards(el).includes('kept post 3'), 'the snapshot’s cards show while the store is held');
    expect(cards(el)).to.include('kept post 1');
    expect(cards(el), 'nothing from the store yet').to.not.include('newer post 4');
    expect(inner(el, '.me')?.textContent, 'the frame comes from the snapshot too').to.include('Sam');
    const first = inner(el, 'bw-post-list')!.shadowRoot!.querySelector('bw-post[data-id=p1]');
    release();
    await waitUntil(() => cards(el).includes('newer post 4'), 'the store’s first page replaces the snapshot');
    expect(cards(el), 'the post deleted since is gone').to.not.include('kept post 3');
    expect(cards(el)).to.include('This post was deleted.');
    // A boolean: a failing equal() on a DOM element stalls Web Test Runner while it serializes the element.
    expect(inner(el, 'bw-post-list')!.shadowRoot!.querySelector('bw-post[data-id=p1]') === first, 'an unchanged card stays the same element (no jump)').to.equal(true);
    el.remove();
  });

  it('ignores a corrupt snapshot with a warning and paints from the store', async () => {
    const db = await shownOnce();
    const warn = console.warn;
    const warned: string[] = [];
    console.warn = (...a: unknown[]) => void warned.push(a.map(String).join(' '));
    try {
      for (const bad of ['not json', JSON.stringify({ v: 1, me: { key: 'short', name: 'Sam', fingerprint: '' } }), JSON.stringify({ v: 99 })]) {
        localStorage.setItem(snapKey(db), bad);
        warned.length = 0;
        const el = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${db}></bw-feed>`);
        await waitUntil(() => cards(el).includes('kept post 3'), `the store's posts show (${bad.slice(0, 20)})`);
        expect(warned.some((w) => w.includes('first-screen snapshot ignored')), `a warning names it (${bad.slice(0, 20)})`).to.equal(true);
        el.remove();
      }
    } finally {
      console.warn = warn;
    }
  });

  it('never shows a snapshot over a database without that identity, and forgets it (a restore starts clean)', async () => {
    const kept = localStorage.getItem(snapKey(await shownOnce()))!;
    const empty = freshDb(); // an emptied browser: the identity is gone, a snapshot of it is left
    localStorage.setItem(snapKey(empty), kept);
    const el = await fixture<BwFeed>(html`<bw-feed relay=${DEAD_RELAY} db-name=${empty}></bw-feed>`);
    await waitUntil(() => inner(el, 'bw-onboarding'), 'onboarding shows: there is no identity here');
    expect(cards(el)).to.equal('');
    expect(localStorage.getItem(snapKey(empty)), 'the snapshot is forgotten').to.equal(null);
    el.remove();
  });
});
