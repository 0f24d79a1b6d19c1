/**
 * The last phase: the outcome, success or failure, written to the progress file and the
 * termination message the workspace controller turns into the WorkspaceSucceeded condition.
 */
import { messageOf, reasonOf } from '../errors.js';
import { ExitCodes, Phases, Reasons, type Reason } from '../reasons.js';
import { writeTerminationMessage, type TerminationMessage } from '../report/report.js';
import type { RunContext } from './context.js';
import type { Shipped } from './ship.js';
import type { Training } from './train.js';

export interface RunResult {
  readonly reason: Reason;
  readonly exitCode: number;
  readonly message: string;
  readonly digest?: string;
}

export async function reportSuccess(ctx: RunContext, training: Training, shipped: Shipped): Promise<RunResult> {
  const { message, image, digest } = shipped;
  await ctx.progress.update({ phase: Phases.Succeeded, reason: Reasons.TuningSucceeded, message, ...(digest !== undefined ? { digest } : {}) });
  await terminate(ctx, {
    phase: 'Succeeded',
    reason: Reasons.TuningSucceeded,
    message,
    ...(image !== undefined && digest !== undefined ? { image, digest } : {}),
    ...trainingFields(training),
  });
  ctx.log.info('tuning succeeded', { message, digest });
  return { reason: Reasons.TuningSucceeded, exitCode: 0, message, ...(digest !== undefined ? { digest } : {}) };
}

/** Any failure: its reason and message; the steps and loss reached so far come from the progress file. */
export async function reportFailure(ctx: RunContext, err: unknown): Promise<RunResult> {
  const reason = reasonOf(err);
  const message = messageOf(err);
  ctx.log.error('tuning failed', { reason, error: err });
  await ctx.progress.update({ phase: Phases.Failed, reason, message });
  const last = ctx.progress.current.training;
  await terminate(ctx, { phase: 'Failed', reason, message, ...trainingFields({ ...(last?.step !== undefined ? { steps: last.step } : {}), ...(last?.loss !== undefined ? { loss: last.loss } : {}) }) });
  return { reason, exitCode: ExitCodes[reason], message };
}

function trainingFields(t: Training): Pick<TerminationMessage, 'step' | 'loss'> {
  return { ...(t.steps !== undefined ? { step: t.steps } : {}), ...(t.loss !== undefined ? { loss: t.loss } : {}) };
}

/** A termination message that cannot be written is logged: the exit code still carries the reason. */
async function terminate(ctx: RunContext, m: TerminationMessage): Promise<void> {
  try {
    await writeTerminationMessage(ctx.settings.terminationLog, m);
  } catch (err) {
    ctx.log.warn('cannot write the termination message', { path: ctx.settings.terminationLog, error: messageOf(err) });
  }
}
