// The delivery receipt a friend sends through the relay (shared/protocol.ts ReceiptSchema): what is accepted, what is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS, SignalDataSchema } from '../../shared/protocol.js';
import { parse } from '../../shared/validate.js';
import { isBwError } from '../../shared/errors.js';

test('a receipt names 1..maxReceiptSeqs sequence numbers of the friend’s posts', () => {
  assert.deepEqual(parse(SignalDataSchema, { kind: 'receipt', seqs: [3, 2, 1] }, 'signal'), { kind: 'receipt', seqs: [3, 2, 1] });
  const restoredFloor = Date.UTC(2026, 0, 1); // numbering after a restore starts at the restore time in ms
  assert.deepEqual(parse(SignalDataSchema, { kind: 'receipt', seqs: [restoredFloor] }, 'signal'), { kind: 'receipt', seqs: [restoredFloor] });
});

test('a malformed receipt is a named error, never a crash', () => {
  const bad = [
    { kind: 'receipt' },
    { kind: 'receipt', seqs: [] },
    { kind: 'receipt', seqs: [0] },
    { kind: 'receipt', seqs: [1.5] },
    { kind: 'receipt', seqs: ['1'] },
    { kind: 'receipt', seqs: [Number.MAX_SAFE_INTEGER + 2] },
    { kind: 'receipt', seqs: Array.from({ length: LIMITS.maxReceiptSeqs + 1 }, (_, i) => i + 1) },
  ];
  for (const data of bad) {
    assert.throws(() => parse(SignalDataSchema, data, 'signal'), (e) => isBwError(e, 'bad-frame'), JSON.stringify(data).slice(0, 60));
  }
});
