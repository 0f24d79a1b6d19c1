import { TuningConfigError, validateTuningConfig } from './tuning-config.js';

const config = (sections: string): string => `training_config:\n${sections}`;

function refusal(text: string, method: 'lora' | 'qlora'): string {
  try {
    validateTuningConfig(text, method);
  } catch (err) {
    expect(err).toBeInstanceOf(TuningConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a TuningConfigError');
}

describe('validateTuningConfig', () => {
  it.each([
    ['an empty config for qlora (the template quantises)', '', 'qlora'],
    ['an empty config for lora', '', 'lora'],
    ['qlora with 8-bit loading', config('  QuantizationConfig: {load_in_8bit: true}\n'), 'qlora'],
    ['output_dir under /mnt', config('  TrainingArguments: {output_dir: /mnt/results/run-1}\n'), 'lora'],
  ] as const)('accepts %s', (_what, text, method) => {
    expect(validateTuningConfig(text, method).TrainingArguments).toBeDefined();
  });

  it.each([
    ['an unknown section', config('  Bogus: {}\n'), 'lora', 'training_config.Bogus: unknown section'],
    ['qlora without quantisation', config('  QuantizationConfig: {}\n'), 'qlora', 'method qlora needs load_in_4bit or load_in_8bit'],
    ['lora with 4-bit loading', config('  QuantizationConfig: {load_in_4bit: true}\n'), 'lora', 'method lora cannot load the model in 4 bit'],
    ['output_dir /mnt itself', config('  TrainingArguments: {output_dir: /mnt/}\n'), 'lora', 'output_dir: expected a path under /mnt'],
    ['output_dir outside /mnt', config('  TrainingArguments: {output_dir: /tmp/out}\n'), 'lora', 'got "/tmp/out"'],
    ['output_dir escaping /mnt', config('  TrainingArguments: {output_dir: /mnt/../etc}\n'), 'lora', 'output_dir: expected a path under /mnt'],
    ['a wrongly typed field', config('  LoraConfig: {r: -1}\n'), 'lora', 'training_config.LoraConfig.r'],
  ] as const)('refuses %s, naming the field', (_what, text, method, expected) => {
    expect(refusal(text, method)).toContain(expected);
  });
});
