import { formatReport, median } from './report.js';

describe('median', () => {
  it.each([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
  ])('of %j is %d', (xs, m) => expect(median(xs)).toBe(m));
});

describe('formatReport', () => {
  it('states throughput against the 20,000 keys/s target', () => {
    const text = formatReport({ node: 'v20', platform: 'linux/x64', queue: { keys: 1000, concurrency: 8, runner: [40_000, 60_000, 50_000], bare: [1e5] } });
    expect(text).toContain('median 50,000 keys/s, best 60,000 keys/s  → 2.5× the 20,000 keys/s target');
  });

  it('states cache memory as a multiple of the served JSON size', () => {
    const mib = 1024 * 1024;
    const text = formatReport({
      node: 'v20',
      platform: 'linux/x64',
      cache: [{ objects: 10_000, servedJsonBytes: 40 * mib, cachedJsonBytes: 30 * mib, heapBytes: 44 * mib, stripManagedFields: true }],
    });
    expect(text).toContain('heap / served JSON = 1.10× (target ≤ 2×); heap / cached JSON = 1.47×');
  });
});
