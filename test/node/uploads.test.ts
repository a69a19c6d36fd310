// The upload rules as pure logic (signaling/uploads.ts): when an upload is due to be dropped, and what the ledger refuses.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BwError } from '../../shared/errors.js';
import { createUploadLedger, dueBy } from '../../signaling/uploads.js';

const rules = { perKeyBytes: 1000, totalBytes: 1500, minRate: 100, graceMs: 1000, idleMs: 30_000 };

describe('uploads', () => {
  test('dueBy: the grace plus what the bytes so far earn at the minimum rate, capped by the idle gap', () => {
    assert.equal(dueBy({ start: 0, got: 0 }, rules, 0), 1000, 'nothing sent: the grace alone');
    assert.equal(dueBy({ start: 0, got: 200 }, rules, 500), 3000, '200 bytes at 100 B/s earn 2 s');
    assert.equal(dueBy({ start: 0, got: 499 }, rules, 6000), 5990, 'a trickle falls behind its average');
    assert.equal(dueBy({ start: 0, got: 200 }, { ...rules, idleMs: 100 }, 500), 600, 'the longest gap between pieces');
    assert.ok(dueBy({ start: 0, got: 499 }, rules, 0) < 1000 + (500 / 100) * 1000, 'a 500-byte upload is done before the grace plus its size at the rate, or dropped');
  });

  test('the ledger: a key past its share and bytes past the relay-wide bound are busy; closing frees both', () => {
    const l = createUploadLedger(rules);
    l.open('a', 800);
    assert.throws(() => l.open('a', 300), (e) => e instanceof BwError && e.code === 'busy' && /800 bytes of unfinished uploads/.test(e.message));
    l.open('b', 900);
    l.receive(800);
    l.receive(700);
    assert.throws(() => l.receive(1), (e) => e instanceof BwError && e.code === 'busy');
    assert.throws(() => l.open('c', 10), (e) => e instanceof BwError && e.code === 'busy', 'the relay holds its whole bound');
    l.close('a', 800, 800);
    assert.equal(l.announced('a'), 0);
    l.open('c', 10);
    l.receive(800);
    assert.equal(l.announced('b'), 900);
  });
});
