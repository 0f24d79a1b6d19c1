/** Phase 3, the dataset: every input converted into one validated JSONL in one row format. */
import { join } from 'node:path';
import { convertToJsonl, type InputFile } from '../data/convert.js';
import type { RowFormat } from '../data/normalise.js';
import { Phases } from '../reasons.js';
import { abortable, type RunContext } from './context.js';

export interface Dataset {
  readonly file: string;
  readonly format: RowFormat;
  readonly rows: number;
}

/** Rows between progress-file updates: the file is rewritten on each, so not on every batch. */
const PROGRESS_EVERY_ROWS = 10_000;

export async function convertDataset(ctx: RunContext, inputs: readonly InputFile[]): Promise<Dataset> {
  const { settings: s, log, progress } = ctx;
  await progress.update({ phase: Phases.Converting, rows: 0 });
  const file = join(s.workDir, 'dataset.jsonl');
  const started = Date.now();
  let reported = 0;
  const converted = await abortable(ctx.signal, 'converting the dataset', () =>
    convertToJsonl(inputs, file, {
      log,
      signal: ctx.signal,
      onProgress: (rows) => {
        if (rows - reported < PROGRESS_EVERY_ROWS) return;
        reported = rows;
        void progress.update({ rows });
      },
    }),
  );
  log.info('dataset ready', { rows: converted.rows, format: converted.format, bytesIn: converted.bytesIn, ms: Date.now() - started });
  await progress.update({ rows: converted.rows });
  return { file, format: converted.format, rows: converted.rows };
}
