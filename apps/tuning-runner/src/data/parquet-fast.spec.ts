/**
 * The byte-level parquet path must be indistinguishable from the generic object path: same
 * JSONL bytes, same errors. Files come from hyparquet-writer (v2 pages) and from pyarrow
 * (v1 pages, dictionaries, many pages and row groups), the writer behind HF datasets.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { writeFile } from 'node:fs/promises';
import { DOLLY_SCHEMA, dollyRows, writeDollyParquet, type ChatRow } from '../testing/fixtures.js';
import { trainerPython } from '../testing/processes.js';
import { convertToJsonl } from './convert.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tr-fast-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

type Outcome = { ok: true; jsonl: string; fast: boolean } | { ok: false; error: string };

async function viaPath(path: string, fast: boolean): Promise<Outcome> {
  const out = join(dir, `out-${fast}.jsonl`);
  try {
    const result = await convertToJsonl([{ path, name: 'chat.parquet' }], out, { parquetFastPath: fast });
    return { ok: true, jsonl: await readFile(out, 'utf8'), fast: result.files[0]?.fast ?? false };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Both paths on one file; returns the fast path's outcome after checking they agree. */
async function bothPaths(path: string): Promise<Outcome> {
  const fast = await viaPath(path, true);
  const generic = await viaPath(path, false);
  if (fast.ok && generic.ok) {
    expect(fast.fast).toBe(true);
    expect(fast.jsonl).toBe(generic.jsonl);
  } else {
    expect(fast).toEqual(generic);
  }
  return fast;
}

