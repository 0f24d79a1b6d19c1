import * as t from 'io-ts';
import { DecodeError, decode, decodeOrThrow, describeType, fieldContext, formatIssue, isDecodeError, issuesOf, joinPath, show } from './decode.js';

const messages = (codec: t.Mixed, value: unknown): string[] => {
  const result = decode(codec, value);
  return result.ok ? [] : result.issues.map(formatIssue);
};

/** A codec wrapping another and blaming one of its fields, the way a cross-field rule does. */
class Blames<C extends t.Mixed> extends t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown> {
  constructor(
    readonly inner: C,
    field: string,
  ) {
    super(
      `Blames<${inner.name}>`,
      inner.is,
      (u, c) => {
        const base = inner.validate(u, c);
        if (base._tag === 'Left') return base;
        const actual = (u as Record<string, unknown>)[field];
        return t.failure(actual, fieldContext(c, field, actual), 'must not be below min');
      },
      inner.encode,
    );
  }
}

describe('decode', () => {
  it('returns the decoded value, unknown fields included', () => {
    const value = { name: 'a', extra: { kept: true } };
    expect(decode(t.type({ name: t.string }), value)).toEqual({ ok: true, value });
  });

  it.each<[string, t.Mixed, unknown, string[]]>([
    ['names nested fields and list indexes', t.type({ a: t.type({ urls: t.array(t.string) }) }), { a: { urls: ['ok', 7] } }, ['a.urls[1]: expected a string, got 7']],
    ['says "is required" for a missing field', t.type({ resource: t.type({ labelSelector: t.UnknownRecord }) }), { resource: {} }, ['resource.labelSelector: is required']],
    ['gives no path for the value itself', t.type({ a: t.string }), 3, ['expected an object, got 3']],
    ['skips intersection member indexes', t.intersection([t.type({ a: t.string }), t.partial({ b: t.number })]), { a: 'x', b: 'y' }, ['b: expected a number, got "y"']],
    ['lists the allowed keys of a keyof', t.type({ method: t.keyof({ lora: null, qlora: null }) }), { method: 'full' }, ['method: expected one of: lora, qlora, got "full"']],
    ['keys a map entry by its key', t.type({ labels: t.record(t.string, t.string) }), { labels: { app: 1 } }, ['labels.app: expected a string, got 1']],
    ['indexes tuples', t.type({ pair: t.tuple([t.string, t.number]) }), { pair: ['a', 'b'] }, ['pair[1]: expected a number, got "b"']],
    ['sees through exact and refined codecs', t.exact(t.type({ xs: t.refinement(t.array(t.number), (xs) => xs.length < 9) })), { xs: [1, 'b'] }, ['xs[1]: expected a number, got "b"']],
    ['ends a blamed field path in the field, even around an intersection', t.type({ range: new Blames(t.intersection([t.type({ min: t.number }), t.type({ max: t.number })]), 'max') }), { range: { min: 3, max: 2 } }, ['range.max: must not be below min']],
    ['reports one line per field and problem', t.union([t.type({ a: t.string }), t.type({ a: t.string, b: t.string })]), { a: 1 }, ['a: expected a string, got 1', 'b: is required']],
  ])('%s', (_name, codec, value, expected) => {
    expect(messages(codec, value)).toEqual(expected);
  });
});

describe('issuesOf', () => {
  it('prefixes every path with the place the value came from', () => {
    const result = t.array(t.type({ r: t.number })).decode([{ r: 'eight' }]);
    if (result._tag === 'Right') throw new Error('expected a failure');
    expect(issuesOf(result.left, 'training_config').map(formatIssue)).toEqual(['training_config[0].r: expected a number, got "eight"']);
  });
});

describe('decodeOrThrow', () => {
  it('returns the value unchanged when it matches', () => {
    const value = { model: { name: 'phi' } };
    expect(decodeOrThrow(t.type({ model: t.type({ name: t.string }) }), value)).toBe(value);
  });

  it('throws a DecodeError with code Invalid, what was decoded and every issue', () => {
    let caught: unknown;
    try {
      decodeOrThrow(t.type({ model: t.type({ name: t.string }), urls: t.array(t.string) }), { model: { name: 42 }, urls: ['ok', 7] }, 'Spec default/a');
    } catch (err) {
      caught = err;
    }
    expect(isDecodeError(caught)).toBe(true);
    const error = caught as DecodeError;
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DecodeError');
    expect(error.code).toBe('Invalid');
    expect(error.what).toBe('Spec default/a');
    expect(error.issues).toEqual([
      { path: 'model.name', message: 'expected a string, got 42' },
      { path: 'urls[1]', message: 'expected a string, got 7' },
    ]);
    expect(error.message).toBe('Spec default/a is invalid: model.name: expected a string, got 42; urls[1]: expected a string, got 7');
  });

  it('names the codec when not told what the value is', () => {
    expect(() => decodeOrThrow(t.type({ a: t.string }, 'Thing'), {})).toThrow(/^Thing is invalid: a: is required$/);
  });

  it('lists at most ten issues in its message, and counts the rest', () => {
    const codec = t.array(t.string);
    const error = (() => {
      try {
        decodeOrThrow(codec, Array.from({ length: 12 }, (_, i) => i), 'list');
      } catch (err) {
        return err as DecodeError;
      }
      throw new Error('expected a DecodeError');
    })();
    expect(error.issues).toHaveLength(12);
    expect(error.message).toMatch(/\[9\]: expected a string, got 9 \(and 2 more\)$/);
  });
});

describe('show', () => {
  it.each<[unknown, string]>([
    [undefined, 'nothing'],
    [null, 'null'],
    ['x', '"x"'],
    [[], 'an empty list'],
    [[1], 'a list'],
    [{ a: 1 }, 'an object'],
    [2.5, '2.5'],
    [Infinity, 'Infinity'],
    [false, 'false'],
  ])('shows %p as %s', (value, expected) => {
    expect(show(value)).toBe(expected);
  });

  it('cuts long strings with an ellipsis', () => {
    const shown = show('x'.repeat(100));
    expect(shown.length).toBeLessThan(62);
    expect(shown).toMatch(/…"$/);
  });
});

describe('describeType', () => {
  it.each([
    ['string', 'a string'],
    ['Int', 'an integer'],
    ['StringMap', 'a map of strings'],
    ['{ [K in string]: number }', 'a map'],
    ['{ a: string }', 'an object'],
    ['Array<string>', 'a list'],
    ['"a" | "b"', 'one of: a, b'],
    ['HttpUrl', 'HttpUrl'],
  ])('describes %s as %s', (name, expected) => {
    expect(describeType(name)).toBe(expected);
  });
});

describe('joinPath', () => {
  it.each([
    ['', 'a', 'a'],
    ['a', '', 'a'],
    ['a', 'b.c', 'a.b.c'],
    ['a', '[0].b', 'a[0].b'],
  ])('joins %p and %p as %p', (prefix, path, expected) => {
    expect(joinPath(prefix, path)).toBe(expected);
  });
});
