// Presence rules as pure logic (signaling/presence.ts), no sockets: who sees whom, and exactly which notes a change sends.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPresence } from '../../signaling/presence.js';

/** Connections are plain strings here: 'a1' is a connection of key 'A'. */
const setup = () => createPresence<string>();
/** What a watch tells: the reply and the notes, without its work count. */
const seen = ({ online, notes }: { online: string[]; notes: unknown[] }) => ({ online, notes });

describe('presence', () => {
  test('visibility needs the subject to consent: watching someone shows you to them, not them to you', () => {
    const p = setup();
    p.join('a1', 'A');
    p.join('b1', 'B');
    assert.deepEqual(seen(p.watch('a1', { keys: ['B'] })), { online: [], notes: [] });
    assert.equal(p.canReach('A', 'B'), false);
    assert.equal(p.canReach('B', 'A'), true, 'A watches B, so A is visible to B');
    assert.deepEqual(seen(p.watch('b1', { keys: ['A'] })), { online: ['A'], notes: [{ to: 'a1', key: 'B', online: true }] });
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
    assert.deepEqual(seen(p.watch('h1', { keys: ['I'], present: ['t'] })), { online: ['I'], notes: [] }, 'the reply tells the holder; no note repeats it');
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

  test('the tag cap: a tag already presented (or accepted) by the cap of connections takes no more, and the others may still replace their lists', () => {
    const p = createPresence<string>({ tagCap: 2 });
    for (const c of ['a1', 'b1', 'c1', 'd1']) p.join(c, c.toUpperCase());
    p.watch('a1', { keys: [], present: ['t'] });
    p.watch('b1', { keys: [], present: ['t'] });
    assert.match(p.refuse('c1', { keys: [], present: ['t'] }) ?? '', /2 connections already present/);
    assert.equal(p.refuse('a1', { keys: ['X'], present: ['t'] }), undefined, 'a connection already filed under the tag keeps its place');
    assert.equal(p.refuse('c1', { keys: [], accept: ['t'] }), undefined, 'accepting is counted apart from presenting');
    p.watch('c1', { keys: [], accept: ['t'] });
    p.watch('d1', { keys: [], accept: ['t'] });
    assert.match(p.refuse('a1', { keys: [], accept: ['t'] }) ?? '', /2 connections already accept/);
  });

  test("a change's work is what it declares, not how many others watch or present the same keys and tags", () => {
    const workOf = (others: number) => {
      const p = createPresence<string>({ tagCap: 16 });
      const keys = Array.from({ length: 100 }, (_, i) => `K${i}`);
      const tags = Array.from({ length: 10 }, (_, i) => `t${i}`);
      for (let i = 0; i < others; i++) {
        p.join(`o${i}`, `O${i % 7}`);
        p.watch(`o${i}`, { keys, accept: i < 8 ? tags : [] });
      }
      p.join('x1', 'X');
      p.watch('x1', { keys: [], present: tags });
      return [p.watch('x1', { keys: [], present: [] }).work, p.watch('x1', { keys, present: tags }).work];
    };
    assert.deepEqual(workOf(8), workOf(500));
    assert.deepEqual(workOf(8), [80, 180], 'unfiling 10 tags × 8 acceptors; filing 100 keys and 10 tags × 8 acceptors');
  });

  test('random joins, watches and leaves: visibility, notes and consenting connections match a brute-force reading of the rule', () => {
    // A small seeded generator, so a failure names its seed and replays.
    for (let seed = 1; seed <= 40; seed++) {
      let x = seed;
      const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
      const KEYS = ['A', 'B', 'C', 'D'];
      const TAGS = ['t', 'u', 'v'];
      const pick = <T,>(xs: readonly T[]) => xs.filter(() => rnd(3) === 0);
      const p = setup();
      /** The reference: what every live connection declared. */
      const live = new Map<string, { key: string; keys: string[]; accept: string[]; present: string[] }>();
      const visible = (S: string, V: string) =>
        S !== V &&
        [...live.values()].some((c) => c.key === S && (c.keys.includes(V) || c.accept.some((t) => [...live.values()].some((q) => q.key === V && q.present.includes(t)))));
      const snapshot = () => new Map(KEYS.flatMap((S) => KEYS.map((V) => [`${S}>${V}`, visible(S, V)] as const)));
      const expectedNotes = (by: string, before: Map<string, boolean>) => {
        const out: string[] = [];
        for (const S of KEYS)
          for (const V of KEYS) {
            const now = visible(S, V);
            if (before.get(`${S}>${V}`) === now) continue;
            for (const [id, c] of live) if (id !== by && c.key === V && c.keys.includes(S)) out.push(`${id}:${S}:${now}`);
          }
        return out.sort();
      };
      const asText = (notes: { to: string; key: string; online: boolean }[]) => notes.map((n) => `${n.to}:${n.key}:${n.online}`).sort();
      for (let step = 0; step < 60; step++) {
        const id = `${KEYS[rnd(4)]}${rnd(3)}`;
        const before = snapshot();
        let notes;
        if (!live.has(id)) {
          notes = p.join(id, id[0]!);
          live.set(id, { key: id[0]!, keys: [], accept: [], present: [] });
        } else if (rnd(5) === 0) {
          live.delete(id);
          notes = p.leave(id);
        } else {
          const list = { keys: pick(KEYS), accept: pick(TAGS), present: pick(TAGS) };
          live.set(id, { key: id[0]!, ...list });
          const r = p.watch(id, list);
          notes = r.notes;
          assert.deepEqual(r.online.sort(), list.keys.filter((k) => visible(k, id[0]!)).sort(), `seed ${seed} step ${step}: online`);
        }
        assert.deepEqual(asText(notes), expectedNotes(id, before), `seed ${seed} step ${step}: notes`);
        for (const S of KEYS)
          for (const V of KEYS) {
            assert.equal(p.canReach(V, S), visible(S, V), `seed ${seed} step ${step}: canReach(${V}, ${S})`);
            const consenting = [...live].filter(([, c]) => c.key === S && visible(S, V) && (c.keys.includes(V) || c.accept.some((t) => [...live.values()].some((q) => q.key === V && q.present.includes(t))))).map(([cid]) => cid);
            assert.deepEqual([...p.socketsOf(S)].filter((c) => p.consents(c, V)).sort(), consenting.sort(), `seed ${seed} step ${step}: consents(·, ${V}) among ${S}'s`);
          }
      }
    }
  });
});
