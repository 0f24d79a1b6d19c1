/**
 * Phase 1, the tuning config: read the user's training_config.yaml, merge it over Kaito's template
 * and the preset's defaults, and have the trainer check it against the installed libraries before
 * any download. The check's trainer config has no dataset fields: the dataset does not exist yet.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { effectiveConfig, parseTrainingConfig, type TrainingConfig } from '../config/tuning-config.js';
import { InvalidConfigError, messageOf } from '../errors.js';
import type { Settings } from '../settings.js';
import { superviseTrainer } from '../trainer/supervise.js';
import { abortable, type RunContext } from './context.js';
import { trainerCommand } from './trainer-command.js';

export interface RunConfig {
  /** The six sections the trainer gets, output_dir and the model path filled in. */
  readonly training: TrainingConfig;
  /** Where the trainer writes the adapter (TrainingArguments.output_dir). */
  readonly outputDir: string;
}

export async function loadConfig(s: Settings): Promise<RunConfig> {
  let text: string;
  try {
    text = await readFile(s.configPath, 'utf8');
  } catch (err) {
    throw new InvalidConfigError(`cannot read the tuning config ${s.configPath}: ${messageOf(err)}`, { cause: err });
  }
  const user = parseTrainingConfig(text);
  const merged = effectiveConfig(user, s.method, s.preset);
  const training: TrainingConfig = {
    ...merged,
    TrainingArguments: { ...merged.TrainingArguments, ...(user.TrainingArguments?.['output_dir'] ? {} : { output_dir: s.resultsDir }) },
    ModelConfig: { ...merged.ModelConfig, ...(user.ModelConfig?.['pretrained_model_name_or_path'] ? {} : { pretrained_model_name_or_path: s.modelDir }) },
  };
  return { training, outputDir: String(training.TrainingArguments['output_dir']) };
}

/** The trainer's JSON config: the method, the sections and, once converted, the dataset. */
export function trainerConfig(s: Settings, config: RunConfig, dataset?: { readonly file: string; readonly format: string }): Record<string, unknown> {
  return { method: s.method, ...config.training, ...(dataset ? { dataset_file: dataset.file, dataset_format: dataset.format } : {}) };
}

export async function checkConfig(ctx: RunContext, config: RunConfig): Promise<void> {
  const { settings: s, log } = ctx;
  log.info('config', { method: s.method, preset: s.preset, config: config.training });
  const path = join(s.workDir, 'trainer-config.check.json');
  await writeFile(path, JSON.stringify(trainerConfig(s, config), null, 2));
  await abortable(ctx.signal, 'checking the config', () =>
    superviseTrainer(trainerCommand(s, ctx.trainerDir, ['--config', path, '--check-config']), {
      log: log.child({ step: 'check-config' }),
      gracePeriodMs: s.gracePeriodSeconds * 1000,
      signal: ctx.signal,
    }),
  );
}
