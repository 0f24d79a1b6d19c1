/**
 * A seeded fuzz campaign on the converter: byte mutations of valid inputs in every format, and
 * the structural classes an attacker reaches for (malformed schemas, missing column metadata,
 * page headers that lie about sizes and counts, compression bombs, huge rows, invalid UTF-8).
 * Every input must end as converted rows or as a DatasetError with a clear message (never a raw
 * TypeError/RangeError, which the runner would report as InternalError), quickly. Limits are
 * scaled down (1 MiB rows, 32 MiB for DuckDB) so the classes are cheap to build.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DatasetError } from '../errors.js';
import { dollyRows, prng, writeDollyParquet } from '../testing/fixtures.js';
import { bin, craftParquet, i32, i64, snappyBomb, struct, zstdBomb, type Thrift } from '../testing/parquet-craft.js';
import { convertToJsonl } from './convert.js';
import { MiB, type Limits } from './limits.js';

const LIMITS: Limits = { maxRowBytes: 1 * MiB, maxMetadataBytes: 4 * MiB, parquetMemoryBytes: 32 * MiB };
const SEED = 20261202;
const MUTANTS_PER_BASE = 40;

/** What a raw JS or V8 failure looks like; a DatasetError must never carry one. */
const RAW = /Cannot read propert|is not a function|is not iterable|Maximum call stack|Invalid (string|array|typed array) length|Array buffer allocation failed|undefined is not|null is not/i;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tr-fuzz-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

type Outcome = { ok: true; rows: number } | { ok: false; error: string };

