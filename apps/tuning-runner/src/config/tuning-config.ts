/**
 * The tuning ConfigMap's decoder lives in `@kaito-ts/presets` (`tuning-config.ts`), shared with the
 * workspace controller's webhook so the two can never disagree. Here its `TuningConfigError`
 * becomes the runner's `InvalidConfigError`, whose code is the reason the controller reports.
 */
import {
  effectiveConfig as sharedEffectiveConfig,
  parseTrainingConfig as sharedParseTrainingConfig,
  TuningConfigError,
  type TrainingConfig,
  type TuningMethod,
} from '@kaito-ts/presets';
import { InvalidConfigError } from '../errors.js';

export { kaitoTemplate, SECTIONS, type Section, type SectionName, type TrainingConfig } from '@kaito-ts/presets';

function asRunnerError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TuningConfigError) throw new InvalidConfigError(err.message, { cause: err });
    throw err;
  }
}

/** Parses `training_config.yaml` text into its sections; errors name the field path. */
export function parseTrainingConfig(text: string, source?: string): Partial<TrainingConfig> {
  return asRunnerError(() => sharedParseTrainingConfig(text, source));
}

/** Kaito's template for the method ← the preset's defaults ← the user's sections, checked. */
export function effectiveConfig(user: Partial<TrainingConfig>, method: TuningMethod, preset: string | undefined, source?: string): TrainingConfig {
  return asRunnerError(() => sharedEffectiveConfig(user, method, preset, source));
}
