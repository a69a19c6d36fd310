// The feed's pure rules: relative times, initials, delivery lines, and who the reader knows from the state alone (client/core/feed.ts peopleOf).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countChars, deliveryText, fullTime, initials, namesText, relativeTime, warmRelativeTime } from '../../client/components/format.js';
import { peopleOf } from '../../client/core/feed.js';

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
    assert.equal(deliveryText({}, 2), 'sending…', 'sealed for two, not yet left: not "no friends"');
    assert.equal(deliveryText({ a: 'delivered' }), 'delivered');
    assert.equal(deliveryText({ a: 'direct', b: 'relay' }), 'sent directly ×1, waiting on relay ×1');
  });
});

describe('people from the state', () => {
  test('friends by their invite names (verified once mutual), me by my signed card', () => {
    const people = peopleOf({
      me: { key: 'me', name: 'Me', fingerprint: 'f', linked: false },
      friends: [{ key: 'k1', name: 'Ada', status: 'mutual' as const, online: true, direct: true, safetyNumber: 's', devices: [] },
        { key: 'k2', name: 'Bo', status: 'pending' as const, online: false, direct: false, safetyNumber: 's', devices: [] }],
      profile: { name: 'Me Myself', bio: 'hi' },
    });
    assert.deepEqual([...people.keys()], ['k1', 'k2', 'me']);
    assert.equal(people.get('k1')!.verified, true);
    assert.equal(people.get('k2')!.verified, false, 'a pending friend is not verified yet');
    assert.equal(people.get('me')!.name, 'Me Myself', 'my card’s name');
    assert.equal(people.get('me')!.bio, 'hi');
  });
});
