// Environment-neutral test helpers, shared by the Node suites (test/node) and the Chromium suite (test/browser):
// no node: imports and no assertion library, so both runners can import them.
import { BwError, type ErrorCode } from '../../shared/errors.js';
import type { Rng } from '../../shared/crypto/identity.js';

export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function fromHex(h: string): Uint8Array {
  if (h.length % 2 !== 0 || !/^[0-9a-f]*$/.test(h)) throw new Error(`bad hex: ${h}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** An Rng that hands out the given chunks in order and fails loudly if asked for anything else. */
export function queueRng(...chunks: Uint8Array[]): Rng {
  const queue = [...chunks];
  return (n) => {
    const next = queue.shift();
    if (!next) throw new Error(`queueRng: asked for ${n} bytes, queue empty`);
    if (next.length !== n) throw new Error(`queueRng: asked for ${n} bytes, next chunk has ${next.length}`);
    return next.slice();
  };
}

/** Bytes 0, 1, 2, … starting at `from` (mod 256): readable fixed secrets. */
export const seqBytes = (n: number, from: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

/** xorshift32 (Marsaglia 2003): a seeded, dependency-free PRNG for property tests. Not for keys. */
export class Xorshift {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  rng: Rng = (n) => this.bytes(n);
}

/**
 * What fn throws, as a string an assertion can compare with an ErrorCode: the BwError's code, 'nothing thrown',
 * or 'non-BwError …'. Lets either runner write `equal(thrownCode(fn), 'replay')` and get the actual code on failure.
 */
export function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BwError) return e.code;
    return `non-BwError ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  return 'nothing thrown';
}

/** A named case that must fail with one BwError code: the shape of every shared rejection table. */
export interface RejectionCase {
  what: string;
  code: ErrorCode;
  run: () => unknown;
}

/** Structural check result, asserted with deep equality by whichever runner runs it. */
export interface Check {
  what: string;
  actual: unknown;
  expected: unknown;
}
