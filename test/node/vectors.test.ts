// Fixed test vectors (test/vectors/envelope-v1.json): envelope v1 bytes, pair keys, fingerprints, safety numbers,
// invite codes and friend requests are recomputed from fixed secrets and compared byte for byte.
// The checks themselves live in test/cases/vectors.ts, shared with the Chromium suite (test/browser/crypto.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MIN_VECTORS, vectorGroups, type Vectors } from '../cases/vectors.js';

// Resolved from build/test/node/ back to the source tree's test/vectors/.
const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/envelope-v1.json', import.meta.url), 'utf8')) as Vectors;

test('the vectors file has every kind of vector', () => {
  for (const [kind, min] of Object.entries(MIN_VECTORS)) assert.ok(vectors[kind as keyof Vectors].length >= min, `${kind} vectors: at least ${min}`);
});

for (const { group, cases } of vectorGroups(vectors)) {
  describe(group, () => {
    for (const c of cases) {
      test(c.name, () => {
        for (const { what, actual, expected } of c.checks()) assert.deepEqual(actual, expected, what);
      });
    }
  });
}
