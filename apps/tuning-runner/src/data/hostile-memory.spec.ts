/**
 * Hostile input at the default limits, each converted in a fresh process whose peak RSS (VmHWM)
 * must stay within 512 MiB: single rows of 100 MiB in JSON Lines, JSON and parquet, and parquet
 * pages whose headers or compressed streams (gzip, zstd, snappy) claim or inflate to a gigabyte. Each must end as InvalidDataset naming the place.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { craftParquet, i32, snappyBomb, zstdBomb } from '../testing/parquet-craft.js';
import { MiB } from './limits.js';

const CAP = 512 * MiB;
const ROOT = join(__dirname, '..', '..', '..', '..');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tr-hostile-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function peak(name: string, content: string | Uint8Array): Promise<{ error?: string; name?: string; rows?: number; peakRss: number }> {
  const path = join(dir, name);
  await writeFile(path, content);
  const child = spawn(process.execPath, ['--conditions=@kaito-ts/source', '--import', 'tsx', join(__dirname, '..', 'testing', 'convert-peak.ts'), path, name, join(dir, 'out.jsonl')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  await new Promise((done) => child.on('close', done));
  await rm(path, { force: true });
  return JSON.parse(stdout.trim()) as { error?: string; peakRss: number };
}

const HUGE = 'x'.repeat(100 * MiB);

describe('hostile input within the memory cap', () => {
  it.each([
    ['one-line.jsonl', () => `{"text":"${HUGE}"}\n`, /^one-line\.jsonl: line 1: the line is over the 64 MiB row limit \(maxRowBytes\)$/],
    ['one-element.json', () => `[{"text":"${HUGE}"}]`, /^one-element\.json: row 1: the row is over the 64 MiB row limit \(maxRowBytes\)$/],
    // DuckDB's memory limit (64 MiB) refuses a 100 MiB value before it reaches JS.
    ['one-value.parquet', () => craftParquet({ values: ['fine', HUGE] }), /^one-value\.parquet: rows 1-2: cannot decode parquet data: a page or value needs more than the 64 MiB the parquet reader may use \(parquetMemoryBytes\): Out of Memory Error: failed to allocate/],
    ['claims-1GiB.parquet', () => craftParquet({ codec: 'GZIP', pageHeader: { 2: i32(1024 * MiB) } }), /^claims-1GiB\.parquet: rows 1-2: cannot decode parquet data: /],
    ['zstd-1GiB.parquet', () => craftParquet({ codec: 'ZSTD', pageBytes: zstdBomb(1024 * MiB), pageHeader: { 2: i32(1024 * MiB) } }), /^zstd-1GiB\.parquet: rows 1-2: cannot decode parquet data: /],
    ['snappy-1GiB.parquet', () => craftParquet({ codec: 'SNAPPY', pageBytes: snappyBomb(64 * MiB, 1024 * MiB) }), /^snappy-1GiB\.parquet: rows 1-2: cannot decode parquet data: /],
    ['claims-2^31-values.parquet', () => craftParquet({ dataPageHeader: { 1: i32(2 ** 31 - 1) }, pageHeader: { 2: i32(2 ** 31 - 1) } }), /^claims-2\^31-values\.parquet: rows 1-2: cannot decode parquet data: /],
  ])('%s ends as InvalidDataset within 512 MiB', async (name, content, message) => {
    const result = await peak(name, content());
    expect(result).toMatchObject({ name: 'DatasetError', error: expect.stringMatching(message) });
    expect(result.peakRss).toBeLessThanOrEqual(CAP);
  });
});
