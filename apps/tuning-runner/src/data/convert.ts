/**
 * Inputs → one JSONL file the trainer reads. Every row of every input is validated and
 * normalised; all rows must share one format (TRL reads one schema per dataset). Output goes
 * out in ~1 MiB writes, each awaited, so memory stays flat whatever the input size.
 * Chat parquet files take the byte-level fast path in `parquet-fast.ts`; everything else is
 * read as JS objects by the streaming readers.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, type FileMetaData } from 'hyparquet';
import { DatasetError } from '../errors.js';
import type { Logger } from '../logger.js';
import { detectFormat, type InputFormat } from './detect.js';
import { openFileBuffer } from './file-buffer.js';
import { normaliseRow, RowProblem, type NormalisedRow, type RowFormat } from './normalise.js';
import { Kernel } from './kernel.js';
import { FastParquet, FLUSH_BYTES, JsonlOut, planFastParquet } from './parquet-fast.js';
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
  /** Aborting stops the conversion before the next input file. */
  readonly signal?: AbortSignal;
}

/**
 * The JSONL output: a byte buffer in kernel memory (where the parquet fast path writes it),
 * written to the file in ~1 MiB chunks straight from there. Each write is awaited before more is
 * produced, so nothing changes that memory while the kernel's bytes are being written; that is
 * the backpressure too.
 */
class Output {
  readonly kernel = new Kernel();
  readonly out = new JsonlOut(this.kernel);
  bytes = 0;
  /** Opened at once (truncating the file, as a write stream does); an error shows at the first write. */
  private readonly handle: Promise<FileHandle>;

  constructor(path: string) {
    this.handle = open(path, 'w');
    this.handle.catch(() => undefined);
  }

  async flush(force = false): Promise<void> {
    const { out } = this;
    if (out.used === 0 || (!force && out.used < FLUSH_BYTES)) return;
    const handle = await this.handle;
    const end = out.pos;
    for (let at = out.start; at < end; ) {
      const { bytesWritten } = await handle.write(this.kernel.u8, at, end - at);
      at += bytesWritten;
    }
    this.bytes += out.used;
    out.clear();
  }

  async close(): Promise<void> {
    await this.flush(true);
    await (await this.handle).close();
  }

  destroy(): void {
    this.handle.then((h) => h.close()).catch(() => undefined);
  }
}

export async function convertToJsonl(inputs: readonly InputFile[], outPath: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  if (inputs.length === 0) throw new DatasetError('inputs', undefined, 'no input files: give URLs or put files in the data directory');
  const output = new Output(outPath);
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
      const fast = new FastParquet(output.kernel);
      let start = 0;
      for (let g = 0; g < metadata.row_groups.length; g++) {
        const end = start + Number(metadata.row_groups[g]?.num_rows ?? 0);
        if (end > start) accept(input.name, `row ${start + 1}`, 'messages', undefined);
        try {
          await fast.convertRowGroup(file, metadata, g, plan, start + 1, {
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
      options.signal?.throwIfAborted();
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
            if (output.out.used >= FLUSH_BYTES) await output.flush();
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
