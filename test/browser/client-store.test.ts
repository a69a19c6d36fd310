// The ClientStore contract (test/cases/store-suite.ts) against the browser's Dexie store, in Chromium's IndexedDB.
import { expect } from '@open-wc/testing';
import { openDexieStore } from '../../client/dexie-store.js';
import { storeCases } from '../cases/store-suite.js';

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
