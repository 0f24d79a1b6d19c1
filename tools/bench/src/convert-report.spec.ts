import { formatConvertTable, type CandidateResult } from './convert-report.js';

const ok = (name: string, peakRss: number, sha256: string): CandidateResult => ({
  name,
  rows: 1000,
  bytesIn: 100e6,
  bytesOut: 200e6,
  wallS: 4,
  cpuS: 5,
  peakRss,
  sha256,
});

describe('formatConvertTable', () => {
  const table = formatConvertTable({
    node: 'v20',
    input: '/tmp/x.parquet',
    rowsPerGroup: 250_000,
    results: [ok('a', 400e6, 'h1'), ok('b', 250e6, 'h1'), ok('c', 100e6, 'h2'), { name: 'd', error: 'Error: boom | bang' }],
  });

  it('gives throughput per wall and CPU second and peak RSS against the 300 MB target', () => {
    expect(table).toContain('| a | 1,000 | 100 | 200 | 25.0 | 20.0 | 400 | no | reference |');
    expect(table).toContain('| b | 1,000 | 100 | 200 | 25.0 | 20.0 | 250 | yes | identical |');
  });

  it('flags output that differs from the first reader and readers that failed', () => {
    expect(table).toContain('| c | 1,000 | 100 | 200 | 25.0 | 20.0 | 100 | yes | DIFFERS |');
    expect(table).toContain('| d | failed: Error: boom \\| bang |');
  });
});
