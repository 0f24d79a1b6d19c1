// The presets CLI as a pure function of argv: easy to test, printed by cli.ts.
import { parseArgs } from 'node:util';
import { codedError } from '@kaito-ts/core';
import {
  getSku,
  inferenceVolumes,
  isPresetsError,
  listModels,
  listSkus,
  plan,
  renderInferenceContainer,
  renderTuningContainer,
  resolveModel,
  suggestSkus,
  totalGpuMemoryGiB,
  type CustomModelInput,
  type Plan,
  type PlanOptions,
  type PresetModel,
  type RuntimeName,
  type TuningMethod,
} from '@kaito-ts/presets';
import { stringify } from 'yaml';
import { table } from './table.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export const USAGE = `usage: presets <command> [options]

commands:
  models                          list preset models
  skus [--cloud azure|aws|azure-local]  list GPU SKUs
  plan <model> <sku>              plan a model on a SKU (exit 1 when it does not fit)
  suggest <model>                 SKUs that fit, cheapest first
  render <model> <sku>            the container spec (YAML) for a fitting plan

options:
  --runtime vllm|transformers     inference runtime (default vllm)
  --tuning lora|qlora             plan tuning instead of inference
  --max-nodes N                   nodes the model may span (vLLM; default 1)
  --count N                       plan: the Workspace's resource.count, compared with the fewest nodes that fit (default 1)
  --max-model-len N               context to serve (default: the model's)
  --cloud azure|aws|azure-local   suggest: only this cloud
  --limit N                       suggest: at most N rows (default 10)
  --name NAME                     render: container name (default: the model name)
  --registry HOST[/PATH]          render: image registry
  --output text|json|yaml         plan: output format (default text)
  custom Hugging Face models (any org/model not in the catalog):
  --weights-gib N  [--context N --layers N --attention-heads N --kv-heads N --head-dim N --hidden-size N --vocab-size N]`;

const options = {
  runtime: { type: 'string' },
  tuning: { type: 'string' },
  'max-nodes': { type: 'string' },
  count: { type: 'string' },
  'max-model-len': { type: 'string' },
  cloud: { type: 'string' },
  limit: { type: 'string' },
  name: { type: 'string' },
  registry: { type: 'string' },
  output: { type: 'string' },
  'weights-gib': { type: 'string' },
  context: { type: 'string' },
  layers: { type: 'string' },
  'attention-heads': { type: 'string' },
  'kv-heads': { type: 'string' },
  'head-dim': { type: 'string' },
  'hidden-size': { type: 'string' },
  'vocab-size': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends codedError('Usage') {}

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function positive(values: Values, key: keyof Values): number | undefined {
  const raw = values[key];
  if (raw === undefined || typeof raw !== 'string') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${key}: expected a positive number, got "${raw}"`);
  return n;
}

