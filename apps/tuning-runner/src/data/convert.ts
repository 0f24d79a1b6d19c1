/**
 * Inputs → one JSONL file the trainer reads. Every row of every input is validated and
 * normalised; all rows must share one format (TRL reads one schema per dataset). Output goes
 * through a write stream with backpressure, so memory stays flat whatever the input size.
 */
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { DatasetError } from '../errors.js';
import type { Logger } from '../logger.js';
import { detectFormat, type InputFormat } from './detect.js';
import { normaliseRow, RowProblem, type RowFormat } from './normalise.js';
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
  /** Called after each batch with rows so far (for the progress file). */
  readonly onProgress?: (rows: number) => void;
}

const FLUSH_BYTES = 1 << 20;

export async function convertToJsonl(inputs: readonly InputFile[], outPath: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  if (inputs.length === 0) throw new DatasetError('inputs', undefined, 'no input files: give URLs or put files in the data directory');
  const out = createWriteStream(outPath);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  let pending = '';
  let bytesOut = 0;
  const flush = async (): Promise<void> => {
    if (pending === '') return;
    bytesOut += Buffer.byteLength(pending);
    const ok = out.write(pending);
    pending = '';
    if (!ok) await Promise.race([once(out, 'drain'), failed]);
  };

  let format: RowFormat | undefined;
  let formatFrom = '';
  let rows = 0;
  let bytesIn = 0;
  const files: { name: string; format: InputFormat; rows: number }[] = [];
  try {
    for (const input of inputs) {
      const inputFormat = await detectFormat(input.path, input.name);
      bytesIn += (await stat(input.path)).size;
      let fileRows = 0;
      for await (const batch of readerFor(inputFormat)(input.path, input.name)) {
        const { values, numbers, unit } = batch;
        for (let i = 0; i < values.length; i++) {
          let normalised;
          try {
            normalised = normaliseRow(values[i]);
          } catch (err) {
            if (err instanceof RowProblem) throw new DatasetError(input.name, `${unit} ${numbers[i]}`, err.toString());
            throw err;
          }
          if (format === undefined) {
            format = normalised.format;
            formatFrom = `${input.name} ${unit} ${numbers[i]}`;
          } else if (normalised.format !== format) {
            throw new DatasetError(
              input.name,
              `${unit} ${numbers[i]}`,
              `row format "${normalised.format}" differs from "${format}" first seen at ${formatFrom}; every row needs the same format`,
            );
          }
          pending += JSON.stringify(normalised.row) + '\n';
          fileRows++;
          if (pending.length >= FLUSH_BYTES) await flush();
        }
        options.onProgress?.(rows + fileRows);
      }
      if (fileRows === 0) throw new DatasetError(input.name, undefined, 'no rows');
      rows += fileRows;
      files.push({ name: input.name, format: inputFormat, rows: fileRows });
      options.log?.info('input converted', { file: input.name, format: inputFormat, rows: fileRows });
    }
    await flush();
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } catch (err) {
    out.destroy();
    throw err;
  }
  if (format === undefined) throw new DatasetError('inputs', undefined, 'no rows');
  return { rows, format, bytesIn, bytesOut, files };
}
