// Catch-up arithmetic: cursors over held sequences, which posts to resend, which to mark delivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contiguousCursor, deliveredBy, postsToResend, type OwnPost } from '../../client/sync.js';

test('the cursor is the contiguous prefix of held sequence numbers', () => {
  assert.equal(contiguousCursor([]), 0);
  assert.equal(contiguousCursor([1, 2, 3]), 3);
  assert.equal(contiguousCursor([3, 1, 2, 5]), 3);
  assert.equal(contiguousCursor([2, 3]), 0);
});

const mine: OwnPost[] = [
  { seq: 1, delivery: { bob: 'delivered', carol: 'relay' } },
  { seq: 2, delivery: { bob: 'direct' } }, // sealed before Carol was a friend
  { seq: 3, delivery: { bob: 'queued', carol: 'queued' } },
  { seq: 4 }, // no friends at the time
];

test('resend only what was sealed for that friend, past their cursor', () => {
  assert.deepEqual(postsToResend(mine, 'carol', 0).map((p) => p.seq), [1, 3]);
  assert.deepEqual(postsToResend(mine, 'carol', 1).map((p) => p.seq), [3]);
  assert.deepEqual(postsToResend(mine, 'bob', 1).map((p) => p.seq), [2, 3]);
  assert.deepEqual(postsToResend(mine, 'dave', 0), [], 'never to someone it was not sealed for (e.g. removed)');
});

test("a friend's cursor marks what it covers delivered, once", () => {
  assert.deepEqual(deliveredBy(mine, 'bob', 3).map((p) => p.seq), [2, 3]);
  assert.deepEqual(deliveredBy(mine, 'carol', 1).map((p) => p.seq), [1]);
  assert.deepEqual(deliveredBy(mine, 'carol', 0), []);
});
