/**
 * Decoding at the boundary: every `unknown` from the API server goes through a codec once, and
 * errors name the field path (`metadata.name: expected string, got 42`).
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { DecodeError } from '../errors.js';

const show = (v: unknown): string => {
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** One line per failure: `path: expected Type, got value`. Union/intersection indices are skipped. */
export function formatErrors(errors: t.Errors): string[] {
  const lines = errors.map((e) => {
    const path: string[] = [];
    for (let i = 1; i < e.context.length; i++) {
      const parent = e.context[i - 1]?.type as { _tag?: string } | undefined;
      if (parent?._tag === 'UnionType' || parent?._tag === 'IntersectionType') continue;
      const key = e.context[i]?.key ?? '';
      path.push(/^\d+$/.test(key) ? `[${key}]` : `${path.length > 0 ? '.' : ''}${key}`);
    }
    const last = e.context[e.context.length - 1];
    const where = path.join('') || '<root>';
    return e.message ?? `${where}: expected ${last?.type.name ?? 'value'}, got ${show(e.value)}`;
  });
  return [...new Set(lines)];
}

/** Decode or throw a `DecodeError` whose message names what was being decoded and every bad field. */
export function decodeOrThrow<A>(codec: t.Decoder<unknown, A>, what: string): (value: unknown) => A {
  return (value) => {
    const result = codec.decode(value);
    if (isLeft(result)) {
      const details = formatErrors(result.left);
      throw new DecodeError(`${what}: ${details.slice(0, 5).join('; ')}`, details);
    }
    return result.right;
  };
}
