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

/**
 * Whether `value` nests at most `max` levels of objects and arrays (a scalar is 0, `{}` is 1). Iterative, and it stops
 * at the first container past `max`, so input of any depth costs at most the nodes above that level.
 */
export function depthWithin(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [x, depth] = top;
    if (x === null || typeof x !== 'object') continue;
    if (depth + 1 > max) return false;
    for (const child of Object.values(x)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return true;
}
