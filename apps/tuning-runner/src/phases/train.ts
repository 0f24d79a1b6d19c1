/** Phase 4, training: the trainer config written once, with the dataset, and the trainer supervised. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Phases } from '../reasons.js';
import { superviseTrainer } from '../trainer/supervise.js';
import { trainerConfig, type RunConfig } from './config.js';
import { abortable, type RunContext } from './context.js';
import type { Dataset } from './convert.js';
import { trainerCommand } from './trainer-command.js';

export interface Training {
  readonly steps?: number;
  readonly loss?: number;
}

export async function train(ctx: RunContext, config: RunConfig, dataset: Dataset): Promise<Training> {
  const { settings: s, log, progress } = ctx;
  const path = join(s.workDir, 'trainer-config.json');
  await writeFile(path, JSON.stringify(trainerConfig(s, config, dataset), null, 2));
  await progress.update({ phase: Phases.Training, training: {} });
  // A marker left by an earlier run in the same output directory would claim this one finished.
  await rm(join(config.outputDir, 'fine_tuning_completed.txt'), { force: true });
  const outcome = await abortable(ctx.signal, 'training', () =>
    superviseTrainer(trainerCommand(s, ctx.trainerDir, ['--config', path]), {
      log: log.child({ step: 'train' }),
      gracePeriodMs: s.gracePeriodSeconds * 1000,
      onProgress: (training) => void progress.update({ training }),
      signal: ctx.signal,
    }),
  );
  const last = progress.current.training;
  const steps = outcome.steps ?? last?.step;
  const loss = outcome.trainLoss ?? last?.loss;
  return { ...(steps !== undefined ? { steps } : {}), ...(loss !== undefined ? { loss } : {}) };
}
