/**
 * Streaming readers, one per input format. Each yields batches of raw records so the caller
 * pays one await per batch, not per row; memory holds one batch (one parquet row group, ~1 MiB
 * of text for the others).
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream';
import { parse as parseCsv, CsvError } from 'csv-parse';
import { parquetMetadataAsync, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DatasetError } from '../errors.js';
import type { InputFormat } from './detect.js';
import { openFileBuffer } from './file-buffer.js';

export interface RowBatch {
  /** `row` counts records from 1; `line` is the JSONL line number. */
  readonly unit: 'row' | 'line';
  /** Location of `values[i]` is `numbers[i]`. */
  readonly numbers: readonly number[];
  readonly values: readonly unknown[];
}

const BATCH = 1024;
const CHUNK = 1 << 20;

function problemOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function* readJsonl(path: string, name: string): AsyncGenerator<RowBatch> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  let numbers: number[] = [];
  let values: unknown[] = [];
  const take = (text: string): void => {
    line++;
    const trimmed = line === 1 ? text.replace(/^\uFEFF/, '').trim() : text.trim();
    if (trimmed === '') return;
    try {
      values.push(JSON.parse(trimmed));
    } catch (err) {
      throw new DatasetError(name, `line ${line}`, `invalid JSON: ${problemOf(err)}`, { cause: err });
    }
    numbers.push(line);
  };
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    const text = rest + decoder.write(chunk as Buffer);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      take(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    if (values.length >= BATCH) {
      yield { unit: 'line', numbers, values };
      numbers = [];
      values = [];
    }
  }
  rest += decoder.end();
  if (rest.trim() !== '') take(rest);
  if (values.length > 0) yield { unit: 'line', numbers, values };
}

/** A top-level JSON array, split into elements by a small scanner and parsed one at a time. */
export async function* readJsonArray(path: string, name: string): AsyncGenerator<RowBatch> {
  const decoder = new StringDecoder('utf8');
  type State = 'start' | 'before-first' | 'after-comma' | 'in' | 'end';
  let state = 'start' as State;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = '';
  let row = 0;
  let numbers: number[] = [];
  let values: unknown[] = [];
  const finish = (text: string): void => {
    row++;
    try {
      values.push(JSON.parse(text));
    } catch (err) {
      throw new DatasetError(name, `row ${row}`, `invalid JSON: ${problemOf(err)}`, { cause: err });
    }
    numbers.push(row);
  };
  const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff;
  const process = (text: string): void => {
    let segment = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (state === 'in') {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) inString = false;
          continue;
        }
        if (c === 0x22) inString = true;
        else if (c === 0x7b || c === 0x5b) depth++;
        else if ((c === 0x7d || c === 0x5d) && depth > 0) depth--;
        else if (depth === 0 && (c === 0x2c || c === 0x5d)) {
          finish(element + text.slice(segment, i));
          element = '';
          state = c === 0x2c ? 'after-comma' : 'end';
        }
        continue;
      }
      if (isSpace(c)) continue;
      const ch = String.fromCharCode(c);
      if (state === 'start') {
        if (c !== 0x5b) throw new DatasetError(name, undefined, `not a JSON array: expected "[" first, got ${JSON.stringify(ch)}`);
        state = 'before-first';
      } else if (state === 'end') {
        throw new DatasetError(name, undefined, `unexpected ${JSON.stringify(ch)} after the end of the JSON array`);
      } else if (c === 0x5d && state === 'before-first') {
        state = 'end';
      } else if (c === 0x5d || c === 0x2c) {
        throw new DatasetError(name, `row ${row + 1}`, `invalid JSON: unexpected ${JSON.stringify(ch)}`);
      } else {
        state = 'in';
        segment = i;
        depth = 0;
        i--; // re-read this character inside the element
      }
    }
    if (state === 'in') element += text.slice(segment);
  };
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    process(decoder.write(chunk as Buffer));
    if (values.length >= BATCH) {
      yield { unit: 'row', numbers, values };
      numbers = [];
      values = [];
    }
  }
  process(decoder.end());
  if (state !== 'end') throw new DatasetError(name, row > 0 ? `row ${row + 1}` : undefined, 'invalid JSON: the array is not closed (truncated file?)');
  if (values.length > 0) yield { unit: 'row', numbers, values };
}

export async function* readCsv(path: string, name: string): AsyncGenerator<RowBatch> {
  // pipeline, not .pipe(): a read error must reach the parser (else it is an unhandled 'error'
  // event that kills the process), and stopping early must close the file.
  const parser = pipeline(
    createReadStream(path, { highWaterMark: CHUNK }),
    parseCsv({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: false }),
    () => undefined, // errors surface through the for-await below
  );
  let row = 0;
  let numbers: number[] = [];
  let values: unknown[] = [];
  try {
    for await (const record of parser) {
      row++;
      numbers.push(row);
      values.push(record);
      if (values.length >= BATCH) {
        yield { unit: 'row', numbers, values };
        numbers = [];
        values = [];
      }
    }
  } catch (err) {
    if (err instanceof CsvError) throw new DatasetError(name, `row ${row + 1}`, `invalid CSV: ${err.message}`, { cause: err });
    throw err;
  }
  if (values.length > 0) yield { unit: 'row', numbers, values };
}

/** One row group at a time through a file-backed AsyncBuffer. */
export async function* readParquet(path: string, name: string): AsyncGenerator<RowBatch> {
  const file = await openFileBuffer(path);
  try {
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file);
    } catch (err) {
      throw new DatasetError(name, undefined, `unreadable parquet metadata: ${problemOf(err)}`, { cause: err });
    }
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, compressors });
      } catch (err) {
        throw new DatasetError(name, `rows ${start + 1}-${end}`, `cannot decode parquet data: ${problemOf(err)}`, { cause: err });
      }
      const numbers = new Array<number>(rows.length);
      for (let i = 0; i < rows.length; i++) numbers[i] = start + i + 1;
      yield { unit: 'row', numbers, values: rows };
      start = end;
    }
  } finally {
    await file.close();
  }
}

export function readerFor(format: InputFormat): (path: string, name: string) => AsyncGenerator<RowBatch> {
  switch (format) {
    case 'parquet':
      return readParquet;
    case 'jsonl':
      return readJsonl;
    case 'json':
      return readJsonArray;
    case 'csv':
      return readCsv;
  }
}
