// The first-screen snapshot's shape (shared/first-screen.ts) and how a settled feed becomes one (client/first-screen.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { FIRST_SCREEN_ITEMS, FirstScreenSchema } from '../../shared/first-screen.js';
import { firstScreenOf } from '../../client/first-screen.js';
import type { ClientState } from '../../client/core/context.js';
import type { FeedItem } from '../../client/core/feed-view.js';

const ME = `${'M'.repeat(42)}A`;
const ANN = `${'N'.repeat(42)}A`;
const state: ClientState = {
  ready: true,
  me: { key: ME, name: 'Mo', fingerprint: 'ab12 cd34' },
  friends: [{ key: ANN, name: 'Ann', status: 'mutual', online: true, direct: true, safetyNumber: '123', devices: [] }],
  blocked: [],
  posts: [],
  unread: 3,
  lists: [{ id: 'list1', name: 'Close', members: [ANN] }],
  relay: 'connected',
  direct: 1,
};
const person = (key: string, name: string) => ({ key, name, verified: true, friend: key !== ME });
const item = (i: number, over: Partial<FeedItem> = {}): FeedItem => ({
  id: `post${i}`,
  author: { ...person(ANN, 'Ann'), avatarUrl: 'blob:http://x/1' },
  ts: 1_000 + i,
  body: `post ${i}`,
  deleted: false,
  mine: false,
  reactions: [{ emoji: '❤️', count: 1, mine: true, who: [person(ME, 'Mo')] }],
  photos: [],
  via: 'p2p',
  replies: [{ id: `reply${i}`, author: person(ME, 'Mo'), ts: 2_000 + i, body: 'hi', deleted: false, mine: true, reactions: [] }],
  unread: true,
  received: 1_000 + i,
  ...over,
});

describe('first-screen snapshot', () => {
  test('a settled feed’s snapshot passes its schema: the first items, the frame, no object URLs, no presence', () => {
    const snap = firstScreenOf(state, Array.from({ length: 30 }, (_, i) => item(i)), false)!;
    const parsed = v.parse(FirstScreenSchema, JSON.parse(JSON.stringify(snap)));
    assert.equal(parsed.items.length, FIRST_SCREEN_ITEMS);
    assert.equal(parsed.more, true, 'items beyond the snapshot’s count follow it');
    assert.deepEqual(parsed.friends, [{ key: ANN, name: 'Ann', status: 'mutual' }], 'no online, direct or safety number');
    assert.equal(JSON.stringify(snap).includes('blob:'), false, 'object URLs die with the page: not kept');
  });

  test('without an identity there is no snapshot', () => assert.equal(firstScreenOf({ ...state, me: undefined }, [item(1)], false), undefined));

  const bad: [string, (s: Record<string, unknown>) => unknown][] = [
    ['another version', (s) => ({ ...s, v: 2 })],
    ['a key that is not one', (s) => ({ ...s, me: { ...(s.me as object), key: 'short' } })],
    ['more items than a screen', (s) => ({ ...s, items: Array.from({ length: FIRST_SCREEN_ITEMS + 1 }, () => (s.items as unknown[])[0]) })],
    ['a body over the text limit', (s) => ({ ...s, items: [{ ...(s.items as object[])[0], body: 'x'.repeat(1000) }] })],
    ['not an object', () => 'text'],
  ];
  for (const [name, spoil] of bad) {
    test(`refused: ${name}`, () => {
      const good = JSON.parse(JSON.stringify(firstScreenOf(state, [item(1)], false))) as Record<string, unknown>;
      assert.equal(v.safeParse(FirstScreenSchema, spoil(good)).success, false, name);
    });
  }
});
