// The codec builders the catalogs are written in. Each fails with its own words, so decoding with
// @kaito-ts/core reads `models[3].weightsGiB: expected a positive number, got -1`.
import * as t from 'io-ts';
import { fieldContext, show } from '@kaito-ts/core';

/** A number type with its own failure message, so errors read "expected a positive number". */
export function numberWhere(name: string, expected: string, ok: (n: number) => boolean): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isFinite(u) && ok(u),
    (u, c) => (typeof u === 'number' && Number.isFinite(u) && ok(u) ? t.success(u) : t.failure(u, c, `expected ${expected}, got ${show(u)}`)),
    (n) => n,
  );
}

export function stringWhere(name: string, expected: string, ok: (s: string) => boolean): t.Type<string, string, unknown> {
  return new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && ok(u),
    (u, c) => (typeof u === 'string' && ok(u) ? t.success(u) : t.failure(u, c, `expected ${expected}, got ${show(u)}`)),
    (s) => s,
  );
}

export const PositiveNumber = numberWhere('PositiveNumber', 'a positive number', (n) => n > 0);
export const NonNegativeNumber = numberWhere('NonNegativeNumber', 'a number >= 0', (n) => n >= 0);
export const PositiveInt = numberWhere('PositiveInt', 'a positive integer', (n) => Number.isInteger(n) && n > 0);
export const NonEmptyString = stringWhere('NonEmptyString', 'a non-empty string', (s) => s.trim().length > 0);

/**
 * An object with required and optional fields that rejects fields it does not know, so a typo in
 * the catalog (`wieghtsGiB`) fails loudly instead of being dropped.
 */
export function strictObject<R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
): t.Type<t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>>, unknown, unknown> {
  type A = t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>>;
  const req = t.type(required);
  const opt = t.partial(optional);
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => req.is(u) && opt.is(u) && Object.keys(u as object).every((k) => known.has(k)),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, `expected an object, got ${show(u)}`);
      const record = u as Record<string, unknown>;
      const errors: t.ValidationError[] = Object.keys(record)
        .filter((k) => !known.has(k))
        .map((k) => ({
          value: record[k],
          context: fieldContext(c, k, record[k]),
          message: `unknown field (known: ${[...known].join(', ')})`,
        }));
      // each member appends its own field keys to `c`, whose last entry is this type: paths read `.field`
      const a = req.validate(u, c);
      const b = opt.validate(u, c);
      if (a._tag === 'Left') errors.push(...a.left);
      if (b._tag === 'Left') errors.push(...b.left);
      if (errors.length > 0 || a._tag === 'Left' || b._tag === 'Left') return t.failures(errors);
      return t.success({ ...a.right, ...b.right } as A);
    },
    (a) => a,
  );
}
