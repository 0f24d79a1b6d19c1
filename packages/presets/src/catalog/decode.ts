// Decoding `unknown` with io-ts and turning failures into one line per problem, each naming the
// field path the way a user would write it: `models[3].weightsGiB: expected a positive number, got -1`.
import * as t from 'io-ts';

/** Tags of io-ts types whose context entries are containers users can name (object keys, indexes). */
const STRICT_TAG = 'StrictObject';
const ARRAY_TAGS = new Set(['ArrayType', 'ReadonlyArrayType', 'TupleType', 'ReadonlyTupleType']);
const OBJECT_TAGS = new Set(['InterfaceType', 'PartialType', 'StrictType', 'ExactType', 'DictionaryType', STRICT_TAG]);

function pathOf(context: t.Context): string {
  let path = '';
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1]?.type as { _tag?: string } | undefined;
    const key = context[i]?.key ?? '';
    const tag = parent?._tag ?? '';
    if (ARRAY_TAGS.has(tag)) path += `[${key}]`;
    else if (OBJECT_TAGS.has(tag)) path += path === '' ? key : `.${key}`;
    // intersections, unions and refinements add a member index, not a field: skip it
  }
  return path === '' ? '(root)' : path;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

export function describeErrors(errors: t.Errors): string[] {
  const lines = errors.map((e) => {
    const last = e.context[e.context.length - 1];
    const expected = e.message ?? `expected ${last?.type.name ?? 'a valid value'}`;
    const got = e.message?.startsWith('unknown field') === true ? '' : `, got ${show(e.value)}`;
    return `${pathOf(e.context)}: ${expected}${got}`;
  });
  return [...new Set(lines)];
}

/** Decodes or returns the problems; callers pick the error type. */
export function decodeWith<A, O>(codec: t.Type<A, O, unknown>, value: unknown): { ok: true; value: A } | { ok: false; problems: string[] } {
  const result = codec.decode(value);
  return result._tag === 'Right' ? { ok: true, value: result.right } : { ok: false, problems: describeErrors(result.left) };
}

/** A number type with its own failure message, so errors read "expected a positive number". */
export function numberWhere(name: string, expected: string, ok: (n: number) => boolean): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isFinite(u) && ok(u),
    (u, c) => (typeof u === 'number' && Number.isFinite(u) && ok(u) ? t.success(u) : t.failure(u, c, `expected ${expected}`)),
    (n) => n,
  );
}

export function stringWhere(name: string, expected: string, ok: (s: string) => boolean): t.Type<string, string, unknown> {
  return new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && ok(u),
    (u, c) => (typeof u === 'string' && ok(u) ? t.success(u) : t.failure(u, c, `expected ${expected}`)),
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
  const type = new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => req.is(u) && opt.is(u) && Object.keys(u as object).every((k) => known.has(k)),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, 'expected an object');
      const record = u as Record<string, unknown>;
      const errors: t.ValidationError[] = Object.keys(record)
        .filter((k) => !known.has(k))
        .map((k) => ({
          value: record[k],
          context: [...c, { key: k, type: t.unknown, actual: record[k] }],
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
  (type as unknown as { _tag: string })._tag = STRICT_TAG;
  return type;
}
