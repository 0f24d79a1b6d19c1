import { table } from './table.js';

describe('text table', () => {
  it('pads text left-aligned and numbers right-aligned', () => {
    expect(table(['NAME', 'GiB'], [['a', 7.12], ['bbb', 26]])).toBe('NAME   GiB\na     7.12\nbbb     26');
  });

  it('treats a dash as a number for alignment', () => {
    expect(table(['N', 'NVMe'], [['a', '-'], ['b', 960]])).toBe('N  NVMe\na     -\nb   960');
  });
});
