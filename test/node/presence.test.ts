// Presence rules as pure logic (signaling/presence.ts), no sockets: who sees whom, and exactly which notes a change sends.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPresence } from '../../signaling/presence.js';

/** Connections are plain strings here: 'a1' is a connection of key 'A'. */
const setup = () => createPresence<string>();

describe('presence', () => {
  test('visibility needs the subject to consent: watching someone shows you to them, not them to you', () => {
    const p = setup();
    p.join('a1', 'A');
    p.join('b1', 'B');
    assert.deepEqual(p.watch('a1', { keys: ['B'] }), { online: [], notes: [] });
    assert.equal(p.canReach('A', 'B'), false);
    assert.equal(p.canReach('B', 'A'), true, 'A watches B, so A is visible to B');
    assert.deepEqual(p.watch('b1', { keys: ['A'] }), { online: ['A'], notes: [{ to: 'a1', key: 'B', online: true }] });
    assert.equal(p.canReach('A', 'B'), true);
    assert.equal(p.canReach('A', 'A'), false);
  });

  test('a second tab of the same key: its friends hear of it once, and of its departure only when the last tab leaves', () => {
    const p = setup();
    p.join('a1', 'A');
    p.watch('a1', { keys: ['B'] });
    p.join('b1', 'B');
    assert.deepEqual(p.watch('b1', { keys: ['A'] }).notes, [{ to: 'a1', key: 'B', online: true }]);
    assert.deepEqual(p.join('b2', 'B'), []);
    assert.deepEqual(p.watch('b2', { keys: ['A'] }).notes, []);
    assert.deepEqual(p.leave('b1'), []);
    assert.equal(p.canReach('A', 'B'), true);
    assert.deepEqual(p.leave('b2'), [{ to: 'a1', key: 'B', online: false }]);
    assert.equal(p.canReach('A', 'B'), false);
    assert.equal(p.onlineKeys(), 1);
  });

  test('an invite tag links holder and inviter whichever declares first, and the link ends with the invite', () => {
    const p = setup();
    p.join('i1', 'I');
    p.join('h1', 'H');
    p.watch('i1', { keys: [], accept: ['t'] });
    assert.deepEqual(p.watch('h1', { keys: ['I'], present: ['t'] }), { online: ['I'], notes: [] }, 'the reply tells the holder; no note repeats it');
    assert.equal(p.canReach('H', 'I'), true);
    // The friend request arrives; the inviter now watches the holder and drops the invite: no flicker for the holder.
    assert.deepEqual(p.watch('i1', { keys: ['H'] }).notes, []);
    assert.equal(p.canReach('H', 'I'), true);
    // Declared the other way round, the inviter's accept is what tells the holder.
    const q = setup();
    q.join('h1', 'H');
    q.join('i1', 'I');
    q.watch('h1', { keys: ['I'], present: ['t'] });
    assert.deepEqual(q.watch('i1', { keys: [], accept: ['t'] }).notes, [{ to: 'h1', key: 'I', online: true }]);
    assert.deepEqual(q.watch('i1', { keys: [] }).notes, [{ to: 'h1', key: 'I', online: false }], 'an invite withdrawn hides the inviter again');
  });

  test('notes go only to connections watching the subject, never to the one that made the change', () => {
    const p = setup();
    p.join('a1', 'A');
    p.join('a2', 'A');
    p.watch('a1', { keys: ['B'] });
    p.watch('a2', { keys: [] }); // a second tab of A that does not watch B
    p.join('b1', 'B');
    assert.deepEqual(p.watch('b1', { keys: ['A'] }).notes, [{ to: 'a1', key: 'B', online: true }]);
    assert.deepEqual(p.watch('b1', { keys: [] }).notes, [{ to: 'a1', key: 'B', online: false }]);
  });

  test('leaving clears every index: a rejoin starts from nothing', () => {
    const p = setup();
    p.join('a1', 'A');
    p.watch('a1', { keys: ['B'], accept: ['t'], present: ['u'] });
    p.leave('a1');
    p.join('b1', 'B');
    assert.deepEqual(p.watch('b1', { keys: ['A'], present: ['t'] }).online, []);
    assert.equal(p.socketsOf('A').size, 0);
    assert.equal(p.onlineKeys(), 1);
  });
});
