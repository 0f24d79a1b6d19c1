import * as t from 'io-ts';
import { decode, formatIssue } from '@kaito-ts/core';
import { NonEmptyString, PositiveInt, PositiveNumber, strictObject } from './codecs.js';

const Item = strictObject('Item', { name: NonEmptyString, size: PositiveNumber }, { count: PositiveInt });
const Doc = strictObject('Doc', { items: t.array(Item) }, { meta: strictObject('Meta', { owner: NonEmptyString }, {}) });

function problems(value: unknown): string[] {
  const r = decode(Doc, value);
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe('catalog codecs', () => {
  it.each([
    ['items[1].size: expected a positive number, got -1', { items: [{ name: 'a', size: 1 }, { name: 'b', size: -1 }] }],
    ['items[0].count: expected a positive integer, got 2.5', { items: [{ name: 'a', size: 1, count: 2.5 }] }],
    ['items[0].name: expected a non-empty string, got " "', { items: [{ name: ' ', size: 1 }] }],
    ['items[0].name: expected a non-empty string, got nothing', { items: [{ size: 1 }] }],
    ['items[0].sise: unknown field (known: name, size, count)', { items: [{ name: 'a', size: 1, sise: 2 }] }],
    ['meta.owner: expected a non-empty string, got 7', { items: [], meta: { owner: 7 } }],
    ['items: is required', {}],
    ['expected an object, got 3', 3],
    ['items[0]: expected an object, got a list', { items: [['a']] }],
  ])('reports "%s"', (expected, value) => {
    expect(problems(value)).toContain(expected);
  });

  it('reports every problem, not only the first', () => {
    expect(problems({ items: [{ name: '', size: 0 }] })).toHaveLength(2);
  });

  it('returns the decoded value when it is valid', () => {
    expect(decode(Doc, { items: [{ name: 'a', size: 2 }] })).toEqual({ ok: true, value: { items: [{ name: 'a', size: 2 }] } });
  });

  it('treats non-finite numbers as invalid', () => {
    expect(problems({ items: [{ name: 'a', size: Infinity }] })).toEqual(['items[0].size: expected a positive number, got Infinity']);
  });
});
