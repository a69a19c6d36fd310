// Test helpers for the shared/ unit tests: error-code assertions, hex, deterministic randomness.
import assert from 'node:assert/strict';
import { BwError, type ErrorCode } from '../../shared/errors.js';

/** Asserts fn throws a BwError with exactly this code; the failure message names the code it got instead. */
export function throwsCode(fn: () => unknown, code: ErrorCode, what = ''): void {
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    if (!(e instanceof BwError)) assert.fail(`${what ? `${what}: ` : ''}expected BwError('${code}'), got ${String(e)}`);
    if (e.code !== code) assert.fail(`${what ? `${what}: ` : ''}expected BwError('${code}'), got BwError('${e.code}'): ${e.message}`);
  }
  if (!threw) assert.fail(`${what ? `${what}: ` : ''}expected BwError('${code}'), nothing was thrown`);
}

// The pure helpers live in test/cases/util.ts so the Chromium suite shares them (this file imports node:assert).
export { fromHex, queueRng, seqBytes, toHex, Xorshift } from '../cases/util.js';
