// The presets CLI as a pure function of argv: easy to test, printed by cli.ts.
import { codedError, defineSettings, isSettingsError, parseSettings, SettingCodecs as C, settingsHelp, type SettingsOf } from '@kaito-ts/core';
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

const COMMANDS = `usage: presets <command> [options]

commands:
  models                          list preset models
  skus [--cloud azure|aws|azure-local]  list GPU SKUs
  plan <model> <sku>              plan a model on a SKU (exit 1 when it does not fit)
  suggest <model>                 SKUs that fit, cheapest first
  render <model> <sku>            the container spec (YAML) for a fitting plan

custom Hugging Face models (any org/model not in the catalog): --weights-gib N and, when known,
--context, --layers, --attention-heads, --kv-heads, --head-dim, --hidden-size, --vocab-size.`;

/** Counts and token lengths are whole: a fraction would reach vLLM as --max-model-len=4000.5, which it rejects. */
const count = (flag: string, description: string) =>
  ({ flag, codec: C.optional(C.wholeNumber({ min: 1, what: 'a positive integer' })), description, example: '4096', placeholder: 'N' }) as const;

const SETTINGS = defineSettings({
  runtime: { flag: 'runtime', codec: C.oneOf(['vllm', 'transformers']), default: 'vllm', description: 'inference runtime', placeholder: 'vllm|transformers' },
  tuning: { flag: 'tuning', codec: C.optional(C.oneOf(['lora', 'qlora'])), description: 'plan tuning instead of inference', example: 'qlora', placeholder: 'lora|qlora' },
  maxNodes: { ...count('max-nodes', 'nodes the model may span (vLLM; default 1)'), example: '2' },
  count: { ...count('count', "plan: the Workspace's resource.count, compared with the fewest nodes that fit (default 1)"), example: '2' },
  maxModelLen: count('max-model-len', "context to serve (default: the model's)"),
  cloud: { flag: 'cloud', codec: C.optional(C.oneOf(['azure', 'aws', 'azure-local'])), description: 'skus, suggest: only this cloud', example: 'azure', placeholder: 'azure|aws|azure-local' },
  limit: { flag: 'limit', codec: C.wholeNumber({ min: 1, what: 'a positive integer' }), default: '10', description: 'suggest: at most N rows', placeholder: 'N' },
  name: { flag: 'name', codec: C.optional(C.text), description: 'render: container name (default: the model name)', example: 'phi-4', placeholder: 'NAME' },
  registry: { flag: 'registry', codec: C.optional(C.text), description: 'render: image registry', example: 'localhost:5001', placeholder: 'HOST[/PATH]' },
  output: { flag: 'output', codec: C.oneOf(['text', 'json', 'yaml']), default: 'text', description: 'plan: output format', placeholder: 'text|json|yaml' },
  weightsGiB: {
    flag: 'weights-gib',
    codec: C.optional(C.decimal({ min: 0, minExclusive: true, what: 'a positive number' })),
    description: 'custom model: weights size',
    example: '13.5',
    placeholder: 'N',
  },
  contextLength: count('context', 'custom model: context length'),
  layers: { ...count('layers', 'custom model: hidden layers'), example: '32' },
  attentionHeads: { ...count('attention-heads', 'custom model: attention heads'), example: '32' },
  kvHeads: { ...count('kv-heads', 'custom model: key/value heads'), example: '8' },
  headDim: { ...count('head-dim', 'custom model: head dimension'), example: '128' },
  hiddenSize: count('hidden-size', 'custom model: hidden size'),
  vocabSize: { ...count('vocab-size', 'custom model: vocabulary size'), example: '32000' },
});

export const USAGE = settingsHelp(SETTINGS, COMMANDS);

class UsageError extends codedError('Usage') {}

type Values = SettingsOf<typeof SETTINGS>;

function modelFrom(name: string, values: Values): PresetModel {
  const { weightsGiB } = values;
  if (weightsGiB === undefined) return resolveModel(name);
  const custom: Omit<CustomModelInput, 'id'> = { weightsGiB };
  for (const key of ['contextLength', 'layers', 'attentionHeads', 'kvHeads', 'headDim', 'hiddenSize', 'vocabSize'] as const) {
    const v = values[key];
    if (v !== undefined) custom[key] = v;
  }
  return resolveModel(name, custom);
}

function planOptions(values: Values): { runtime: RuntimeName; options: PlanOptions } {
  const runtime: RuntimeName = values.runtime;
  const tuning: TuningMethod | undefined = values.tuning;
  const opts: PlanOptions = {};
  if (tuning !== undefined) {
    opts.mode = 'tuning';
    opts.tuningMethod = tuning;
  }
  if (values.maxNodes !== undefined) opts.maxNodes = values.maxNodes;
  if (values.count !== undefined) opts.requestedNodes = values.count;
  if (values.maxModelLen !== undefined) opts.maxModelLen = values.maxModelLen;
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
  const parsed = parseSettings(SETTINGS, argv, {}, { positionals: true });
  if (parsed.help) return { code: 0, out: USAGE, err: '' };
  const { values } = parsed;
  const [command, ...rest] = parsed.positionals;
  if (command === undefined || command === 'help') return { code: 0, out: USAGE, err: '' };

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
      const cloud = values.cloud;
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
      const format = values.output;
      const out = format === 'json' ? JSON.stringify(p, null, 2) : format === 'yaml' ? stringify(p, { aliasDuplicateObjects: false }).trimEnd() : describePlan(p);
      return { code: p.fits ? 0 : 1, out, err: '' };
    }
    case 'suggest': {
      const [modelName = ''] = positionals(rest, 1, '<model>');
      const { runtime, options: opts } = planOptions(values);
      const cloud = values.cloud;
      const limit = values.limit;
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
    if (isSettingsError(e)) return { code: 2, out: '', err: `${e.message}\n\n${USAGE}` };
    if (isPresetsError(e)) return { code: 2, out: '', err: e.message };
    throw e;
  }
}
