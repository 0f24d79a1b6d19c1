/**
 * The parquet corpus: files from hyparquet-writer (v2 pages) and from pyarrow (v1 pages,
 * dictionaries, many pages and row groups, the writer behind HF datasets) must give exactly the
 * JSONL bytes and the errors the converter gave before DuckDB read them (the expectations below
 * are those of the previous, hyparquet-based path).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { DatasetError } from '../errors.js';
import { craftParquet, i32, bin, struct } from '../testing/parquet-craft.js';
import { DOLLY_SCHEMA, dollyRows, writeDollyParquet, type ChatRow } from '../testing/fixtures.js';
import { trainerPython } from '../testing/processes.js';
import { convertToJsonl } from './convert.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tr-parquet-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

type Outcome = { ok: true; jsonl: string } | { ok: false; error: string };

async function convert(path: string): Promise<Outcome> {
  const out = join(dir, 'out.jsonl');
  try {
    await convertToJsonl([{ path, name: 'chat.parquet' }], out);
    return { ok: true, jsonl: await readFile(out, 'utf8') };
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return { ok: false, error: (err as Error).message };
  }
}

/** The JSONL the converter writes for chat rows: role first, one line each. */
function jsonlOf(rows: readonly ChatRow[]): string {
  return rows.map((r) => `${JSON.stringify({ messages: r.messages.map((m) => ({ role: m.role, content: m.content })) })}\n`).join('');
}

const TRICKY = [
  'quotes " and \\ backslashes',
  'new\nlines\r\nand\ttabs \b\f',
  'control \u0001\u001f and DEL \u007f',
  'unicode: héllo wörld — 東京 🚀 \u2028 separator',
  '',
  'x'.repeat(70_000),
  Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join(''),
  `${'a'.repeat(15)}"${'b'.repeat(15)}\\${'c'.repeat(16)}\n`,
  `${'x'.repeat(14)}😀𝄞${'é'.repeat(9)}\u2029\uFEFF${'東'.repeat(7)}`,
];

function trickyRows(): ChatRow[] {
  const rows = dollyRows(30);
  TRICKY.forEach((text, i) => {
    rows[i * 3]!.messages[(i % 3) as 0 | 1 | 2]!.content = text;
  });
  return rows;
}

/** Writes rows (JSON) with pyarrow: data page v1 by default, small pages so rows span many pages. */
const PYARROW_WRITER = `
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
rows = json.load(open(sys.argv[1]))
kind = pa.list_(pa.struct([("content", pa.string()), ("role", pa.string())]))
table = pa.table({"messages": pa.array([r["messages"] for r in rows], type=kind)})
pq.write_table(table, sys.argv[2], compression=sys.argv[3], data_page_size=int(sys.argv[4]),
               row_group_size=int(sys.argv[5]), data_page_version=sys.argv[6], use_dictionary=sys.argv[7] == "dict")
`;

async function pyarrowFile(rows: unknown[], options: { codec?: string; pageSize?: number; rowGroup?: number; pageVersion?: '1.0' | '2.0'; dictionary?: boolean } = {}): Promise<string> {
  const json = join(dir, 'rows.json');
  await writeFile(json, JSON.stringify(rows));
  const path = join(dir, 'pyarrow.parquet');
  const run = spawnSync(
    trainerPython(),
    ['-c', PYARROW_WRITER, json, path, options.codec ?? 'snappy', String(options.pageSize ?? 2048), String(options.rowGroup ?? 12), options.pageVersion ?? '1.0', options.dictionary === false ? 'plain' : 'dict'],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`pyarrow fixture failed:\n${run.stderr}`);
  return path;
}

function writerFile(data: unknown[], codec: 'UNCOMPRESSED' | 'SNAPPY' = 'UNCOMPRESSED'): Uint8Array {
  const writer = new ByteWriter();
  const w = new ParquetWriter({ writer, schema: [...DOLLY_SCHEMA], codec });
  w.write({ columnData: [{ name: 'messages', data }] });
  w.finish();
  return new Uint8Array(writer.getBuffer());
}

