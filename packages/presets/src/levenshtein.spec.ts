import { closeMatches, levenshtein } from './levenshtein.js';

describe('close matches for mistyped names', () => {
  it.each([
    ['phi3', 'phi-3', 1],
    ['Phi-3', 'phi-3', 0],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('measures %s -> %s as %i edits', (a, b, d) => {
    expect(levenshtein(a, b)).toBe(d);
  });

  const names = ['phi-3-mini-4k-instruct', 'phi-3-mini-128k-instruct', 'phi-3-medium-128k-instruct', 'llama-3.1-8b-instruct', 'falcon-7b'];

  it.each([
    ['phi-3-mini-128k-instruc', 'phi-3-mini-128k-instruct'],
    ['lama-3.1-8b-instruct', 'llama-3.1-8b-instruct'],
    ['falcon7b', 'falcon-7b'],
    ['phi-3-mini', 'phi-3-mini-4k-instruct'],
  ])('suggests %s -> %s', (input, expected) => {
    expect(closeMatches(input, names)).toContain(expected);
  });

  it('suggests nothing for an unrelated name', () => {
    expect(closeMatches('stable-diffusion-xl', names)).toEqual([]);
  });

  it('puts the closest name first', () => {
    expect(closeMatches('phi-3-mini-128k-instruct!', names)[0]).toBe('phi-3-mini-128k-instruct');
  });
});
