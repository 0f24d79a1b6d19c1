/** Formatting of the conversion benchmark (pure, unit-tested). */

export type CandidateResult =
  | { name: string; error: string }
  | { name: string; rows: number; bytesIn: number; bytesOut: number; wallS: number; cpuS: number; peakRss: number; sha256: string };

export const CONVERT_RSS_TARGET = 300 * 1e6;

const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);

/** A markdown table: one row per candidate, output compared with the first's. */
export function formatConvertTable(r: { node: string; input: string; rowsPerGroup: number; results: readonly CandidateResult[] }): string {
  const first = r.results.find((x) => 'sha256' in x);
  const lines = [
    `node ${r.node}; ${r.input} (${r.rowsPerGroup.toLocaleString('en-US')} rows per row group)`,
    '',
    '| reader | rows | in MB | out MB | MB/s (wall) | MB per CPU-s | peak RSS MB | RSS ≤ 300 MB | output |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const x of r.results) {
    if (!('sha256' in x)) {
      lines.push(`| ${x.name} | failed: ${x.error.replace(/\|/g, '\\|')} | | | | | | | |`);
      continue;
    }
    const same = first === undefined || first === x ? 'reference' : x.sha256 === first.sha256 ? 'identical' : 'DIFFERS';
    lines.push(
      `| ${x.name} | ${x.rows.toLocaleString('en-US')} | ${mb(x.bytesIn)} | ${mb(x.bytesOut)} | ${(x.bytesIn / 1e6 / x.wallS).toFixed(1)} | ${(x.bytesIn / 1e6 / x.cpuS).toFixed(1)} | ${mb(x.peakRss)} | ${x.peakRss <= CONVERT_RSS_TARGET ? 'yes' : 'no'} | ${same} |`,
    );
  }
  return lines.join('\n');
}
