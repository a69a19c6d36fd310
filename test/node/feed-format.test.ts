// The feed's pure rules: relative times, initials, delivery lines, and today's posts as FeedItems (client/feed-adapter.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countChars, deliveryText, fullTime, initials, namesText, relativeTime, warmRelativeTime } from '../../client/components/format.js';
import { mergeItems, peopleOf, toFeedItems } from '../../client/feed-adapter.js';
import type { PostRow } from '../../client/core/types.js';

const MIN = 60_000;

describe('format', () => {
  test('relative times: the largest whole unit, "now" under 45 s, a short form until the locale data is loaded', () => {
    const now = Date.UTC(2026, 10, 27, 12);
    assert.equal(relativeTime(now - 10_000, now), 'now');
    assert.equal(relativeTime(now - 3 * MIN, now), '3 min');
    assert.equal(relativeTime(now - 5 * 3_600_000, now), '5 h');
    warmRelativeTime();
    const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
    assert.equal(relativeTime(now - 3 * MIN, now), rtf.format(-3, 'minute'));
    assert.equal(relativeTime(now - 86_400_000, now), rtf.format(-1, 'day'));
    assert.equal(relativeTime(now - 400 * 86_400_000, now), rtf.format(-1, 'year'));
  });

  test('full time is the local date and minute', () => {
    const d = new Date(2026, 0, 2, 3, 4);
    assert.equal(fullTime(d.getTime()), '2026-01-02 03:04');
  });

  test('initials, names, code points and delivery lines', () => {
    assert.equal(initials('ada lovelace'), 'AL');
    assert.equal(initials('  Bo '), 'B');
    assert.equal(initials(''), '?');
    assert.equal(namesText(['Ada']), 'Ada');
    assert.equal(namesText(['Ada', 'Bo']), 'Ada and Bo');
    assert.equal(namesText(['Ada', 'Bo', 'Cy', 'Di']), 'Ada, Bo and 2 others');
    assert.equal(countChars('hi 👋'), 4);
    assert.equal(deliveryText(undefined), 'only you (no friends yet)');
    assert.equal(deliveryText({ a: 'delivered' }), 'delivered');
    assert.equal(deliveryText({ a: 'direct', b: 'relay' }), 'sent directly ×1, waiting on relay ×1');
  });
});

describe('feed adapter', () => {
  const state = {
    me: { key: 'me', name: 'Me', fingerprint: 'f' },
    friends: [{ key: 'k1', name: 'Ada', status: 'mutual' as const, online: true, direct: true, safetyNumber: 's' },
      { key: 'k2', name: 'Bo', status: 'pending' as const, online: false, direct: false, safetyNumber: 's' }],
  };
  const row = (author: string, seq: number, ts: number, extra: Partial<PostRow> = {}): PostRow => ({ author, seq, ts, body: `${author} ${seq}`, via: author === 'me' ? 'self' : 'p2p', received: ts, ...extra });

  test('maps stored posts to FeedItems: ids, authors known or not, mine with delivery and audience, unread after the mark', () => {
    const people = peopleOf(state);
    const items = toFeedItems([row('k1', 2, 300), row('me', 1, 200, { delivery: { k1: 'delivered' } }), row('zz-stranger-key', 1, 100)], people, 'me', 250);
    assert.deepEqual(items.map((i) => i.id), ['k1:2', 'me:1', 'zz-stranger-key:1']);
    assert.equal(items[0]!.author.name, 'Ada');
    assert.equal(items[0]!.author.verified, true);
    assert.equal(items[0]!.unread, true);
    assert.equal(items[1]!.mine, true);
    assert.equal(items[1]!.unread, false, 'my own posts are never unread');
    assert.deepEqual(items[1]!.delivery, { k1: 'delivered' });
    assert.deepEqual(items[1]!.audience!.to.map((p) => p.name), ['Ada']);
    assert.equal(items[2]!.author.name, 'zz-stran', 'an unknown author shows by key');
    assert.equal(items[2]!.author.verified, false);
    assert.equal(items[2]!.unread, false, 'received before the mark');
    assert.deepEqual([items[0]!.replies, items[0]!.reactions, items[0]!.photos], [[], [], []]);
    assert.equal(people.get('k2')!.verified, false, 'a pending friend is not verified yet');
  });

  test('merging pages keeps one copy of each id, newest first', () => {
    const people = peopleOf(state);
    const a = toFeedItems([row('k1', 3, 300), row('k1', 2, 200)], people, 'me', 0);
    const b = toFeedItems([row('k1', 2, 200), row('k1', 1, 100)], people, 'me', 0);
    assert.deepEqual(mergeItems(a, b).map((i) => i.id), ['k1:3', 'k1:2', 'k1:1']);
  });
});