describe('parquet input', () => {
  it('writes strings that need escaping exactly as JSON.stringify does', async () => {
    const path = join(dir, 'tricky.parquet');
    const rows = trickyRows();
    await writeDollyParquet(path, rows, { rowGroupSize: 7 });
    expect(await convert(path)).toEqual({ ok: true, jsonl: jsonlOf(rows) });
  });

  it.each([
    ['v1 pages with dictionaries', { pageVersion: '1.0', dictionary: true }],
    ['v1 pages without dictionaries', { pageVersion: '1.0', dictionary: false }],
    ['v2 pages', { pageVersion: '2.0', dictionary: true }],
    ['gzip', { codec: 'gzip' }],
    ['zstd', { codec: 'zstd' }],
    ['one big row group', { rowGroup: 1000, pageSize: 512 }],
  ] as const)('reads pyarrow files with %s', async (_name, options) => {
    const rows = trickyRows();
    expect(await convert(await pyarrowFile(rows, options))).toEqual({ ok: true, jsonl: jsonlOf(rows) });
  });

  it.each([
    ['a null role', { messages: [{ role: null, content: 'x' }] }, 'chat.parquet: row 2: messages[0].role: expected one of system, user, assistant, tool, got null'],
    ['an unknown role', { messages: [{ role: 'user', content: 'a' }, { role: 'bot', content: 'b' }] }, 'chat.parquet: row 2: messages[1].role: expected one of system, user, assistant, tool, got "bot"'],
    ['a null content', { messages: [{ role: 'user', content: null }] }, 'chat.parquet: row 2: messages[0].content: expected a string, got null'],
    ['an empty message list', { messages: [] }, 'chat.parquet: row 2: messages: expected at least one message, got an empty list'],
    ['a null message list', { messages: null }, 'chat.parquet: row 2: messages: expected a list of {role, content}, got nothing'],
    ['a null message', { messages: [null] }, 'chat.parquet: row 2: messages[0]: expected {role, content}, got nothing'],
  ])('reports %s with the row and field', async (_name, bad, message) => {
    const rows = [dollyRows(1)[0], bad, dollyRows(1, 2)[0]];
    expect(await convert(await pyarrowFile(rows))).toEqual({ ok: false, error: message });
  });

  it('reports an unknown role in a PLAIN-encoded role column', async () => {
    const rows = [dollyRows(1)[0], { messages: [{ role: 'user', content: 'a' }, { role: 'User', content: 'b' }] }];
    expect(await convert(await pyarrowFile(rows, { dictionary: false }))).toEqual({
      ok: false,
      error: 'chat.parquet: row 2: messages[1].role: expected one of system, user, assistant, tool, got "User"',
    });
  });

  it.each([
    ['an overlong encoding', [0xc0, 0x80]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a cut sequence', [0xe6, 0x97]],
    ['a lone continuation byte', [0x80]],
    ['a byte never in UTF-8', [0xf8]],
  ])('refuses %s instead of replacing it, naming the rows', async (_name, bad) => {
    const content = new Uint8Array([...Buffer.from('xyz'), ...bad, ...Buffer.from(' tail')]);
    for (const codec of ['UNCOMPRESSED', 'SNAPPY'] as const) {
      const path = join(dir, `utf8-${codec}.parquet`);
      await writeFile(path, writerFile([[{ role: 'user', content: 'fine' }], [{ role: 'user', content }], [{ role: 'user', content: 'fine again' }]], codec));
      const outcome = await convert(path);
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error).toMatch(/^chat\.parquet: rows 1-3: cannot decode parquet data: .*not valid UTF8/);
    }
  });

  it('writes rows of megabytes of characters to escape', async () => {
    const rows = dollyRows(6);
    rows[1]!.messages[2]!.content = '"\n\\'.repeat(700_000);
    rows[4]!.messages[0]!.content = `${'\u0001'.repeat(500_000)}${'é'.repeat(300_000)}`;
    const path = join(dir, 'big.parquet');
    await writeDollyParquet(path, rows, { rowGroupSize: 4 });
    expect(await convert(path)).toEqual({ ok: true, jsonl: jsonlOf(rows) });
  });

  it('reads pages that grow from row group to row group, and rows spanning many pages', async () => {
    const rows = dollyRows(40).map((r, i) => ({ messages: r.messages.map((m) => ({ ...m, content: `${m.content} ${'"ab\tc'.repeat(i * i * 20)}` })) }));
    expect(await convert(await pyarrowFile(rows, { pageSize: 4096, rowGroup: 7, dictionary: false }))).toEqual({ ok: true, jsonl: jsonlOf(rows) });
  });

  it('names the row group (its rows) whose data cannot be decoded', async () => {
    const path = join(dir, 'groups.parquet');
    await writeDollyParquet(path, dollyRows(40), { rowGroupSize: 20, codec: 'UNCOMPRESSED' });
    const bytes = await readFile(path);
    // The second row group's first page header: find it after the first group's data.
    const { parquetMetadata } = await import('hyparquet');
    const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const at = Number(meta.row_groups[1]?.columns[0]?.meta_data?.data_page_offset);
    bytes.fill(0xff, at, at + 40);
    await writeFile(path, bytes);
    const outcome = await convert(path);
    expect(!outcome.ok && outcome.error).toMatch(/^chat\.parquet: rows 21-40: cannot decode parquet data: /);
  });

  it('reads a file whose name has glob characters, and only that file', async () => {
    const rows = dollyRows(3);
    await writeDollyParquet(join(dir, 'train*.parquet'), rows);
    await writeDollyParquet(join(dir, 'train-other.parquet'), dollyRows(5, 9));
    expect(await convert(join(dir, 'train*.parquet'))).toEqual({ ok: true, jsonl: jsonlOf(rows) });
    await writeDollyParquet(join(dir, 'a[1].parquet'), rows);
    await writeDollyParquet(join(dir, 'a1.parquet'), dollyRows(5, 9));
    expect(await convert(join(dir, 'a[1].parquet'))).toEqual({ ok: true, jsonl: jsonlOf(rows) });
  });

  it('reads a BYTE_ARRAY column without a UTF8 annotation as text, as hyparquet did, and refuses it when it is not UTF-8', async () => {
    // Older writers (Hive, Impala, parquet-go) leave strings unannotated; DuckDB would give them as blobs.
    const schema = [struct({ 4: bin('schema'), 5: i32(1) }), struct({ 1: i32(6), 3: i32(0), 4: bin('text') })];
    const plain = join(dir, 'plain.parquet');
    await writeFile(plain, craftParquet({ schema, values: ['first row', 'second row'] }));
    expect(await convert(plain)).toEqual({ ok: true, jsonl: '{"text":"first row"}\n{"text":"second row"}\n' });
    const bad = join(dir, 'bad.parquet');
    await writeFile(bad, craftParquet({ schema, values: ['ok', new Uint8Array([0x6f, 0xff])] }));
    expect(await convert(bad)).toEqual({ ok: false, error: expect.stringMatching(/^chat\.parquet: rows 1-2: cannot decode parquet data: .*not valid UTF8/) });
  });

  it('cuts the bad value DuckDB quotes, so a megabyte row does not become a megabyte message', async () => {
    const path = join(dir, 'long.parquet');
    await writeFile(path, craftParquet({ values: ['ok', new Uint8Array(Buffer.concat([Buffer.from('a'.repeat(1 << 20)), Buffer.from([0xff])]))] }));
    const outcome = await convert(path);
    expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/^chat\.parquet: rows 1-2: cannot decode parquet data: .*value "a{40}…" is not valid UTF8/) });
    expect(!outcome.ok && outcome.error.length).toBeLessThan(600);
  });
});
