// The feed list's runs of cards (client/components/card-runs.ts): a card keeps its run as the list grows at either end.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cardRuns, keepRunItems } from '../../client/components/card-runs.js';

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

  test('keepRunItems: a run holding the same items keeps its array; a run that changed gets the new one', () => {
    const a = cardRuns(ids(0, 5), same, new Map(), 3);
    const kept = keepRunItems(a.runs, new Map());
    const b = cardRuns(ids(0, 7), same, a.runOf, 3);
    keepRunItems(b.runs, kept);
    assert.equal(b.runs[0]!.items, a.runs[0]!.items, 'the full first run: same array');
    assert.notEqual(b.runs[1]!.items, a.runs[1]!.items, 'the second run grew: a new array');
    assert.deepEqual(shape(b), [['p0', 'p1', 'p2'], ['p3', 'p4', 'p5'], ['p6']]);
  });
});
