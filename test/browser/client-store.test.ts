// The ClientStore contract (test/cases/store-suite.ts) against the browser's Dexie store, in Chromium's IndexedDB.
import { expect } from '@open-wc/testing';
import { openDexieStore, openEarly } from '../../client/dexie-store.js';
import { storeCases } from '../cases/store-suite.js';
import { Dexie } from 'dexie';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { generateIdentity } from '../../shared/crypto/identity.js';
import { v1PostId } from '../../shared/crypto/content.js';
import { itemFromV1 } from '../../client/core/items.js';

let n = 0;
describe('Dexie ClientStore', () => {
  for (const c of storeCases) {
    it(c.what, async () => {
      const s = openDexieStore(`store-suite-${Date.now()}-${n++}`);
      try {
        await c.run(s);
      } finally {
        s.close();
      }
      expect(true).to.equal(true);
    });
  }
});

describe('Dexie schema upgrade', () => {
  it('a database from before content v2 (version 2) opens at version 3, and its posts become feed items', async () => {
    const name = `upgrade-${Date.now()}`;
    const old = new Dexie(`brainwaves:${name}`);
    old.version(1).stores({ identity: 'id', friends: 'key', posts: '[author+seq], ts, author', invites: 'token', outbox: '++id, to' });
    old.version(2).stores({ blocked: 'key' });
    const author = toB64u(generateIdentity('Ann').sigPub);
    const row = { author, seq: 3, ts: 30, body: 'from the old days', via: 'relay' as const, received: 31 };
    await old.table('posts').put(row);
    old.close();
    const s = openDexieStore(name);
    try {
      const items = await s.pagePosts(undefined, 10);
      expect(items).to.deep.equal([itemFromV1(row)]);
      expect(items[0]!.id).to.equal(v1PostId(fromB64u(author), 3));
      expect((await s.searchPosts('old days', 5)).length).to.equal(1);
      expect((await s.getPost(author, 3))?.body).to.equal('from the old days');
    } finally {
      s.close();
    }
  });
});

describe('Dexie early open', () => {
  it('a store opened early serves the next openDexieStore of that name; a later one opens its own', async () => {
    const name = `early-${Date.now()}`;
    openEarly(name);
    openEarly(`${name}-other`);
    const s = openDexieStore(name);
    try {
      await s.putMeta('readUpTo', 7);
      expect(await s.getMeta('readUpTo')).to.equal(7);
    } finally {
      s.close();
    }
    await Dexie.delete(`brainwaves:${name}-other`);
    const again = openDexieStore(name);
    try {
      expect(await again.getMeta('readUpTo')).to.equal(7, 'a later store of the name opens its own');
    } finally {
      again.close();
    }
  });
});
