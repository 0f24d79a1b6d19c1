/**
 * The tuning ConfigMap's decoder, shared by the tuning-runner (which trains with it) and the
 * workspace controller (its webhook and the default params ConfigMaps), so the two can never
 * disagree. The tuning ConfigMap (`training_config.yaml`, Kaito's key): six sections under
 * `training_config`, decoded with io-ts, checked with Kaito's webhook rules, and merged over
 * Kaito's lora/qlora template and the preset's defaults. Known fields are typed here; the
 * library dataclasses (peft LoraConfig, transformers TrainingArguments) have hundreds of
 * fields, so unknown keys there pass through and the trainer checks them against the installed
 * library (`--check-config`), before any download starts.
 */
import { posix } from 'node:path';
import * as t from 'io-ts';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { codedError, formatIssue, issuesOf } from '@kaito-ts/core';
import type { TuningMethod } from './catalog/model-codec.js';
import { findModel } from './models.js';

/** A tuning config that breaks a rule; the message names the source and the field path. */
export class TuningConfigError extends codedError('InvalidConfig') {}

/**
 * Per-preset tuning defaults layered under the user's ConfigMap, read from the catalog. Kaito
 * sets only one (phi-3's target modules, via DEFAULT_TARGET_MODULES); everything else falls back
 * to PEFT's per-architecture defaults.
 */
export function presetTuningDefaults(preset: string | undefined): { readonly targetModules?: readonly string[] } {
  const targetModules = preset ? findModel(preset)?.tuning?.targetModules : undefined;
  return targetModules ? { targetModules } : {};
}

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'PositiveInt');
const Int = t.refinement(t.number, Number.isInteger, 'Int');
const StringOrList = t.union([t.string, t.array(t.string)]);

export const ModelConfig = t.exact(
  t.partial({
    pretrained_model_name_or_path: t.string,
    local_files_only: t.boolean,
    device_map: t.union([t.string, t.UnknownRecord]),
    torch_dtype: t.keyof({ auto: null, bfloat16: null, float16: null, float32: null }),
    trust_remote_code: t.boolean,
    chat_template: t.string,
    revision: t.string,
  }),
  'ModelConfig',
);

export const QuantizationConfig = t.partial(
  {
    load_in_4bit: t.boolean,
    load_in_8bit: t.boolean,
    bnb_4bit_quant_type: t.keyof({ fp4: null, nf4: null }),
    bnb_4bit_compute_dtype: t.keyof({ bfloat16: null, float16: null, float32: null }),
    bnb_4bit_use_double_quant: t.boolean,
  },
  'QuantizationConfig',
);

export const LoraConfig = t.partial(
  {
    r: PositiveInt,
    lora_alpha: t.number,
    lora_dropout: t.refinement(t.number, (n) => n >= 0 && n < 1, 'Fraction'),
    target_modules: StringOrList,
    bias: t.keyof({ none: null, all: null, lora_only: null }),
    modules_to_save: t.array(t.string),
  },
  'LoraConfig',
);

export const TrainingArguments = t.partial(
  {
    output_dir: t.string,
    num_train_epochs: t.refinement(t.number, (n) => n > 0, 'PositiveNumber'),
    max_steps: Int,
    per_device_train_batch_size: PositiveInt,
    gradient_accumulation_steps: PositiveInt,
    learning_rate: t.refinement(t.number, (n) => n > 0, 'PositiveNumber'),
    logging_steps: t.number,
    save_strategy: t.keyof({ no: null, steps: null, epoch: null }),
    bf16: t.boolean,
    fp16: t.boolean,
    gradient_checkpointing: t.boolean,
    max_length: PositiveInt,
    max_seq_length: PositiveInt,
    seed: Int,
  },
  'TrainingArguments',
);

export const DatasetConfig = t.exact(
  t.partial({
    dataset_path: t.string,
    dataset_extension: t.string,
    shuffle_dataset: t.boolean,
    shuffle_seed: Int,
    train_test_split: t.refinement(t.number, (n) => n > 0 && n <= 1, 'Split'),
    context_column: t.string,
    response_column: t.string,
    messages_column: t.string,
  }),
  'DatasetConfig',
);

export const DataCollator = t.exact(t.partial({ mlm: t.boolean, mlm_probability: t.number, pad_to_multiple_of: PositiveInt }), 'DataCollator');

export const SECTIONS = ['ModelConfig', 'QuantizationConfig', 'LoraConfig', 'TrainingArguments', 'DatasetConfig', 'DataCollator'] as const;
export type SectionName = (typeof SECTIONS)[number];

export const TrainingConfigSections = t.partial(
  {
    ModelConfig,
    QuantizationConfig,
    LoraConfig,
    TrainingArguments,
    DatasetConfig,
    DataCollator,
  },
  'TrainingConfigSections',
);

export type Section = Record<string, unknown>;
export type TrainingConfig = Record<SectionName, Section>;

/** Keys a section accepts when the runner knows the full set (the exact codecs above). */
const CLOSED_SECTIONS: Partial<Record<SectionName, readonly string[]>> = {
  ModelConfig: Object.keys(ModelConfig.type.props),
  DatasetConfig: Object.keys(DatasetConfig.type.props),
  DataCollator: Object.keys(DataCollator.type.props),
};

