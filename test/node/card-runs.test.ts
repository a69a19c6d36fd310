// The feed list's runs of cards (client/components/card-runs.ts): a card keeps its run as the list grows at either end.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cardRuns, nextRuns, type Run } from '../../client/components/card-runs.js';

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `p${from + i}`);
const same = (s: string) => s;
/** The runs as arrays of ids, for comparing. */
const shape = (r: ReturnType<typeof cardRuns<string>>) => r.runs.map((x) => x.items);

describe('cardRuns', () => {
  test('a first list is cut into runs of `size` from the top', () => {
    const r = cardRuns(ids(0, 7), same, new Map(), 3);
    assert.deepEqual(shape(r), [['p0', 'p1', 'p2'], ['p3', 'p4', 'p5'], ['p6']]);
  });

  test('appended cards fill the last run, then start new ones; no card changes run', () => {
    const a = cardRuns(ids(0, 4), same, new Map(), 3);
    const b = cardRuns(ids(0, 9), same, a.runOf, 3);
    assert.deepEqual(shape(b), [['p0', 'p1', 'p2'], ['p3', 'p4', 'p5'], ['p6', 'p7', 'p8']]);
    for (const [id, run] of a.runOf) assert.equal(b.runOf.get(id), run, `${id} kept its run`);
  });

  test('cards put above the top get runs of their own above it (new posts shown): the old runs stay as they were', () => {
    const a = cardRuns(ids(10, 14), same, new Map(), 3);
    const b = cardRuns([...ids(5, 10), ...ids(10, 14)], same, a.runOf, 3);
    assert.deepEqual(shape(b), [['p5', 'p6', 'p7'], ['p8', 'p9'], ['p10', 'p11', 'p12'], ['p13']]);
    for (const [id, run] of a.runOf) assert.equal(b.runOf.get(id), run, `${id} kept its run`);
    const keys = b.runs.map((r) => r.key);
    assert.deepEqual(keys, [...keys].sort((x, y) => x - y), 'run keys rise down the list');
  });

  test('a card that turns up between known ones joins the run before it; a removed card leaves its run', () => {
    const a = cardRuns(['a', 'b', 'c', 'd', 'e'], same, new Map(), 2);
    const b = cardRuns(['a', 'b', 'x', 'c', 'e'], same, a.runOf, 2);
    assert.deepEqual(shape(b), [['a', 'b', 'x'], ['c'], ['e']]);
    assert.equal(b.runOf.has('d'), false, 'gone ids are forgotten');
  });

  test('reordered cards start the runs over instead of repeating a run key', () => {
    const a = cardRuns(['a', 'b', 'c', 'd'], same, new Map(), 2);
    const b = cardRuns(['d', 'c', 'b', 'a'], same, a.runOf, 2);
    assert.deepEqual(shape(b), [['d', 'c'], ['b', 'a']]);
    assert.equal(new Set(b.runs.map((r) => r.key)).size, b.runs.length);
  });
});

describe('nextRuns', () => {
  /** Cards as objects (the list compares them by identity), with their ids. */
  const cards = (names: string[]) => names.map((id) => ({ id }));
  type Card = { id: string };
  const idOf = (c: Card) => c.id;
  const names = (runs: Run<Card>[]) => runs.map((r) => [r.key, r.items.map(idOf).join(' ')]);

  test('cards appended: the full runs are kept as they were, and not one card is looked at again (no id asked)', () => {
    const a = nextRuns(cards(ids(0, 5)), idOf, [], 3);
    let asked = 0;
    const grown = [...a.flatMap((r) => r.items), ...cards(ids(5, 8))];
    const b = nextRuns(grown, (c) => (asked++, c.id), a, 3);
    assert.equal(asked, 0);
    assert.deepEqual(names(b), [[0, 'p0 p1 p2'], [1, 'p3 p4 p5'], [2, 'p6 p7']]);
    assert.equal(b[0], a[0], 'the full first run: the same object');
    assert.notEqual(b[1]!.items, a[1]!.items, 'the run that grew: a new array');
    assert.deepEqual(a[1]!.items.map(idOf), ['p3', 'p4'], 'and the old one is left as it was');
    assert.equal(nextRuns(grown, idOf, b, 3), b, 'the same cards again: the same runs');
  });

  test('a card changed in place (a new object, same id) keeps its run, and only its run is new', () => {
    const list = cards(ids(0, 6));
    const a = nextRuns(list, idOf, [], 3);
    const edited = list.map((c) => (c.id === 'p4' ? { id: 'p4' } : c));
    const b = nextRuns(edited, idOf, a, 3);
    assert.equal(b[0], a[0]);
    assert.notEqual(b[1], a[1]);
    assert.deepEqual(names(b), names(a));
  });

  test('agrees with cardRuns over a long random mix of appends, posts above the top, inserts, edits, removals and reorders', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let next = 0;
    const fresh = (n: number) => cards(Array.from({ length: n }, () => `c${next++}`));
    let list: Card[] = fresh(5);
    let runs = nextRuns(list, idOf, [], 4);
    let runOf = cardRuns(list, idOf, new Map(), 4).runOf;
    for (let step = 0; step < 400; step++) {
      const op = rand(10);
      if (op < 5) list = [...list, ...fresh(1 + rand(5))];
      else if (op === 5) list = [...fresh(1 + rand(3)), ...list];
      else if (op === 6 && list.length) (list = [...list]).splice(rand(list.length), 0, ...fresh(1));
      else if (op === 7 && list.length) {
        const at = rand(list.length);
        list = list.map((c, i) => (i === at ? { id: c.id } : c));
      }
      else if (op === 8 && list.length > 1) (list = [...list]).splice(rand(list.length), 1);
      else if (op === 9 && rand(8) === 0) list = [...list].reverse();
      const want = cardRuns(list, idOf, runOf, 4);
      runOf = want.runOf;
      const got = nextRuns(list, idOf, runs, 4);
      assert.deepEqual(names(got), names(want.runs), `step ${step} (op ${op})`);
      for (const r of got) {
        const old = runs.find((o) => o.key === r.key);
        const same = old !== undefined && old.items.length === r.items.length && old.items.every((x, i) => x === r.items[i]);
        assert.equal(r === old, same, `step ${step}: run ${r.key} kept exactly when its cards are the same`);
      }
      runs = got;
    }
  });
});