/** Counts and token lengths: a fraction would reach vLLM as --max-model-len=4000.5, which it rejects. */
function int(values: Values, key: keyof Values): number | undefined {
  const raw = values[key];
  if (raw === undefined || typeof raw !== 'string') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${key}: expected a positive integer, got "${raw}"`);
  return n;
}

function oneOf<T extends string>(values: Values, key: keyof Values, allowed: readonly T[]): T | undefined {
  const raw = values[key];
  if (raw === undefined || typeof raw !== 'string') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${key}: expected one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function modelFrom(name: string, values: Values): PresetModel {
  const weightsGiB = positive(values, 'weights-gib');
  if (weightsGiB === undefined) return resolveModel(name);
  const custom: Omit<CustomModelInput, 'id'> = { weightsGiB };
  const set = (flag: keyof Values, key: 'contextLength' | 'layers' | 'attentionHeads' | 'kvHeads' | 'headDim' | 'hiddenSize' | 'vocabSize') => {
    const v = int(values, flag);
    if (v !== undefined) custom[key] = v;
  };
  set('context', 'contextLength');
  set('layers', 'layers');
  set('attention-heads', 'attentionHeads');
  set('kv-heads', 'kvHeads');
  set('head-dim', 'headDim');
  set('hidden-size', 'hiddenSize');
  set('vocab-size', 'vocabSize');
  return resolveModel(name, custom);
}

function planOptions(values: Values): { runtime: RuntimeName; options: PlanOptions } {
  const runtime = oneOf<RuntimeName>(values, 'runtime', ['vllm', 'transformers']) ?? 'vllm';
  const tuning = oneOf<TuningMethod>(values, 'tuning', ['lora', 'qlora']);
  const opts: PlanOptions = {};
  if (tuning !== undefined) {
    opts.mode = 'tuning';
    opts.tuningMethod = tuning;
  }
  const maxNodes = int(values, 'max-nodes');
  if (maxNodes !== undefined) opts.maxNodes = maxNodes;
  const count = int(values, 'count');
  if (count !== undefined) opts.requestedNodes = count;
  const maxModelLen = int(values, 'max-model-len');
  if (maxModelLen !== undefined) opts.maxModelLen = maxModelLen;
  return { runtime, options: opts };
}

function positionals(args: string[], count: number, what: string): string[] {
  if (args.length !== count) throw new UsageError(`expected ${what}`);
  return args;
}

function gib(n: number): string {
  return `${(Math.round(n * 10) / 10).toFixed(1)} GiB`;
}

export function describePlan(p: Plan): string {
  const what = p.mode === 'tuning' ? `${p.tuningMethod ?? 'qlora'} tuning` : `inference (${p.runtime})`;
  const lines = [`${p.model} on ${p.sku}: ${what}: ${p.fits ? 'FITS' : 'DOES NOT FIT'}`];
  if (p.fits) {
    lines.push(
      `  nodes ${p.nodeCount} x ${p.gpusPerNode} GPU  tensorParallel ${p.tensorParallel}  pipelineParallel ${p.pipelineParallel}  dataParallel ${p.dataParallel}`,
      `  ${p.mode === 'tuning' ? 'maxSeqLength' : 'maxModelLen'} ${p.maxModelLen}  dtype ${p.dtype}  per GPU ${gib(p.memory.totalGiB)} of ${gib(p.memory.capacityGiB)} usable  disk ${gib(p.diskGiB)}`,
    );
  }
  const fewest = p.nodes.minimum !== undefined ? `fewest nodes that fit: ${p.nodes.minimum}` : 'no node count fits';
  lines.push(`  ${fewest}; resource.count ${p.nodes.requested}: ${p.nodes.verdict.replace(/-/g, ' ')}`);
  lines.push(...p.reasons.map((r) => `  - ${r}`));
  return lines.join('\n');
}

function run(argv: string[]): CliResult {
  const { values, positionals: pos } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const [command, ...rest] = pos;
  if (values.help === true || command === undefined || command === 'help') return { code: 0, out: USAGE, err: '' };

  switch (command) {
    case 'models': {
      positionals(rest, 0, 'no arguments');
      const rows = listModels().map((m) => [
        m.name,
        m.hfRepo,
        m.weightsGiB,
        m.contextLength,
        m.runtimes.join(','),
        m.tuning?.methods.join(',') ?? '-',
        m.hfTokenRequired ? 'yes' : 'no',
      ]);
      return { code: 0, out: table(['MODEL', 'HUGGING FACE', 'WEIGHTS GiB', 'CONTEXT', 'RUNTIMES', 'TUNING', 'HF TOKEN'], rows), err: '' };
    }
    case 'skus': {
      positionals(rest, 0, 'no arguments');
      const cloud = oneOf(values, 'cloud', ['azure', 'aws', 'azure-local'] as const);
      const rows = listSkus()
        .filter((s) => cloud === undefined || s.cloud === cloud)
        .map((s) => [s.name, s.cloud, s.gpuCount, s.gpuProduct, s.gpuMemoryGiB, totalGpuMemoryGiB(s), s.computeCapability, s.vcpu, s.memoryGiB, s.nvmeGiB ?? '-', s.pricePerHourUsd?.toFixed(2) ?? '-']);
      return {
        code: 0,
        out: table(['SKU', 'CLOUD', 'GPUS', 'GPU', 'GiB/GPU', 'GiB TOTAL', 'CC', 'VCPU', 'RAM GiB', 'NVMe GiB', 'USD/H'], rows),
        err: '',
      };
    }
    case 'plan': {
      const [modelName = '', skuName = ''] = positionals(rest, 2, '<model> <sku>');
      const { runtime, options: opts } = planOptions(values);
      const p = plan(modelFrom(modelName, values), getSku(skuName), runtime, opts);
      const format = oneOf(values, 'output', ['text', 'json', 'yaml'] as const) ?? 'text';
      const out = format === 'json' ? JSON.stringify(p, null, 2) : format === 'yaml' ? stringify(p, { aliasDuplicateObjects: false }).trimEnd() : describePlan(p);
      return { code: p.fits ? 0 : 1, out, err: '' };
    }
    case 'suggest': {
      const [modelName = ''] = positionals(rest, 1, '<model>');
      const { runtime, options: opts } = planOptions(values);
      const cloud = oneOf(values, 'cloud', ['azure', 'aws', 'azure-local'] as const);
      const limit = int(values, 'limit') ?? 10;
      const list = suggestSkus(modelFrom(modelName, values), { ...opts, runtime, ...(cloud !== undefined ? { cloud } : {}) }).slice(0, limit);
      if (list.length === 0) return { code: 1, out: '', err: `no catalog SKU fits ${modelName}${cloud !== undefined ? ` on ${cloud}` : ''}` };
      const rows = list.map((s) => [
        s.sku.name,
        s.plan.nodeCount,
        s.sku.gpuCount,
        s.sku.gpuProduct,
        s.plan.tensorParallel,
        s.plan.maxModelLen,
        s.plan.dtype,
        s.hourlyUsd?.toFixed(2) ?? '-',
      ]);
      return { code: 0, out: table(['SKU', 'NODES', 'GPUS/NODE', 'GPU', 'TP', opts.mode === 'tuning' ? 'SEQ LEN' : 'MAX LEN', 'DTYPE', 'USD/H'], rows), err: '' };
    }
    case 'render': {
      const [modelName = '', skuName = ''] = positionals(rest, 2, '<model> <sku>');
      const { runtime, options: opts } = planOptions(values);
      const model = modelFrom(modelName, values);
      const p = plan(model, getSku(skuName), runtime, opts);
      if (!p.fits) return { code: 1, out: '', err: describePlan(p) };
      const name = values.name ?? model.name.replace(/[^a-z0-9-]/gi, '-').toLowerCase();
      const registry = values.registry !== undefined ? { registry: values.registry } : {};
      const leader = p.nodeCount > 1 ? { leaderAddress: `${name}-0.${name}-headless.default.svc.cluster.local` } : {};
      const doc =
        p.mode === 'tuning'
          ? { container: renderTuningContainer(p, model, { name, ...registry }) }
          : { container: renderInferenceContainer(p, model, { name, ...registry, ...leader }), volumes: inferenceVolumes(p, {}) };
      return { code: 0, out: stringify(doc, { aliasDuplicateObjects: false }).trimEnd(), err: '' };
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** Runs the CLI; errors users can fix become a message and exit code 2. */
export function main(argv: string[]): CliResult {
  try {
    return run(argv);
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, out: '', err: `${e.message}\n\n${USAGE}` };
    if (isPresetsError(e)) return { code: 2, out: '', err: e.message };
    // node:util parseArgs errors (checked by code: under jest they come from another realm)
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return { code: 2, out: '', err: `${(e as Error).message}\n\n${USAGE}` };
    throw e;
  }
}