let count = 0;
async function convert(name: string, bytes: Uint8Array | string): Promise<Outcome> {
  const path = join(dir, `${count++}-${name}`);
  await writeFile(path, bytes);
  try {
    const result = await convertToJsonl([{ path, name }], join(dir, 'out.jsonl'), { limits: LIMITS });
    return { ok: true, rows: result.rows };
  } catch (err) {
    if (!(err instanceof DatasetError)) throw new Error(`${name}: escaped as ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
    expect(err.message).not.toMatch(RAW);
    return { ok: false, error: err.message };
  } finally {
    await rm(path, { force: true });
  }
}

const rand = prng(SEED);
const int = (n: number): number => Math.floor(rand() * n);

/** A few bytes changed, cut, repeated or inserted: the classic mutations. */
function mutate(input: Uint8Array, focusTail: boolean): Uint8Array {
  const bytes = Buffer.from(input);
  const at = (): number => (focusTail && rand() < 0.6 ? bytes.length - 1 - int(Math.min(bytes.length, 400)) : int(bytes.length));
  switch (int(5)) {
    case 0:
      for (let k = 1 + int(8); k > 0; k--) bytes[at()] = int(256);
      return bytes;
    case 1:
      for (let k = 1 + int(4); k > 0; k--) {
        const i = at();
        bytes[i] = (bytes[i] ?? 0) ^ (1 << int(8));
      }
      return bytes;
    case 2: {
      const from = at();
      return Buffer.concat([bytes.subarray(0, from), Buffer.alloc(1 + int(16), [0xff, 0x7f, 0x00][int(3)]), bytes.subarray(from)]);
    }
    case 3: {
      const from = at();
      return Buffer.concat([bytes.subarray(0, from), bytes.subarray(Math.min(bytes.length, from + 1 + int(32)))]);
    }
    default: {
      const from = at();
      const piece = bytes.subarray(from, from + 1 + int(64));
      return Buffer.concat([bytes.subarray(0, from), piece, bytes.subarray(from)]);
    }
  }
}

const chat = (i: number): string => JSON.stringify({ messages: [{ role: 'user', content: `question ${i} é 東` }, { role: 'assistant', content: `answer ${i}` }] });

async function baseInputs(): Promise<{ name: string; bytes: Uint8Array }[]> {
  const parquet = async (codec: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED'): Promise<Uint8Array> => {
    const path = join(dir, `base-${codec}.parquet`);
    await writeDollyParquet(path, dollyRows(12), { rowGroupSize: 5, codec });
    return new Uint8Array(await import('node:fs/promises').then((fs) => fs.readFile(path)));
  };
  const lines = Array.from({ length: 6 }, (_, i) => chat(i));
  return [
    { name: 'snappy.parquet', bytes: await parquet('SNAPPY') },
    { name: 'gzip.parquet', bytes: await parquet('GZIP') },
    { name: 'plain.parquet', bytes: await parquet('UNCOMPRESSED') },
    { name: 'crafted.parquet', bytes: craftParquet() },
    { name: 'chat.jsonl', bytes: Buffer.from(lines.join('\n') + '\n') },
    { name: 'chat.json', bytes: Buffer.from(`[${lines.join(',\n')}]`) },
    { name: 'pc.csv', bytes: Buffer.from('prompt,completion\n"Q1, with ""quotes""",A1\nQ2,A2\nQ3,"A3\nspans lines"\n') },
  ];
}

const leaf = (name: string, repetition = 0): Thrift => struct({ 1: i32(6), 3: i32(repetition), 4: bin(name), 6: i32(0) });
const root = (children: number): Thrift => struct({ 4: bin('schema'), 5: i32(children) });

function deepSchema(depth: number): Thrift[] {
  const schema = [root(1)];
  for (let i = 0; i < depth; i++) schema.push(struct({ 3: i32(1), 4: bin(`n${i}`), 5: i32(1) }));
  schema.push(leaf('text', 1));
  return schema;
}

/** The structural classes: each a name, the bytes, and what must come of it. */
function structuralInputs(): { name: string; bytes: Uint8Array | string; expect: RegExp }[] {
  const bomb = new Uint8Array(gzipSync(Buffer.alloc(48 * MiB)));
  const big = 'x'.repeat(1 * MiB + 10);
  return [
    { name: 'empty-schema.parquet', bytes: craftParquet({ schema: [] }), expect: /invalid parquet metadata: the schema is empty/ },
    { name: 'root-without-children.parquet', bytes: craftParquet({ schema: [root(0)] }), expect: /invalid parquet metadata: the schema root has no columns/ },
    { name: 'more-children-claimed.parquet', bytes: craftParquet({ schema: [root(3), leaf('text')] }), expect: /invalid parquet metadata: the schema has 2 elements but its tree needs more/ },
    { name: 'fewer-children-claimed.parquet', bytes: craftParquet({ schema: [root(1), leaf('text'), leaf('other')] }), expect: /invalid parquet metadata: the schema has 3 elements but its tree ends after 2/ },
    { name: 'negative-children.parquet', bytes: craftParquet({ schema: [root(1), struct({ 4: bin('g'), 5: i32(-5) })] }), expect: /unreadable parquet metadata: the footer is malformed \(a field is missing or of the wrong type\)|claims -5 children/ },
    { name: 'group-as-leaf.parquet', bytes: craftParquet({ schema: [root(1), struct({ 4: bin('text') })] }), expect: /is a column without a type/ },
    { name: 'nested-99990.parquet', bytes: craftParquet({ schema: deepSchema(99_990) }), expect: /nested more than 64 levels deep/ },
    { name: 'no-encodings.parquet', bytes: craftParquet({ columnMeta: { 2: undefined } }), expect: /row group 0 column 0 has no list of encodings/ },
    { name: 'no-path.parquet', bytes: craftParquet({ columnMeta: { 3: undefined } }), expect: /unreadable parquet metadata: the footer is malformed|row group 0 column 0 has no path in the schema/ },
    { name: 'negative-size.parquet', bytes: craftParquet({ columnMeta: { 7: i64(-1) } }), expect: /claims total_compressed_size -1/ },
    { name: 'two-columns-one-chunk.parquet', bytes: craftParquet({ schema: [root(2), leaf('text'), leaf('more')] }), expect: /row group 0 has 1 column chunks for 2 schema columns/ },
    { name: 'values-2^31.parquet', bytes: craftParquet({ dataPageHeader: { 1: i32(2 ** 31 - 1) } }), expect: /^(?!)|./ },
    { name: 'uncompressed-2^31.parquet', bytes: craftParquet({ codec: 'GZIP', pageHeader: { 2: i32(2 ** 31 - 1) } }), expect: /rows 1-2: cannot decode parquet data/ },
    { name: 'compressed-2^31.parquet', bytes: craftParquet({ pageHeader: { 3: i32(2 ** 31 - 1) } }), expect: /rows 1-2: cannot decode parquet data/ },
    { name: 'gzip-bomb.parquet', bytes: craftParquet({ codec: 'GZIP', pageBytes: bomb }), expect: /rows 1-2: cannot decode parquet data/ },
    { name: 'gzip-bomb-claimed.parquet', bytes: craftParquet({ codec: 'GZIP', pageBytes: bomb, pageHeader: { 2: i32(48 * MiB) } }), expect: /rows 1-2: cannot decode parquet data/ },
    // The header claims the true page size; the stream inflates far past it, or claims more itself.
    { name: 'snappy-bomb.parquet', bytes: craftParquet({ codec: 'SNAPPY', pageBytes: snappyBomb(48 * MiB) }), expect: /rows 1-2: cannot decode parquet data/ },
    { name: 'snappy-claims-1GiB.parquet', bytes: craftParquet({ codec: 'SNAPPY', pageBytes: snappyBomb(64, 1024 * MiB) }), expect: /rows 1-2: cannot decode parquet data/ },
    { name: 'zstd-bomb.parquet', bytes: craftParquet({ codec: 'ZSTD', pageBytes: zstdBomb(48 * MiB) }), expect: /rows 1-2: cannot decode parquet data/ },
    { name: 'zstd-claims-1GiB.parquet', bytes: craftParquet({ codec: 'ZSTD', pageBytes: zstdBomb(64, 1024 * MiB) }), expect: /rows 1-2: cannot decode parquet data/ },
    { name: 'zstd-bomb-claimed.parquet', bytes: craftParquet({ codec: 'ZSTD', pageBytes: zstdBomb(48 * MiB), pageHeader: { 2: i32(48 * MiB) } }), expect: /rows 1-2: cannot decode parquet data/ },
    { name: 'footer-claims-4GiB.parquet', bytes: Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(16), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from('PAR1')]), expect: /the footer claims 4294967295 bytes/ },
    { name: 'rows-lie.parquet', bytes: craftParquet({ rows: 2 ** 40 }), expect: /./ },
    { name: 'bad-utf8.parquet', bytes: craftParquet({ values: ['ok', new Uint8Array([0x6f, 0xff, 0xfe])] }), expect: /rows 1-2: cannot decode parquet data: .*not valid UTF8/ },
    { name: 'huge-row.parquet', bytes: craftParquet({ values: ['ok', big] }), expect: /row 2: the row holds 1\.0 MiB of text, over the 1 MiB row limit/ },
    { name: 'huge-line.jsonl', bytes: `${chat(0)}\n{"text":"${big}"}\n`, expect: /^huge-line\.jsonl: line 2: the line is over the 1 MiB row limit/ },
    { name: 'endless-line.jsonl', bytes: `{"text":"${big}`, expect: /^endless-line\.jsonl: line 1: the line is over the 1 MiB row limit/ },
    { name: 'huge-element.json', bytes: `[${chat(0)}, {"text":"${big}"}]`, expect: /^huge-element\.json: row 2: the row is over the 1 MiB row limit/ },
    { name: 'huge-record.csv', bytes: `text\nfine\n"${big}"\n`, expect: /^huge-record\.csv: row 2: the row is over the 1 MiB row limit/ },
    { name: 'bad-utf8.jsonl', bytes: Buffer.concat([Buffer.from(`${chat(0)}\n{"text":"o`), Buffer.from([0xc0, 0x80]), Buffer.from('"}\n')]), expect: /^bad-utf8\.jsonl: line 2: invalid UTF-8/ },
    { name: 'bad-utf8.json', bytes: Buffer.concat([Buffer.from(`[{"text":"o`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]')]), expect: /^bad-utf8\.json: row 1: invalid UTF-8/ },
    { name: 'bad-utf8.csv', bytes: Buffer.concat([Buffer.from('text\nfine\no'), Buffer.from([0xff]), Buffer.from('\n')]), expect: /^bad-utf8\.csv: row \d+: invalid UTF-8/ },
  ];
}

describe('fuzzing the converter', () => {
  it('ends every structural class as InvalidDataset with a clear message, quickly', async () => {
    for (const input of structuralInputs()) {
      const started = performance.now();
      const outcome = await convert(input.name, input.bytes);
      if (input.name === 'values-2^31.parquet' || input.name === 'rows-lie.parquet') {
        // Counts that lie are harmless to DuckDB (it decodes what the page holds); any end is fine but a raw one.
      } else {
        expect({ name: input.name, error: outcome.ok ? `converted ${outcome.rows} rows` : outcome.error }).toEqual({ name: input.name, error: expect.stringMatching(input.expect) });
      }
      expect(performance.now() - started).toBeLessThan(5000);
    }
  });

  it(`ends ${7 * MUTANTS_PER_BASE} byte mutations of valid inputs as rows or InvalidDataset (seed ${SEED})`, async () => {
    const tally = { ok: 0, refused: 0 };
    for (const base of await baseInputs()) {
      expect(await convert(base.name, base.bytes)).toMatchObject({ ok: true });
      for (let m = 0; m < MUTANTS_PER_BASE; m++) {
        const outcome = await convert(base.name, mutate(base.bytes, base.name.endsWith('.parquet')));
        tally[outcome.ok ? 'ok' : 'refused']++;
      }
    }
    // Most mutants must be refused (a test that converted everything would prove nothing).
    expect(tally.refused).toBeGreaterThan(tally.ok);
  });
});

