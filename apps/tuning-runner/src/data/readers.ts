/**
 * Streaming readers, one per input format (parquet in `parquet.ts`). Each yields batches of raw
 * records so the caller pays one await per batch, not per row; memory holds one batch (2,048
 * parquet rows, ~1 MiB of text for the others) and at most one row of `maxRowBytes`.
 */
import { createReadStream } from 'node:fs';
import { pipeline, Transform } from 'node:stream';
import { parse as parseCsv, CsvError } from 'csv-parse';
import { DatasetError } from '../errors.js';
import type { InputFormat } from './detect.js';
import { readParquet } from './parquet.js';
import { DEFAULT_LIMITS, showBytes, type Limits } from './limits.js';

export interface RowBatch {
  /** `row` counts records from 1; `line` is the JSONL line number. */
  readonly unit: 'row' | 'line';
  /** Location of `values[i]` is `numbers[i]`. */
  readonly numbers: readonly number[];
  readonly values: readonly unknown[];
}

const BATCH = 1024;
const CHUNK = 1 << 20;
/**
 * A batch also ends once its records hold this much text: 1,024 rows of a few MiB each are
 * gigabytes held at once (600 rows of 1 MiB peaked at 870 MB), past the converter's memory cap.
 */
const BATCH_TEXT = 1 << 20;

class InvalidUtf8 extends Error {}

function problemOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * JSON Lines, split on newline bytes: a line's chunks are kept as they came and joined once
 * when its newline arrives, so a huge line costs linear time (re-scanning a growing string for
 * "\n" was quadratic: 18 s for a 200 MB line), and a line past `maxRowBytes` is refused as soon
 * as it passes the limit. Each line is decoded with a fatal UTF-8 decoder.
 */
export async function* readJsonl(path: string, name: string, limits: Limits = DEFAULT_LIMITS): AsyncGenerator<RowBatch> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let pieces: Buffer[] = [];
  let pending = 0;
  let line = 0;
  let numbers: number[] = [];
  let values: unknown[] = [];
  let batchText = 0;
  const take = (bytes: Buffer): void => {
    line++;
    batchText += bytes.length;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch (err) {
      throw new DatasetError(name, `line ${line}`, 'invalid UTF-8: the line holds bytes that are not UTF-8 text', { cause: err });
    }
    const trimmed = line === 1 ? text.replace(/^\uFEFF/, '').trim() : text.trim();
    if (trimmed === '') return;
    try {
      values.push(JSON.parse(trimmed));
    } catch (err) {
      throw new DatasetError(name, `line ${line}`, `invalid JSON: ${problemOf(err)}`, { cause: err });
    }
    numbers.push(line);
  };
  const tooLong = (): DatasetError =>
    new DatasetError(name, `line ${line + 1}`, `the line is over the ${showBytes(limits.maxRowBytes)} row limit (maxRowBytes)`);
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (pending + nl - start > limits.maxRowBytes) throw tooLong();
      const piece = chunk.subarray(start, nl);
      take(pieces.length === 0 ? piece : Buffer.concat([...pieces, piece]));
      pieces = [];
      pending = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending += chunk.length - start;
      if (pending > limits.maxRowBytes) throw tooLong();
      pieces.push(chunk.subarray(start));
    }
    if (values.length >= BATCH || batchText >= BATCH_TEXT) {
      if (values.length > 0) yield { unit: 'line', numbers, values };
      numbers = [];
      values = [];
      batchText = 0;
    }
  }
  if (pending > 0) take(Buffer.concat(pieces));
  if (values.length > 0) yield { unit: 'line', numbers, values };
}

/** A top-level JSON array, split into elements by a small scanner and parsed one at a time. */
export async function* readJsonArray(path: string, name: string, limits: Limits = DEFAULT_LIMITS): AsyncGenerator<RowBatch> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const decode = (chunk?: Buffer): string => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch (err) {
      throw new DatasetError(name, `row ${row + 1}`, 'invalid UTF-8: the file holds bytes that are not UTF-8 text', { cause: err });
    }
  };
  type State = 'start' | 'before-first' | 'after-comma' | 'in' | 'end';
  let state = 'start' as State;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = '';
  let row = 0;
  let numbers: number[] = [];
  let values: unknown[] = [];
  let batchText = 0;
  const tooLong = (): DatasetError => new DatasetError(name, `row ${row + 1}`, `the row is over the ${showBytes(limits.maxRowBytes)} row limit (maxRowBytes)`);
  const finish = (text: string): void => {
    if (text.length > limits.maxRowBytes) throw tooLong();
    row++;
    batchText += text.length;
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
    if (state === 'in') {
      element += text.slice(segment);
      // UTF-16 units, a lower bound on the bytes: refused before the element grows further.
      if (element.length > limits.maxRowBytes) throw tooLong();
    }
  };
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    process(decode(chunk));
    if (values.length >= BATCH || batchText >= BATCH_TEXT) {
      if (values.length > 0) yield { unit: 'row', numbers, values };
      numbers = [];
      values = [];
      batchText = 0;
    }
  }
  process(decode());
  if (state !== 'end') throw new DatasetError(name, row > 0 ? `row ${row + 1}` : undefined, 'invalid JSON: the array is not closed (truncated file?)');
  if (values.length > 0) yield { unit: 'row', numbers, values };
}

export async function* readCsv(path: string, name: string, limits: Limits = DEFAULT_LIMITS): AsyncGenerator<RowBatch> {
  // pipeline, not .pipe(): a read error must reach the parser (else it is an unhandled 'error'
  // event that kills the process), and stopping early must close the file. The text goes
  // through a fatal UTF-8 decoder first: csv-parse would replace invalid bytes silently.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const utf8 = new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done): void {
      try {
        done(null, decoder.decode(chunk, { stream: true }));
      } catch {
        done(new InvalidUtf8());
      }
    },
    flush(done): void {
      try {
        done(null, decoder.decode());
      } catch {
        done(new InvalidUtf8());
      }
    },
  });
  const parser = pipeline(
    createReadStream(path, { highWaterMark: CHUNK }),
    utf8,
    parseCsv({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: false, max_record_size: limits.maxRowBytes }),
    () => undefined, // errors surface through the for-await below
  );
  let row = 0;
  let numbers: number[] = [];
  let values: unknown[] = [];
  let text = 0;
  try {
    for await (const record of parser) {
      row++;
      numbers.push(row);
      values.push(record);
      for (const cell of Object.values(record as Record<string, unknown>)) text += typeof cell === 'string' ? cell.length : 0;
      if (values.length >= BATCH || text >= BATCH_TEXT) {
        yield { unit: 'row', numbers, values };
        numbers = [];
        values = [];
        text = 0;
      }
    }
  } catch (err) {
    if (err instanceof InvalidUtf8) throw new DatasetError(name, `row ${row + 1}`, 'invalid UTF-8: the file holds bytes that are not UTF-8 text', { cause: err });
    if (err instanceof CsvError && err.code === 'CSV_MAX_RECORD_SIZE') {
      throw new DatasetError(name, `row ${row + 1}`, `the row is over the ${showBytes(limits.maxRowBytes)} row limit (maxRowBytes)`, { cause: err });
    }
    if (err instanceof CsvError) throw new DatasetError(name, `row ${row + 1}`, `invalid CSV: ${err.message}`, { cause: err });
    throw err;
  }
  if (values.length > 0) yield { unit: 'row', numbers, values };
}

export function readerFor(format: InputFormat): (path: string, name: string, limits: Limits) => AsyncGenerator<RowBatch> {
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
