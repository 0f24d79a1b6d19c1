import { InvalidQuantityError, parseQuantity, quantityOf } from './quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['8', 8],
    [8, 8],
    ['500m', 0.5],
    ['1k', 1000],
    ['1Ki', 1024],
    ['100Gi', 100 * 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1e3', 1000],
    ['0', 0],
  ] as const)('reads %p as %p', (input, expected) => {
    expect(parseQuantity(input)).toBe(expected);
  });

  it.each(['', 'abc', '1GB', '--1'])('rejects %p with InvalidQuantityError', (input) => {
    expect(() => parseQuantity(input)).toThrow(InvalidQuantityError);
  });
});

describe('quantityOf', () => {
  it('returns undefined for a missing resource', () => {
    expect(quantityOf({ cpu: '1' }, 'nvidia.com/gpu')).toBeUndefined();
  });

  it('returns undefined for a malformed value instead of throwing', () => {
    expect(quantityOf({ 'nvidia.com/gpu': 'lots' }, 'nvidia.com/gpu')).toBeUndefined();
  });
});
