/**
 * Benchmark: parquet → JSONL conversion throughput and peak memory.
 *
 *   npx tsx apps/tuning-runner/bench/convert.ts [--sizes 256,1024] [--runs 1] [--codec SNAPPY] [--generic] [--dir DIR]
 *
 * For each size it generates (once, cached in --dir) a dolly-style chat parquet of that many MB,
 * converts it in a fresh process, and prints MB/s (wall clock), MB per CPU-second (per core:
 * worker threads of the GC count too) and the converter's peak RSS. The same target RSS at every
 * size is what "flat memory" means. With `--runs N` each size is converted N times and a median
 * line follows (each column's own median): on a shared machine single runs are noisy.
 * `bench/ceiling.ts` times what any converter must do for the same file (read, decompress, write).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256,1024' },
    codec: { type: 'string', default: 'SNAPPY' },
    generic: { type: 'boolean', default: false },
    dir: { type: 'string', default: join(tmpdir(), 'kaito-ts-bench') },
    'rows-per-group': { type: 'string', default: '20000' },
    runs: { type: 'string', default: '1' },
  },
});
const here = import.meta.dirname;
const tsx = join(here, '..', '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
const node = (script: string, args: string[]): string =>
  execFileSync(process.execPath, ['--conditions=@kaito-ts/source', tsx, join(here, script), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

mkdirSync(values.dir, { recursive: true });
console.log(`conversion benchmark: codec ${values.codec}, ${values.generic ? 'generic object path' : 'fast path'}, node ${process.version}`);
console.log('size_MB  rows       MB/s(wall)  MB/cpu-s  peak_RSS_MB  out_MB  out/in');
for (const size of values.sizes.split(',').map(Number)) {
  const input = join(values.dir, `dolly-v2-${size}MB-${values.codec}-${values['rows-per-group']}.parquet`);
  if (!existsSync(input)) node('gen-parquet.ts', ['--out', input, '--size-mb', String(size), '--codec', values.codec, '--rows-per-group', values['rows-per-group']]);
  const output = join(values.dir, 'out.jsonl');
  const results: Result[] = [];
  for (let run = 0; run < Number(values.runs); run++) {
    const r = JSON.parse(node('convert-run.ts', [input, output, ...(values.generic ? ['--generic'] : [])])) as {
      rows: number;
      bytesIn: number;
      bytesOut: number;
      wallS: number;
      cpuS: number;
      maxRssMB: number;
    };
    rmSync(output, { force: true });
    const mb = r.bytesIn / 1e6;
    const result = { rows: r.rows, mb, wall: mb / r.wallS, cpu: mb / r.cpuS, rss: r.maxRssMB, outMb: r.bytesOut / 1e6, ratio: r.bytesOut / r.bytesIn };
    results.push(result);
    print(String(Math.round(mb)), result);
  }
  const [first] = results;
  if (first && results.length > 1) {
    const median = (f: (r: Result) => number): number => results.map(f).sort((a, b) => a - b)[Math.floor(results.length / 2)] ?? 0;
    print('median', { ...first, wall: median((r) => r.wall), cpu: median((r) => r.cpu), rss: median((r) => r.rss) });
  }
}

interface Result {
  rows: number;
  mb: number;
  wall: number;
  cpu: number;
  rss: number;
  outMb: number;
  ratio: number;
}

function print(label: string, r: Result): void {
  console.log(
    `${label.padEnd(8)} ${String(r.rows).padEnd(10)} ${r.wall.toFixed(1).padEnd(11)} ${r.cpu.toFixed(1).padEnd(9)} ${r.rss.toFixed(0).padEnd(12)} ${r.outMb.toFixed(0).padEnd(7)} ${r.ratio.toFixed(2)}`,
  );
}
