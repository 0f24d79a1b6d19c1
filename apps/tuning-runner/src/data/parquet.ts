/**
 * Parquet rows through DuckDB (`@duckdb/node-api`): chosen over hyparquet and parquet-wasm by
 * the side-by-side measurement in docs/tuning.md (the only one of the three that holds a large
 * row group in bounded memory, and the fastest). DuckDB streams `read_parquet` in chunks of
 * 2,048 rows with one thread and a memory limit, decompresses each page into a buffer of the size
 * its header claims (inside that limit), and refuses invalid UTF-8. The footer is checked in JS
 * first (`parquet-footer.ts`), since DuckDB trusts its schema.
 */
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, JSDuckDBValueConverter, type DuckDBResult, type DuckDBValueConverter, type JS } from '@duckdb/node-api';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatasetError } from '../errors.js';
import { showBytes, type Limits } from './limits.js';
import { readCheckedFooter, type RowGroupSpan } from './parquet-footer.js';
import type { RowBatch } from './readers.js';

/**
 * DuckDB's JS values, except that a null list or struct is `undefined`, as hyparquet (the
 * previous reader) gave it: error messages stay what they were ("got nothing").
 */
const toJs: DuckDBValueConverter<JS> = (value, type, converter) => {
  if (value === null) return type.typeId === DuckDBTypeId.LIST || type.typeId === DuckDBTypeId.STRUCT ? (undefined as unknown as JS) : null;
  return JSDuckDBValueConverter(value, type, converter);
};

/** Longer than any DuckDB message about the file itself; only quoted data makes one longer. */
const MAX_PROBLEM_CHARS = 500;

function problemOf(err: unknown, path: string, name: string, limits: Limits): string {
  // DuckDB names the local path (the user knows the file by its name) and follows its first
  // line with advice for SQL users ("SET threads=…") that means nothing here.
  // It also quotes the offending value whole (megabytes of a row with one bad byte), which would
  // flood the log line and the progress file: long quoted values are cut, then the line itself.
  const line = (err instanceof Error ? err.message : String(err)).split(path).join(name).split('\n')[0] ?? '';
  const cut = line.replace(/"([^"]{40})[^"]{8,}"/g, '"$1…"');
  const first = cut.length > MAX_PROBLEM_CHARS ? `${cut.slice(0, MAX_PROBLEM_CHARS)}…` : cut;
  if (/^Out of Memory Error/.test(first)) {
    return `a page or value needs more than the ${showBytes(limits.parquetMemoryBytes)} the parquet reader may use (parquetMemoryBytes): ${first}`;
  }
  return first;
}

// binary_as_string: strings that older writers left unannotated are text, as hyparquet read them
// (DuckDB would give blobs); DuckDB checks them as UTF-8 like annotated ones.
const SELECT = 'SELECT * FROM read_parquet($path, binary_as_string = true)';
/** DuckDB's chunk size: the stream decodes up to this many rows ahead of the consumer. */
const CHUNK_ROWS = 2048;

/**
 * Which row group a decode error came from. The stream decodes ahead of the rows it has
 * delivered (a chunk may span groups), so on failure, and only then, the groups from the first
 * undelivered row on are read again one by one (DuckDB skips the other groups by row number)
 * until one fails: its rows and its error are what the user sees.
 */
async function locate(connection: DuckDBConnection, path: string, groups: readonly RowGroupSpan[], next: number, err: unknown): Promise<{ where: string; err: unknown }> {
  for (const g of groups) {
    if (g.last < next) continue;
    if (g.first > next + 2 * CHUNK_ROWS) break;
    try {
      const result = await connection.stream(`${SELECT.replace(')', ', file_row_number = true)')} WHERE file_row_number BETWEEN ${g.first - 1} AND ${g.last - 1}`, { path });
      while ((await result.fetchChunk())?.rowCount) {
        /* drained: this group decodes */
      }
    } catch (groupErr) {
      return { where: `rows ${g.first}-${g.last}`, err: groupErr };
    }
  }
  const first = groups.find((g) => g.last >= next);
  return { where: first ? `rows ${first.first}-${first.last}` : `row ${next}`, err };
}

/**
 * DuckDB reads a path with `*`, `?`, `[` or `{` as a glob (`x*.parquet` would read its neighbours
 * too), and has no switch for that: it is given a link with a plain name in a private directory.
 */
async function plainPath(path: string): Promise<{ link: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tuning-parquet-'));
  const link = join(dir, 'input.parquet');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  if (GLOB.test(link)) {
    await remove();
    throw new Error(`the temporary directory ${dir} has a glob character in its path; set TMPDIR to a plain path`);
  }
  await symlink(resolve(path), link);
  return { link, remove };
}
const GLOB = /[*?[\]{}]/;

export async function* readParquet(file: string, name: string, limits: Limits): AsyncGenerator<RowBatch> {
  const { groups } = await readCheckedFooter(file, name, limits);
  const { link, remove } = await plainPath(file);
  try {
    yield* readRows(link, name, groups, limits);
  } finally {
    await remove();
  }
}

async function* readRows(path: string, name: string, groups: readonly RowGroupSpan[], limits: Limits): AsyncGenerator<RowBatch> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '1',
    memory_limit: `${Math.floor(limits.parquetMemoryBytes / 1024)}KiB`,
    max_temp_directory_size: '0KiB', // a scan needs no spilling; a file must not make it spill
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const connection = await instance.connect();
  try {
    const fail = async (err: unknown, next: number): Promise<DatasetError> => {
      const found = await locate(connection, path, groups, next, err);
      return new DatasetError(name, found.where, `cannot decode parquet data: ${problemOf(found.err, path, name, limits)}`, { cause: found.err });
    };
    let result: DuckDBResult;
    try {
      // The footer passed our checks; starting the stream already decodes the first pages.
      result = await connection.stream(SELECT, { path });
    } catch (err) {
      throw await fail(err, 1);
    }
    const columns = result.columnNames();
    let done = 0;
    for (;;) {
      let rows: unknown[][];
      try {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        rows = chunk.convertRows(toJs);
      } catch (err) {
        throw await fail(err, done + 1);
      }
      const numbers = new Array<number>(rows.length);
      const values = new Array<Record<string, unknown>>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as unknown[];
        const value: Record<string, unknown> = {};
        for (let c = 0; c < columns.length; c++) value[columns[c] as string] = row[c];
        values[i] = value;
        numbers[i] = ++done;
      }
      yield { unit: 'row', numbers, values };
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
