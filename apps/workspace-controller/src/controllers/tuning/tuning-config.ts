/**
 * The one place the workspace controller (its admission webhook included) takes the tuning
 * ConfigMap's rules from: `@kaito-ts/presets`' decoder, the same code the tuning-runner reads its
 * config with, so the webhook can never accept what the runner refuses (or the reverse).
 *
 * `validateTuningConfig(text, method)` checks a `training_config.yaml`: known sections and fields,
 * qlora needs 4- or 8-bit loading and lora none, `output_dir` strictly under `/mnt`. It throws
 * `TuningConfigError` (code `InvalidConfig`) naming the field path.
 */
export { validateTuningConfig, TuningConfigError } from '@kaito-ts/presets';
