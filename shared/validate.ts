// Owns schema checking: the one place a valibot failure becomes a BwError('bad-frame') naming what and where.
import * as v from 'valibot';
import { BwError } from './errors.js';

/** Parses untrusted input against a schema or throws BwError('bad-frame') naming the message and the field. */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const r = v.safeParse(schema, input);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') || '(root)';
  throw new BwError('bad-frame', `${what}: ${path}: ${issue.message}`);
}
