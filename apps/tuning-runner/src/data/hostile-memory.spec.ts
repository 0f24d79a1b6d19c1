/**
 * Hostile input at the default limits, each converted in a fresh process whose peak RSS (VmHWM)
 * must stay within 512 MiB: single rows of 100 MiB in JSON Lines, JSON and parquet, and parquet
 * pages whose headers or compressed streams (gzip, zstd, snappy) claim or inflate to a gigabyte, and
 * ~15 MB footers (under maxMetadataBytes) of one-byte Thrift items that a parser would turn into
 * gigabytes of objects. Each must end as InvalidDataset naming the place.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dollyRows, writeDollyParquet } from '../testing/fixtures.js';
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

/**
 * A parquet file whose footer is FileMetaData with field `id` a list of `count` elements of
 * `elemType` (12 struct, 8 binary), each one byte: an empty struct or an empty binary.
 */
function oneByteListFooter(id: number, elemType: number, count: number): Uint8Array {
  const size: number[] = [];
  for (let x = count; ; x = Math.floor(x / 128)) {
    if (x < 128) {
      size.push(x);
      break;
    }
    size.push((x & 0x7f) | 0x80);
  }
  const metadata = Buffer.concat([Buffer.from([(id << 4) | 9, 0xf0 | elemType, ...size]), Buffer.alloc(count), Buffer.from([0])]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(metadata.length);
  return new Uint8Array(Buffer.concat([Buffer.from('PAR1'), metadata, length, Buffer.from('PAR1')]));
}

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
    // hyparquet alone would build ~2.9 GB of objects from these (~200 bytes per one-byte element).
    ['15M-empty-schema-elements.parquet', () => oneByteListFooter(2, 12, 15_000_000), /^15M-empty-schema-elements\.parquet: unreadable parquet metadata: the schema has 15000000 elements, over the 100000 limit$/],
    ['15M-empty-row-groups.parquet', () => oneByteListFooter(4, 12, 15_000_000), /^15M-empty-row-groups\.parquet: invalid parquet metadata: the footer describes 0 schema elements and 15000000 row groups, which would take about \d+\.\d MiB of memory to read, over the 128 MiB limit$/],
    ['15M-empty-strings.parquet', () => oneByteListFooter(5, 8, 15_000_000), /^15M-empty-strings\.parquet: invalid parquet metadata: the footer describes 0 schema elements and 0 row groups, which would take about \d+\.\d MiB of memory to read, over the 128 MiB limit$/],
  ])('%s ends as InvalidDataset within 512 MiB', async (name, content, message) => {
    const result = await peak(name, content());
    expect(result).toMatchObject({ name: 'DatasetError', error: expect.stringMatching(message) });
    expect(result.peakRss).toBeLessThanOrEqual(CAP);
  });

  it('converts a real file whose footer is just under the metadata memory budget within 512 MiB', async () => {
    // 22,000 one-row groups: a ~4.3 MiB footer, estimated near the 128 MiB budget, that hyparquet
    // and DuckDB each parse: the budget must leave room for both and for DuckDB's 64 MiB.
    const path = join(dir, 'many-groups.parquet');
    await writeDollyParquet(path, dollyRows(22_000), { rowGroupSize: 1 });
    const result = await peak('many-groups.parquet', await readFile(path));
    expect(result).toEqual({ rows: 22_000, peakRss: expect.any(Number) });
    expect(result.peakRss).toBeLessThanOrEqual(CAP);
  }, 60_000);
});
