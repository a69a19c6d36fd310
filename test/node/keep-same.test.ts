// Keeping unchanged view-model objects identical across updates (client/components/keep-same.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { keepSame, sameData } from '../../client/components/keep-same.js';

interface Item {
  id: string;
  body: string;
  author: { key: string; name: string; avatarUrl?: string };
  replies: { id: string; body: string }[];
}
const item = (id: string, over: Partial<Item> = {}): Item => ({ id, body: `post ${id}`, author: { key: 'k1', name: 'Ada' }, replies: [], ...over });
const byId = (i: Item) => i.id;

describe('sameData', () => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['equal primitives', 1, 1, true],
    ['NaN equals NaN', NaN, NaN, true],
    ['different strings', 'a', 'b', false],
    ['equal nested objects', { a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }, true],
    ['a nested field differs', { a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] }, false],
    ['an extra key', { a: 1 }, { a: 1, b: undefined }, false],
    ['same count, other keys', { a: 1, b: undefined }, { a: 1, c: undefined }, false],
    ['array against object', [], {}, false],
    ['arrays of other lengths', [1], [1, 2], false],
    ['null against object', null, {}, false],
  ];
  for (const [name, a, b, want] of cases) test(name, () => assert.equal(sameData(a, b), want, name));
});

describe('keepSame', () => {
  test('items whose data is unchanged are the previous objects; a changed one is the new object', () => {
    const first = keepSame([item('a'), item('b'), item('c')], new Map(), byId);
    const next = [item('a'), item('b', { body: 'edited' }), item('c', { author: { key: 'k1', name: 'Ada', avatarUrl: 'blob:1' } })];
    const second = keepSame(next, first.byId, byId, first.items);
    assert.equal(second.items[0], first.items[0], 'a: unchanged, same object');
    assert.equal(second.items[1], next[1], 'b: edited, the new object');
    assert.equal(second.items[2], next[2], 'c: its author’s avatar arrived, the new object');
  });

  test('a page appended at the end leaves the earlier items identical', () => {
    const first = keepSame([item('a'), item('b')], new Map(), byId);
    const second = keepSame([item('a'), item('b'), item('c')], first.byId, byId, first.items);
    assert.deepEqual(second.items.map((x, i) => x === first.items[i]), [true, true, false]);
  });

  test('when nothing changed the previous array itself comes back; gone ids are forgotten', () => {
    const first = keepSame([item('a'), item('b')], new Map(), byId);
    const again = keepSame([item('a'), item('b')], first.byId, byId, first.items);
    assert.equal(again.items, first.items);
    const fewer = keepSame([item('b')], again.byId, byId, again.items);
    assert.deepEqual([...fewer.byId.keys()], ['b']);
    assert.equal(fewer.items[0], first.items[1]);
  });
});
