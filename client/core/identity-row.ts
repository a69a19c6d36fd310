// Owns the check every store applies to a stored identity row on read (a corrupt row is a named error, not a crash later).
import * as v from 'valibot';
import { parse } from '../../shared/validate.js';
import type { IdentityRow } from './types.js';

const bytes = (len: number) => v.pipe(v.instance(Uint8Array), v.length(len));
const IdentityRowSchema = v.object({
  id: v.literal('me'),
  name: v.string(),
  sigSecret: bytes(32),
  sigPub: bytes(32),
  dhSecret: bytes(32),
  dhPub: bytes(32),
  created: v.number(),
  seqFloor: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER))),
  identity: v.optional(v.object({ sigPub: bytes(32), dhPub: bytes(32) })),
});

/** Checks a row read from a store; undefined passes through (no identity yet). */
export function checkIdentityRow(row: unknown): IdentityRow | undefined {
  return row === undefined ? undefined : (parse(IdentityRowSchema, row, 'stored identity') as IdentityRow);
}
