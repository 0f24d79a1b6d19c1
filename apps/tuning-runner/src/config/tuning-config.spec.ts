import { InvalidConfigError } from '../errors.js';
import { effectiveConfig, kaitoTemplate, parseTrainingConfig } from './tuning-config.js';

const KAITO_QLORA_TEMPLATE = `
training_config:
  ModelConfig:
    torch_dtype: "bfloat16"
    local_files_only: true
    device_map: "auto"
  QuantizationConfig:
    load_in_4bit: true
    bnb_4bit_quant_type: "nf4"
    bnb_4bit_compute_dtype: "bfloat16"
    bnb_4bit_use_double_quant: true
  LoraConfig:
    r: 8
    lora_alpha: 8
    lora_dropout: 0.0
  TrainingArguments:
    output_dir: "/mnt/results"
    ddp_find_unused_parameters: false
    save_strategy: "no"
    per_device_train_batch_size: 1
  DataCollator:
    mlm: true
  DatasetConfig:
    shuffle_dataset: true
    train_test_split: 1
`;

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    return (err as Error).message;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('parseTrainingConfig', () => {
  it("accepts Kaito's qlora ConfigMap template as is", () => {
    const parsed = parseTrainingConfig(KAITO_QLORA_TEMPLATE);
    expect(parsed.QuantizationConfig).toEqual({ load_in_4bit: true, bnb_4bit_quant_type: 'nf4', bnb_4bit_compute_dtype: 'bfloat16', bnb_4bit_use_double_quant: true });
    expect(parsed.TrainingArguments?.ddp_find_unused_parameters).toBe(false);
  });

  it('treats an empty file as no overrides', () => {
    expect(parseTrainingConfig('')).toEqual({});
  });

  it('names an unknown section', () => {
    expect(configError(() => parseTrainingConfig('training_config:\n  LoRAConfig: {r: 8}\n'))).toBe(
      'training_config.yaml: training_config.LoRAConfig: unknown section; expected one of ModelConfig, QuantizationConfig, LoraConfig, TrainingArguments, DatasetConfig, DataCollator',
    );
  });

  it('names an unknown field of a section the runner knows completely', () => {
    expect(configError(() => parseTrainingConfig('training_config:\n  DatasetConfig: {shuffle: true}\n'))).toMatch(
      /^training_config\.yaml: training_config\.DatasetConfig\.shuffle: unknown field; expected one of dataset_path, /,
    );
  });

  it('names the field path and value of a wrongly typed field', () => {
    expect(configError(() => parseTrainingConfig('training_config:\n  LoraConfig: {r: "eight"}\n'))).toBe(
      'training_config.yaml: training_config.LoraConfig.r: expected PositiveInt, got "eight"',
    );
  });

  it('names the line of invalid YAML', () => {
    expect(configError(() => parseTrainingConfig('training_config:\n  LoraConfig: {r: 8\n'))).toMatch(/^training_config\.yaml: invalid YAML at line \d+: /);
  });

  it('rejects keys beside training_config', () => {
    expect(configError(() => parseTrainingConfig('training_config: {}\nextra: 1\n'))).toBe('training_config.yaml: extra: unknown key; expected only training_config');
  });
});

describe('effectiveConfig', () => {
  it("starts from Kaito's lora template", () => {
    expect(effectiveConfig({}, 'lora', undefined)).toEqual(kaitoTemplate('lora'));
  });

  it("adds the preset's target modules for phi-3", () => {
    expect(effectiveConfig({}, 'qlora', 'phi-3-mini-128k-instruct').LoraConfig.target_modules).toEqual(['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj']);
  });

  it('lets the user override a field and keeps the rest of the section', () => {
    const config = effectiveConfig({ LoraConfig: { r: 16, target_modules: ['o_proj'] } }, 'lora', 'phi-3-mini-4k-instruct');
    expect(config.LoraConfig).toEqual({ r: 16, lora_alpha: 8, lora_dropout: 0.0, target_modules: ['o_proj'] });
  });

  it("replaces the template's quantization with the user's own", () => {
    expect(effectiveConfig({ QuantizationConfig: { load_in_8bit: true } }, 'qlora', undefined).QuantizationConfig).toEqual({ load_in_8bit: true });
  });

  it('rejects qlora without 4- or 8-bit loading', () => {
    expect(configError(() => effectiveConfig({ QuantizationConfig: { load_in_4bit: false } }, 'qlora', undefined))).toBe(
      'training_config.yaml: training_config.QuantizationConfig: method qlora needs load_in_4bit or load_in_8bit set to true',
    );
  });

  it('rejects lora with 4-bit loading', () => {
    expect(configError(() => effectiveConfig({ QuantizationConfig: { load_in_4bit: true } }, 'lora', undefined))).toBe(
      'training_config.yaml: training_config.QuantizationConfig: method lora cannot load the model in 4 bit; use method qlora',
    );
  });

  it('rejects bf16 and fp16 together', () => {
    expect(configError(() => effectiveConfig({ TrainingArguments: { bf16: true, fp16: true } }, 'lora', undefined))).toBe(
      'training_config.yaml: training_config.TrainingArguments: bf16 and fp16 cannot both be true',
    );
  });
});
