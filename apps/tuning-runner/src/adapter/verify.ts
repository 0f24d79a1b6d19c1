/**
 * Checks the trainer's output before anything is pushed: both adapter files exist, the
 * safetensors header is sound, and adapter_config.json matches what was asked for (a LoRA
 * adapter with the configured rank, alpha and target modules, one lora_A/lora_B pair per
 * adapted module with the rank in the right dimension).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AdapterError } from '../errors.js';
import type { Section } from '../config/tuning-config.js';
import { readSafetensorsHeader, type SafetensorsHeader } from './safetensors.js';

export interface AdapterSummary {
  readonly tensors: number;
  readonly modules: number;
  readonly bytes: number;
  readonly r: number;
  readonly targetModules: readonly string[];
}

const FLOAT_DTYPES = new Set(['F16', 'BF16', 'F32', 'F64']);
const LORA_KEY = /^(.*)\.lora_([AB])(?:\.[^.]+)?\.weight$/;

function asList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return [...v].sort();
  return undefined;
}

export async function verifyAdapter(dir: string, lora: Section): Promise<AdapterSummary> {
  const configPath = join(dir, 'adapter_config.json');
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    const what = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not valid JSON: ${(err as Error).message}`;
    throw new AdapterError(`adapter_config.json: ${what}`, { cause: err });
  }
  if (typeof config !== 'object' || config === null) throw new AdapterError('adapter_config.json: not a JSON object');
  if (config.peft_type !== 'LORA') throw new AdapterError(`adapter_config.json: peft_type: expected "LORA", got ${JSON.stringify(config.peft_type)}`);
  if (config.task_type !== undefined && config.task_type !== 'CAUSAL_LM') {
    throw new AdapterError(`adapter_config.json: task_type: expected "CAUSAL_LM", got ${JSON.stringify(config.task_type)}`);
  }
  const r = config.r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) throw new AdapterError(`adapter_config.json: r: expected a positive integer, got ${JSON.stringify(r)}`);
  if (lora.r !== undefined && lora.r !== r) throw new AdapterError(`adapter_config.json: r is ${r} but LoraConfig.r is ${JSON.stringify(lora.r)}`);
  if (lora.lora_alpha !== undefined && config.lora_alpha !== lora.lora_alpha) {
    throw new AdapterError(`adapter_config.json: lora_alpha is ${JSON.stringify(config.lora_alpha)} but LoraConfig.lora_alpha is ${JSON.stringify(lora.lora_alpha)}`);
  }
  const targets = asList(config.target_modules);
  if (!targets || targets.length === 0) throw new AdapterError('adapter_config.json: target_modules: expected a module name or a list of them');
  const wanted = asList(lora.target_modules);
  if (wanted && Array.isArray(lora.target_modules) && wanted.join(',') !== targets.join(',')) {
    throw new AdapterError(`adapter_config.json: target_modules are ${targets.join(', ')} but LoraConfig asks for ${wanted.join(', ')}`);
  }

  let header: SafetensorsHeader;
  try {
    header = await readSafetensorsHeader(join(dir, 'adapter_model.safetensors'), 'adapter_model.safetensors');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AdapterError('adapter_model.safetensors: missing', { cause: err });
    throw err;
  }
  const pairs = new Map<string, { A?: readonly number[]; B?: readonly number[] }>();
  for (const [key, info] of header.tensors) {
    if (!FLOAT_DTYPES.has(info.dtype)) throw new AdapterError(`adapter_model.safetensors: tensor ${key}: dtype ${info.dtype} is not a float type`);
    const m = LORA_KEY.exec(key);
    if (!m?.[1] || !m[2]) continue; // modules_to_save and the like
    const module = m[1];
    const side = m[2] as 'A' | 'B';
    if (info.shape.length !== 2) throw new AdapterError(`adapter_model.safetensors: tensor ${key}: expected 2 dimensions, got ${JSON.stringify(info.shape)}`);
    const entry = pairs.get(module) ?? {};
    entry[side] = info.shape;
    pairs.set(module, entry);
  }
  if (pairs.size === 0) throw new AdapterError('adapter_model.safetensors: no lora_A/lora_B tensors');
  for (const [module, { A, B }] of pairs) {
    if (!A || !B) throw new AdapterError(`adapter_model.safetensors: module ${module} has lora_${A ? 'A' : 'B'} but no lora_${A ? 'B' : 'A'}`);
    if (A[0] !== r || B[1] !== r) {
      throw new AdapterError(`adapter_model.safetensors: module ${module}: rank is ${A[0]}×${B[1]} but adapter_config.json says r=${r}`);
    }
    const leaf = module.split('.').pop() ?? module;
    if (targets.length > 0 && !targets.some((t) => t === leaf || module.endsWith(`.${t}`) || safeRegexMatch(t, module))) {
      throw new AdapterError(`adapter_model.safetensors: module ${module} is not among target_modules ${targets.join(', ')}`);
    }
  }
  return { tensors: header.tensors.size, modules: pairs.size, bytes: header.fileBytes, r, targetModules: targets };
}

/** PEFT also accepts target_modules as one regex string matched against the full module name. */
function safeRegexMatch(pattern: string, name: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(name);
  } catch {
    return false;
  }
}
