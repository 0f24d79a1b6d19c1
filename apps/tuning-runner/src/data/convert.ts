/**
 * Inputs → one JSONL file the trainer reads. Every row of every input is validated and
 * normalised; all rows must share one format (TRL reads one schema per dataset). Output goes
 * out in ~1 MiB writes, each awaited, so memory stays flat whatever the input size.
 */
import { stat } from 'node:fs/promises';
import { DatasetError } from '../errors.js';
import type { Logger } from '../logger.js';
import { detectFormat, type InputFormat } from './detect.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { normaliseRow, RowProblem, type NormalisedRow, type RowFormat } from './normalise.js';
import { JsonlWriter } from './jsonl-writer.js';
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
  readonly files: readonly { name: string; format: InputFormat; rows: number }[];
}

export interface ConvertOptions {
  readonly log?: Logger;
  /** Called now and then with rows so far (for the progress file). */
  readonly onProgress?: (rows: number) => void;
  /** Checked between batches; an abort throws the signal's reason. */
  readonly signal?: AbortSignal;
  /** Size limits on hostile input; each field defaults to `DEFAULT_LIMITS`'. */
  readonly limits?: Partial<Limits>;
}

export async function convertToJsonl(inputs: readonly InputFile[], outPath: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  if (inputs.length === 0) throw new DatasetError('inputs', undefined, 'no input files: give URLs or put files in the data directory');
  const { signal } = options;
  signal?.throwIfAborted();
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const output = new JsonlWriter(outPath, limits.maxRowBytes);
  let format: RowFormat | undefined;
  let formatFrom = '';
  let rows = 0;
  let bytesIn = 0;
  const files: { name: string; format: InputFormat; rows: number }[] = [];

  /** Every row goes through here: the one-format rule, then the JSONL line. */
  const accept = (name: string, where: string, rowFormat: RowFormat, row: NormalisedRow): void => {
    if (format === undefined) {
      format = rowFormat;
      formatFrom = `${name} ${where}`;
    } else if (rowFormat !== format) {
      throw new DatasetError(name, where, `row format "${rowFormat}" differs from "${format}" first seen at ${formatFrom}; every row needs the same format`);
    }
    const problem = output.add(row);
    if (problem !== undefined) throw new DatasetError(name, where, problem);
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

  try {
    for (const input of inputs) {
      options.signal?.throwIfAborted();
      const inputFormat = await detectFormat(input.path, input.name);
      bytesIn += (await stat(input.path)).size;
      let fileRows = 0;
      for await (const batch of readerFor(inputFormat)(input.path, input.name, limits)) {
        signal?.throwIfAborted();
        const { values, numbers, unit } = batch;
        for (let i = 0; i < values.length; i++) {
          normalise(input.name, `${unit} ${numbers[i]}`, values[i]);
          fileRows++;
          if (output.full) await output.flush();
        }
        options.onProgress?.(rows + fileRows);
      }
      if (fileRows === 0) throw new DatasetError(input.name, undefined, 'no rows');
      rows += fileRows;
      files.push({ name: input.name, format: inputFormat, rows: fileRows });
      options.log?.info('input converted', { file: input.name, format: inputFormat, rows: fileRows });
    }
    await output.close();
  } catch (err) {
    output.destroy();
    throw err;
  }
  if (format === undefined) throw new DatasetError('inputs', undefined, 'no rows');
  return { rows, format, bytesIn, bytesOut: output.bytes, files };
}