/** Kaito's `lora-params.yaml` / `qlora-params.yaml` templates. */
export function kaitoTemplate(method: TuningMethod): TrainingConfig {
  return {
    ModelConfig: { torch_dtype: 'bfloat16', local_files_only: true, device_map: 'auto' },
    QuantizationConfig:
      method === 'qlora'
        ? { load_in_4bit: true, bnb_4bit_quant_type: 'nf4', bnb_4bit_compute_dtype: 'bfloat16', bnb_4bit_use_double_quant: true }
        : { load_in_4bit: false },
    LoraConfig: { r: 8, lora_alpha: 8, lora_dropout: 0.0 },
    TrainingArguments: { output_dir: '/mnt/results', ddp_find_unused_parameters: false, save_strategy: 'no', per_device_train_batch_size: 1 },
    DatasetConfig: { shuffle_dataset: true, train_test_split: 1 },
    DataCollator: { mlm: true },
  };
}

/** Parses `training_config.yaml` text into its sections; errors name the field path. */
export function parseTrainingConfig(text: string, source = 'training_config.yaml'): Partial<TrainingConfig> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new TuningConfigError(`${source}: invalid YAML${where}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new TuningConfigError(`${source}: expected a mapping with a training_config key`);
  const top = doc as Record<string, unknown>;
  const extraTop = Object.keys(top).filter((k) => k !== 'training_config');
  if (extraTop.length > 0) throw new TuningConfigError(`${source}: ${extraTop[0]}: unknown key; expected only training_config`);
  const sections = top.training_config;
  if (sections === undefined || sections === null) return {};
  if (typeof sections !== 'object' || Array.isArray(sections)) throw new TuningConfigError(`${source}: training_config: expected a mapping of sections`);

  const problems: string[] = [];
  for (const [name, value] of Object.entries(sections as Record<string, unknown>)) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      problems.push(`training_config.${name}: unknown section; expected one of ${SECTIONS.join(', ')}`);
      continue;
    }
    const allowed = CLOSED_SECTIONS[name as SectionName];
    if (allowed && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) problems.push(`training_config.${name}.${key}: unknown field; expected one of ${allowed.join(', ')}`);
      }
    }
  }
  const decoded = TrainingConfigSections.decode(sections);
  if (decoded._tag === 'Left') problems.push(...issuesOf(decoded.left, 'training_config').map(formatIssue));
  if (problems.length > 0) throw new TuningConfigError(`${source}: ${problems.join('; ')}`);
  // Keep every key (exact codecs strip unknown ones only after we rejected them above).
  const out: Partial<TrainingConfig> = {};
  for (const [name, value] of Object.entries(sections as Record<string, unknown>)) {
    out[name as SectionName] = (value ?? {}) as Section;
  }
  return out;
}

/** Kaito's method rules: qlora needs 4- or 8-bit loading, lora forbids it, never both. */
export function checkMethod(config: TrainingConfig, method: TuningMethod, source = 'training_config.yaml'): void {
  const q = config.QuantizationConfig;
  const four = q.load_in_4bit === true;
  const eight = q.load_in_8bit === true;
  const at = `${source}: training_config.QuantizationConfig`;
  if (four && eight) throw new TuningConfigError(`${at}: load_in_4bit and load_in_8bit cannot both be true`);
  if (method === 'qlora' && !four && !eight) throw new TuningConfigError(`${at}: method qlora needs load_in_4bit or load_in_8bit set to true`);
  if (method === 'lora' && (four || eight)) throw new TuningConfigError(`${at}: method lora cannot load the model in ${four ? '4' : '8'} bit; use method qlora`);
  const ta = config.TrainingArguments;
  if (ta.bf16 === true && ta.fp16 === true) throw new TuningConfigError(`${source}: training_config.TrainingArguments: bf16 and fp16 cannot both be true`);
}

/**
 * Kaito's template for the method ← the preset's defaults ← the user's sections, key by key
 * within each section. The result is what the trainer receives.
 */
export function effectiveConfig(user: Partial<TrainingConfig>, method: TuningMethod, preset: string | undefined, source?: string): TrainingConfig {
  const base = kaitoTemplate(method);
  const defaults = presetTuningDefaults(preset);
  if (defaults.targetModules) base.LoraConfig = { ...base.LoraConfig, target_modules: [...defaults.targetModules] };
  // A user who configures quantization owns it entirely: the template's 4-bit keys must not leak in.
  if (user.QuantizationConfig) base.QuantizationConfig = {};
  const merged = {} as TrainingConfig;
  for (const name of SECTIONS) merged[name] = { ...base[name], ...(user[name] ?? {}) };
  checkMethod(merged, method, source);
  return merged;
}

/** Where Kaito lets the trainer write: a path strictly under `/mnt`. */
const OUTPUT_ROOT = '/mnt';

/**
 * Checks a user's `training_config.yaml` the way the runner will read it: known sections and
 * fields only, the method's quantisation rule (merged over Kaito's template, as the runner
 * merges), and `TrainingArguments.output_dir` strictly under `/mnt`. Throws `TuningConfigError`
 * naming the field; returns the effective config. For the admission webhook and the controller.
 */
export function validateTuningConfig(text: string, method: TuningMethod, source = 'training_config.yaml'): TrainingConfig {
  const user = parseTrainingConfig(text, source);
  const outputDir = user.TrainingArguments?.['output_dir'];
  if (outputDir !== undefined) {
    const normalised = typeof outputDir === 'string' ? posix.normalize(outputDir).replace(/\/+$/, '') : '';
    if (typeof outputDir !== 'string' || !normalised.startsWith(`${OUTPUT_ROOT}/`) || normalised === OUTPUT_ROOT) {
      throw new TuningConfigError(`${source}: training_config.TrainingArguments.output_dir: expected a path under ${OUTPUT_ROOT}, e.g. /mnt/results, got ${JSON.stringify(outputDir)}`);
    }
  }
  return effectiveConfig(user, method, undefined, source);
}
