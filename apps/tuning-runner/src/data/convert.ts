/**
 * Inputs → one JSONL file the trainer reads. Every row of every input is validated and
 * normalised; all rows must share one format (TRL reads one schema per dataset). Output goes
 * through a write stream with backpressure, so memory stays flat whatever the input size.
 * Chat parquet files take the byte-level fast path in `parquet-fast.ts`; everything else is
 * read as JS objects by the streaming readers.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { parquetMetadataAsync, type FileMetaData } from 'hyparquet';
import { DatasetError } from '../errors.js';
import type { Logger } from '../logger.js';
import { detectFormat, type InputFormat } from './detect.js';
import { openFileBuffer } from './file-buffer.js';
import { normaliseRow, RowProblem, type NormalisedRow, type RowFormat } from './normalise.js';
import { convertRowGroupFast, JsonlBuffer, planFastParquet } from './parquet-fast.js';
import { readerFor } from './readers.js';

export interface InputFile {
  /** Path on disk. */
  readonly path: string;
  /** What errors call it: the URL's file name or the path under the data directory. */
  readonly name: string;
}

export interface ConvertResult {
  readonly rows: number;
  readonly format: RowFormat;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly files: readonly { name: string; format: InputFormat; rows: number; fast: boolean }[];
}

export interface ConvertOptions {
  readonly log?: Logger;
  /** Called now and then with rows so far (for the progress file). */
  readonly onProgress?: (rows: number) => void;
  /** The byte-level parquet path (default on); off reads every row as an object. */
  readonly parquetFastPath?: boolean;
}

const FLUSH_BYTES = 1 << 20;

/** The JSONL output: a byte buffer drained into the file stream with backpressure. */
class Output {
  readonly out = new JsonlBuffer(FLUSH_BYTES * 2);
  bytes = 0;
  private readonly failed: Promise<never>;

  constructor(private readonly stream: WriteStream) {
    this.failed = new Promise<never>((_, reject) => stream.once('error', reject));
    this.failed.catch(() => undefined);
  }

  /** Spare buffers: a chunk handed to the stream comes back here once written. */
  private readonly spare: Buffer[] = [];

  async flush(force = false): Promise<void> {
    const { out } = this;
    if (out.pos === 0 || (!force && out.pos < FLUSH_BYTES)) return;
    // The stream keeps the chunk until written: hand it over, continue in a spare buffer.
    const full = out.buf;
    const chunk = full.subarray(0, out.pos);
    const next = this.spare.pop();
    out.buf = next && next.length >= full.length ? next : Buffer.allocUnsafe(full.length);
    out.pos = 0;
    this.bytes += chunk.length;
    const ok = this.stream.write(chunk, (err) => {
      if (!err && this.spare.length < 4) this.spare.push(full);
    });
    if (!ok) await Promise.race([once(this.stream, 'drain'), this.failed]);
  }

  async close(): Promise<void> {
    await this.flush(true);
    this.stream.end();
    await Promise.race([once(this.stream, 'finish'), this.failed]);
  }

  destroy(): void {
    this.stream.destroy();
  }
}

export async function convertToJsonl(inputs: readonly InputFile[], outPath: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  if (inputs.length === 0) throw new DatasetError('inputs', undefined, 'no input files: give URLs or put files in the data directory');
  const output = new Output(createWriteStream(outPath));
  let format: RowFormat | undefined;
  let formatFrom = '';
  let rows = 0;
  let bytesIn = 0;
  const files: { name: string; format: InputFormat; rows: number; fast: boolean }[] = [];

  /** Every row goes through here: the one-format rule, then the JSONL line. */
  const accept = (name: string, where: string, rowFormat: RowFormat, row: NormalisedRow | undefined): void => {
    if (format === undefined) {
      format = rowFormat;
      formatFrom = `${name} ${where}`;
    } else if (rowFormat !== format) {
      throw new DatasetError(name, where, `row format "${rowFormat}" differs from "${format}" first seen at ${formatFrom}; every row needs the same format`);
    }
    if (row) output.out.text(JSON.stringify(row) + '\n');
  };
  const normalise = (name: string, where: string, value: unknown): void => {
    let normalised;
    try {
      normalised = normaliseRow(value);
    } catch (err) {
      if (err instanceof RowProblem) throw new DatasetError(name, where, err.toString());
      throw err;
    }
    accept(name, where, normalised.format, normalised.row);
  };

  /** The fast path for chat parquet; undefined when the file's layout is not the one it reads. */
  const convertParquetFast = async (input: InputFile): Promise<number | undefined> => {
    const file = await openFileBuffer(input.path);
    try {
      let metadata: FileMetaData;
      try {
        metadata = await parquetMetadataAsync(file);
      } catch (err) {
        throw new DatasetError(input.name, undefined, `unreadable parquet metadata: ${(err as Error).message}`, { cause: err });
      }
      const plan = planFastParquet(metadata);
      if (!plan) return undefined;
      let start = 0;
      for (let g = 0; g < metadata.row_groups.length; g++) {
        const end = start + Number(metadata.row_groups[g]?.num_rows ?? 0);
        if (end > start) accept(input.name, `row ${start + 1}`, 'messages', undefined);
        try {
          await convertRowGroupFast(file, metadata, g, plan, start + 1, {
            out: output.out,
            slow: (row, n) => normalise(input.name, `row ${n}`, row),
            flush: async () => {
              await output.flush();
            },
          });
        } catch (err) {
          if (err instanceof DatasetError) throw err;
          throw new DatasetError(input.name, `rows ${start + 1}-${end}`, `cannot decode parquet data: ${(err as Error).message}`, { cause: err });
        }
        options.onProgress?.(rows + end);
        start = end;
      }
      return start;
    } finally {
      await file.close();
    }
  };

  try {
    for (const input of inputs) {
      const inputFormat = await detectFormat(input.path, input.name);
      bytesIn += (await stat(input.path)).size;
      let fileRows: number | undefined;
      if (inputFormat === 'parquet' && options.parquetFastPath !== false) fileRows = await convertParquetFast(input);
      const fast = fileRows !== undefined;
      if (fileRows === undefined) {
        fileRows = 0;
        for await (const batch of readerFor(inputFormat)(input.path, input.name)) {
          const { values, numbers, unit } = batch;
          for (let i = 0; i < values.length; i++) {
            normalise(input.name, `${unit} ${numbers[i]}`, values[i]);
            fileRows++;
            if (output.out.pos >= FLUSH_BYTES) await output.flush();
          }
          options.onProgress?.(rows + fileRows);
        }
      }
      if (fileRows === 0) throw new DatasetError(input.name, undefined, 'no rows');
      rows += fileRows;
      files.push({ name: input.name, format: inputFormat, rows: fileRows, fast });
      options.log?.info('input converted', { file: input.name, format: inputFormat, rows: fileRows, fastPath: fast });
    }
    await output.close();
  } catch (err) {
    output.destroy();
    throw err;
  }
  if (format === undefined) throw new DatasetError('inputs', undefined, 'no rows');
  return { rows, format, bytesIn, bytesOut: output.bytes, files };
}
