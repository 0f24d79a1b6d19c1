/**
 * What every phase of a run gets: the decoded settings, the logger, the progress file, and the one
 * AbortSignal (SIGTERM) that each phase passes down to the I/O it starts.
 */
import { TrainerError, reasonOf } from '../errors.js';
import type { Logger } from '../logger.js';
import { Reasons } from '../reasons.js';
import type { ProgressFile } from '../report/report.js';
import type { Settings } from '../settings.js';

export interface RunContext {
  readonly settings: Settings;
  readonly log: Logger;
  readonly progress: ProgressFile;
  /** Aborted on SIGTERM. */
  readonly signal: AbortSignal;
  /** Where the kaito_trainer package lives. */
  readonly trainerDir: string;
  readonly fetch?: typeof fetch;
}

export class TerminatedError extends TrainerError {
  constructor(doing: string, options?: { cause?: unknown }) {
    super(Reasons.Terminated, `the run was terminated (SIGTERM) while ${doing}`, null, 'SIGTERM', options);
  }
}

/**
 * Runs one phase's work so that an abort ends it as Terminated, whatever the work threw when its
 * I/O was cut (a fetch AbortError, a converter error). The trainer's own Terminated error (it
 * says where the checkpoint went) passes through as it is; work that finished after the abort
 * still ends the run.
 */
export async function abortable<T>(signal: AbortSignal, doing: string, work: () => Promise<T>): Promise<T> {
  let value: T;
  try {
    value = await work();
  } catch (err) {
    if (signal.aborted && reasonOf(err) !== Reasons.Terminated) throw new TerminatedError(doing, { cause: err });
    throw err;
  }
  if (signal.aborted) throw new TerminatedError(doing);
  return value;
}
