/** JSON merge patches (RFC 7386) computed from two states, and semantic equality. */
import { isDeepStrictEqual } from 'node:util';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The merge patch that turns `from` into `to`: changed keys set, removed keys `null`, arrays
 * replaced whole. `undefined` when nothing changed.
 */
export function mergePatchFor(from: unknown, to: unknown): Json | undefined {
  if (!isObject(from) || !isObject(to)) return isDeepStrictEqual(normalize(from), normalize(to)) ? undefined : ((to ?? null) as Json);
  const patch: Record<string, Json> = {};
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    const a = from[key];
    const b = to[key];
    if (b === undefined) {
      if (a !== undefined) patch[key] = null;
      continue;
    }
    const sub = mergePatchFor(a, b);
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Equal as JSON: `undefined` properties ignored, key order ignored. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}
