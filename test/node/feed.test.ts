// buildFeed on its own: stored rows in, FeedItem[] out — threads, reaction counts and who, edited/deleted, unread, audience, names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFeed, type FeedInput } from '../../client/core/feed.js';
import type { ItemRow } from '../../client/core/types.js';

const row = (author: string, id: string, ts: number, extra: Partial<ItemRow> = {}): ItemRow => ({ key: `${author}:${id}`, author, id, kind: 'post', ts, text: `${id} text`, via: 'relay', received: ts, ...extra });
const reaction = (author: string, parent: string, emoji: string | null, ts: number): ItemRow => ({ ...row(author, `reaction:${parent}`, ts, { kind: 'reaction', parent, emoji }), text: undefined });

function input(over: Partial<FeedInput> = {}): FeedInput {
  return {
    me: 'me',
    myName: 'Me',
    posts: [],
    children: [],
    profiles: new Map([['bob', row('bob', 'profile', 1, { kind: 'profile', name: 'Robert', bio: 'hi' })]]),
    friends: new Map([['ann', { name: 'Ann', online: true }]]),
    readUpTo: 100,
    delivery: new Map(),
    ...over,
  };
}

test('a thread: replies oldest first, reactions counted per emoji with who, mine marked; names from cards, friends, or a short key', () => {
  const p = row('ann', 'p', 50);
  const [item] = buildFeed(input({
    posts: [p],
    children: [
      row('bob', 'r2', 70, { kind: 'reply', parent: 'ann:p', text: 'second' }),
      row('zed-unknown-key', 'r1', 60, { kind: 'reply', parent: 'ann:p', text: 'first', edited: 65 }),
      reaction('bob', 'ann:p', '👍', 71),
      reaction('me', 'ann:p', '👍', 72),
      reaction('ann', 'ann:p', '🎉', 73),
      reaction('zed-unknown-key', 'ann:p', null, 74),
    ],
  }));
  assert.deepEqual(item!.replies.map((r) => [r.body, r.author.name, r.author.verified, r.author.friend, r.edited]), [
    ['first', 'zed-unkn…', false, false, 65],
    ['second', 'Robert', true, false, undefined],
  ]);
  assert.deepEqual(item!.reactions.map((r) => [r.emoji, r.count, r.mine, r.who.map((w) => w.name)]), [
    ['👍', 2, true, ['Robert', 'Me']],
    ['🎉', 1, false, ['Ann']],
  ], 'a withdrawn reaction counts nowhere');
  assert.deepEqual([item!.author.name, item!.author.friend, item!.author.online, item!.author.verified], ['Ann', true, true, false]);
  assert.equal(item!.unread, false, 'received before the read mark');
});

test('deleted posts show no body, photos, thread or reactions; unread only for others’ live posts after the mark', () => {
  const photo = { id: 'A'.repeat(43), key: 'A'.repeat(43), mime: 'image/webp' as const, w: 1, h: 1, bytes: 1 };
  const items = buildFeed(input({
    posts: [row('ann', 'new', 200, { photos: [photo] }), row('ann', 'gone', 150, { deleted: 160, text: '' }), row('me', 'mine', 300)],
    children: [row('bob', 'r', 170, { kind: 'reply', parent: 'ann:gone' }), reaction('bob', 'ann:gone', '👍', 171)],
  }));
  assert.deepEqual(items.map((i) => [i.id, i.unread, i.deleted, i.body, i.replies.length, i.reactions.length, i.photos.length]), [
    ['new', true, false, 'new text', 0, 0, 1],
    ['gone', false, true, '', 0, 0, 0],
    ['mine', false, false, 'mine text', 0, 0, 0],
  ]);
  assert.deepEqual(items[0]!.photos[0], { ref: photo, state: 'loading' });
});

test('my post shows whom it went to (the list’s name) and how it left; others’ posts never carry that', () => {
  const mine = row('me', 'm', 10, { via: 'self', audience: { list: 'Close friends', to: ['ann', 'bob'] } });
  const theirs = row('ann', 't', 11, { audience: { to: ['me'] } });
  const [a, b] = buildFeed(input({ posts: [mine, theirs], delivery: new Map([['me:m', { ann: 'delivered', bob: 'queued' }]]) }));
  assert.deepEqual(a!.audience?.list, 'Close friends');
  assert.deepEqual(a!.audience?.to.map((p) => p.name), ['Ann', 'Robert']);
  assert.deepEqual(a!.delivery, { ann: 'delivered', bob: 'queued' });
  assert.equal(a!.author.verified, true, 'I am who I say');
  assert.deepEqual([b!.audience, b!.delivery], [undefined, undefined]);
});