const TRICKY = [
  'quotes " and \\ backslashes',
  'new\nlines\r\nand\ttabs \b\f',
  'control \u0001\u001f and DEL \u007f',
  'unicode: héllo wörld — 東京 🚀 \u2028 separator',
  '',
  'x'.repeat(70_000),
  // every control character; escapes and multi-byte characters on the kernel's 16-byte steps
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

function pyarrow(script: string, args: string[]): void {
  const run = spawnSync(trainerPython(), ['-c', script, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`pyarrow fixture failed:\n${run.stderr}`);
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
  pyarrow(PYARROW_WRITER, [
    json,
    path,
    options.codec ?? 'snappy',
    String(options.pageSize ?? 2048),
    String(options.rowGroup ?? 12),
    options.pageVersion ?? '1.0',
    options.dictionary === false ? 'plain' : 'dict',
  ]);
  return path;
}

describe('the parquet fast path', () => {
  it('writes the same JSONL as the generic path for strings that need escaping', async () => {
    const path = join(dir, 'tricky.parquet');
    await writeDollyParquet(path, trickyRows(), { rowGroupSize: 7 });
    const outcome = await bothPaths(path);
    expect(outcome.ok).toBe(true);
  });

  it.each([
    ['v1 pages with dictionaries', { pageVersion: '1.0', dictionary: true }],
    ['v1 pages without dictionaries', { pageVersion: '1.0', dictionary: false }],
    ['v2 pages', { pageVersion: '2.0', dictionary: true }],
    ['gzip', { codec: 'gzip' }],
    ['zstd', { codec: 'zstd' }],
    ['one big row group', { rowGroup: 1000, pageSize: 512 }],
  ] as const)('reads pyarrow files with %s like the generic path', async (_name, options) => {
    const outcome = await bothPaths(await pyarrowFile(trickyRows(), options));
    expect(outcome.ok && outcome.jsonl.split('\n').length).toBe(31);
  });

  it.each([
    ['a null role', { messages: [{ role: null, content: 'x' }] }, 'chat.parquet: row 2: messages[0].role: expected one of system, user, assistant, tool, got null'],
    ['an unknown role', { messages: [{ role: 'user', content: 'a' }, { role: 'bot', content: 'b' }] }, 'chat.parquet: row 2: messages[1].role: expected one of system, user, assistant, tool, got "bot"'],
    ['a null content', { messages: [{ role: 'user', content: null }] }, 'chat.parquet: row 2: messages[0].content: expected a string, got null'],
    ['an empty message list', { messages: [] }, 'chat.parquet: row 2: messages: expected at least one message, got an empty list'],
    ['a null message list', { messages: null }, 'chat.parquet: row 2: messages: expected a list of {role, content}, got nothing'],
    ['a null message', { messages: [null] }, 'chat.parquet: row 2: messages[0]: expected {role, content}, got nothing'],
  ])('reports %s exactly as the generic path does', async (_name, bad, message) => {
    const rows = [dollyRows(1)[0], bad, dollyRows(1, 2)[0]];
    const outcome = await bothPaths(await pyarrowFile(rows));
    expect(outcome).toEqual({ ok: false, error: message });
  });

  it('replaces invalid UTF-8 the way the generic path does', async () => {
    const writer = new ByteWriter();
    const w = new ParquetWriter({ writer, schema: [...DOLLY_SCHEMA], codec: 'UNCOMPRESSED' });
    const bad = new Uint8Array([0x6f, 0x6b, 0xff, 0xfe, 0x21]);
    w.write({
      columnData: [{ name: 'messages', data: [[{ role: 'user', content: 'fine' }], [{ role: 'user', content: bad }]] }],
    });
    w.finish();
    const path = join(dir, 'utf8.parquet');
    await writeFile(path, new Uint8Array(writer.getBuffer()));
    const outcome = await bothPaths(path);
    expect(outcome.ok && outcome.jsonl.split('\n')[1]).toBe('{"messages":[{"role":"user","content":"ok\uFFFD\uFFFD!"}]}');
  });

  it.each([
    ['an overlong encoding', [0xc0, 0x80]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a cut sequence', [0xe6, 0x97]],
    ['a lone continuation byte', [0x80]],
    ['a byte never in UTF-8', [0xf8]],
  ])('replaces %s in any message the way the generic path does', async (_name, bad) => {
    const content = (at: number): Uint8Array => new Uint8Array([...Buffer.from('x'.repeat(at)), ...bad, ...Buffer.from(' tail "q"')]);
    const data = [
      [{ role: 'user', content: 'fine' }],
      [
        { role: 'system', content: 'ok' },
        { role: 'user', content: content(3) },
      ],
      [
        { role: 'user', content: content(15) },
        { role: 'assistant', content: 'valid 😀' },
      ],
      [{ role: 'user', content: content(16) }],
      [{ role: 'user', content: 'fine again' }],
    ];
    for (const codec of ['UNCOMPRESSED', 'SNAPPY'] as const) {
      const writer = new ByteWriter();
      const w = new ParquetWriter({ writer, schema: [...DOLLY_SCHEMA], codec });
      w.write({ columnData: [{ name: 'messages', data }] });
      w.finish();
      const path = join(dir, `utf8-${codec}.parquet`);
      await writeFile(path, new Uint8Array(writer.getBuffer()));
      const outcome = await bothPaths(path);
      expect(outcome.ok && outcome.jsonl.split('\n').length).toBe(6);
      expect(outcome.ok && outcome.jsonl).toContain('\uFFFD');
    }
  });

  it('writes rows larger than its output buffer (megabytes of characters to escape)', async () => {
    const rows = dollyRows(6);
    rows[1]!.messages[2]!.content = '"\n\\'.repeat(700_000);
    rows[4]!.messages[0]!.content = `${'\u0001'.repeat(500_000)}${'é'.repeat(300_000)}`;
    const path = join(dir, 'big.parquet');
    await writeDollyParquet(path, rows, { rowGroupSize: 4 });
    const outcome = await bothPaths(path);
    expect(outcome.ok && outcome.jsonl.length).toBeGreaterThan(7_000_000);
  });

  it('reads pages that grow from row group to row group, and rows spanning many pages', async () => {
    const rows = dollyRows(40).map((r, i) => ({ messages: r.messages.map((m) => ({ ...m, content: `${m.content} ${'"ab\tc'.repeat(i * i * 20)}` })) }));
    const outcome = await bothPaths(await pyarrowFile(rows, { pageSize: 4096, rowGroup: 7, dictionary: false }));
    expect(outcome.ok && outcome.jsonl.split('\n').length).toBe(41);
  });

  it('reports an unknown role in a PLAIN-encoded role column exactly as the generic path does', async () => {
    const rows = [dollyRows(1)[0], { messages: [{ role: 'user', content: 'a' }, { role: 'User', content: 'b' }] }];
    const outcome = await bothPaths(await pyarrowFile(rows, { dictionary: false }));
    expect(outcome).toEqual({ ok: false, error: 'chat.parquet: row 2: messages[1].role: expected one of system, user, assistant, tool, got "User"' });
  });
});
