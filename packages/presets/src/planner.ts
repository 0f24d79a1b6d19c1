// The fit planner: (model, SKU, runtime, options) → how to run it, or why it cannot run and what
// to choose instead. Pure: the catalog is static data; nothing here does I/O.
import type { PresetModel, RuntimeName, TuningMethod } from './catalog/model-codec.js';
import type { GpuSku } from './catalog/sku-codec.js';
import { GiB, fmt, fmtInt, kvBytesPerTokenPerGpu, servingWeightsGiB, tuningMemory } from './memory.js';
import { getModel, listModels, type ServingDType } from './models.js';
import { gpuMemoryUtilization, inferenceRuntime, tuningRuntime } from './runtimes.js';
import { computeCapabilityOf, getSku, listSkus, totalGpuMemoryGiB } from './skus.js';

export type PlanMode = 'inference' | 'tuning';
export type PlanRuntime = RuntimeName | 'tuning-runner';

export interface PlanOptions {
  /** default `inference` */
  mode?: PlanMode;
  /** tuning only; default `qlora` */
  tuningMethod?: TuningMethod;
  /** most nodes the workload may span (vLLM inference only); default 1 */
  maxNodes?: number;
  /** inference: the context wanted; default the model's own limit */
  maxModelLen?: number;
  /** inference: the smallest context worth serving; default min(2048, model limit) as Kaito's estimator */
  minModelLen?: number;
  /** inference: override the runtime's share of GPU memory (vLLM --gpu-memory-utilization) */
  gpuMemoryUtilization?: number;
  /** tuning: tokens per sample; default the runner's (1024, TRL SFTConfig max_length) */
  tuningMaxSeqLength?: number;
  /** tuning: per-device batch; default 1 */
  tuningBatchSize?: number;
  /** Kaito's `kaito.sh/bypass-resource-checks`: report the estimate but call it a fit */
  bypassMemoryCheck?: boolean;
}

export interface PlanMemory {
  /** per GPU, GiB */
  weightsGiB: number;
  kvCacheGiB: number;
  activationsGiB: number;
  overheadGiB: number;
  totalGiB: number;
  /** what one GPU may use: GPU memory × utilisation */
  capacityGiB: number;
  /** KV bytes one token takes on one GPU of this layout */
  kvBytesPerToken: number;
}

export interface PlanSuggestion {
  /** cheapest catalog SKUs (same cloud) on which the same request fits on one node */
  skus: string[];
  /** nodes of the requested SKU that would fit (vLLM only), when within 8 */
  nodes?: number;
  /** other ways out, e.g. `use qlora` */
  other: string[];
  text: string;
}

/** Machine-readable cause of a misfit, for a condition reason (docs/troubleshooting.md). */
export type MisfitReason = 'ModelDoesNotFit' | 'TuningNotSupported' | 'RuntimeNotSupported' | 'GpuNotSupported';

export interface Plan {
  fits: boolean;
  /** set when fits is false */
  misfitReason?: MisfitReason;
  model: string;
  sku: string;
  mode: PlanMode;
  runtime: PlanRuntime;
  tuningMethod?: TuningMethod;
  nodeCount: number;
  gpusPerNode: number;
  tensorParallel: number;
  pipelineParallel: number;
  dataParallel: number;
  /** inference: the context to serve (vLLM --max-model-len); tuning: tokens per sample */
  maxModelLen: number;
  dtype: ServingDType;
  /** the share of each GPU the runtime may use (vLLM --gpu-memory-utilization) */
  gpuMemoryUtilization: number;
  memory: PlanMemory;
  diskGiB: number;
  /** why it fits or not, and every assumption made, in order */
  reasons: string[];
  suggestion?: PlanSuggestion;
}

const DEFAULT_MIN_MODEL_LEN = 2048;
const MAX_SUGGESTED_NODES = 8;

/** Plans `model` on `sku`. Names are resolved against the catalog (unknown names throw with close matches). */
export function plan(model: PresetModel | string, sku: GpuSku | string, runtime: RuntimeName = 'vllm', options: PlanOptions = {}): Plan {
  const m = typeof model === 'string' ? getModel(model) : model;
  const s = typeof sku === 'string' ? getSku(sku) : sku;
  const result = evaluate(m, s, runtime, options);
  if (result.fits) return result;
  const suggestion = suggestFor(m, s, runtime, options, result);
  if (suggestion === undefined) return result;
  const [first, ...rest] = result.reasons;
  const headline = first === undefined ? suggestion.text : `${first}; ${suggestion.text}`;
  return { ...result, reasons: [headline, ...rest], suggestion };
}

export interface SkuSuggestion {
  sku: GpuSku;
  plan: Plan;
  /** nodeCount × list price per node-hour */
  hourlyUsd: number;
}

/** SKUs on which the model fits, cheapest first (node count × list price, then less GPU memory). */
export function suggestSkus(
  model: PresetModel | string,
  options: PlanOptions & { runtime?: RuntimeName; cloud?: GpuSku['cloud']; candidates?: readonly GpuSku[] } = {},
): SkuSuggestion[] {
  const m = typeof model === 'string' ? getModel(model) : model;
  // a bypassed memory check would call every SKU a fit: suggestions must really fit
  const { runtime = 'vllm', cloud, candidates = listSkus(), bypassMemoryCheck: _bypass, ...planOptions } = options;
  return candidates
    .filter((s) => cloud === undefined || s.cloud === cloud)
    .map((s) => ({ sku: s, plan: evaluate(m, s, runtime, planOptions) }))
    .filter((x) => x.plan.fits)
    .map((x) => ({ ...x, hourlyUsd: round2(x.plan.nodeCount * x.sku.pricePerHourUsd) }))
    .sort((a, b) => a.hourlyUsd - b.hourlyUsd || totalGpuMemoryGiB(a.sku) - totalGpuMemoryGiB(b.sku) || a.sku.name.localeCompare(b.sku.name));
}

// ---------------------------------------------------------------------------------------------

interface Precision {
  dtype: ServingDType;
  reasons: string[];
  /** set when the GPU cannot run this model at all */
  blocked?: string;
}

/** Serving precision for this GPU. Compute capability < 8.0 (V100, T4) has no bfloat16. */
function precisionFor(model: PresetModel, sku: GpuSku): Precision {
  const cc = computeCapabilityOf(sku);
  const gpu = `${sku.name} has ${sku.gpuProduct} (compute capability ${sku.computeCapability})`;
  if (model.minComputeCapability !== undefined && cc < Number(model.minComputeCapability)) {
    const what = model.quantization !== undefined ? `ships ${model.quantization.toUpperCase()} weights whose kernels need` : 'needs';
    return { dtype: model.dtype, reasons: [], blocked: `${model.name} ${what} compute capability >= ${model.minComputeCapability}; ${gpu}` };
  }
  if (cc >= 8) return { dtype: model.dtype, reasons: [] };
  const floor = `${gpu}, below Kaito's 8.0 floor: no bfloat16 and no FlashAttention-2; vLLM still runs (it needs >= 7.0) with slower attention kernels`;
  if (model.dtype === 'float16' || model.float16Safe) {
    return { dtype: 'float16', reasons: [`${floor}; serving in float16`] };
  }
  return {
    dtype: 'float32',
    reasons: [`${floor}; ${model.name} overflows in float16, so it must run in float32 (twice the weight memory)`],
  };
}

function evaluate(model: PresetModel, sku: GpuSku, runtime: RuntimeName, options: PlanOptions): Plan {
  return (options.mode ?? 'inference') === 'tuning' ? evaluateTuning(model, sku, options) : evaluateInference(model, sku, runtime, options);
}

function basePlan(model: PresetModel, sku: GpuSku, mode: PlanMode, runtime: PlanRuntime, dtype: ServingDType): Plan {
  return {
    fits: false,
    model: model.name,
    sku: sku.name,
    mode,
    runtime,
    nodeCount: 1,
    gpusPerNode: sku.gpuCount,
    tensorParallel: 1,
    pipelineParallel: 1,
    dataParallel: 1,
    maxModelLen: 0,
    dtype,
    gpuMemoryUtilization: 0,
    memory: { weightsGiB: 0, kvCacheGiB: 0, activationsGiB: 0, overheadGiB: 0, totalGiB: 0, capacityGiB: 0, kvBytesPerToken: 0 },
    diskGiB: model.diskGiB,
    reasons: [],
  };
}

interface Layout {
  nodes: number;
  tp: number;
  pp: number;
  /** tokens of KV cache one replica can hold */
  tokens: number;
  weightsPerGpu: number;
  kvBytesPerToken: number;
}

/** Tensor-parallel degrees vLLM accepts for this model on `gpus` GPUs. */
function tensorParallelOptions(model: PresetModel, gpus: number): number[] {
  const { attentionHeads, kvHeads } = model.arch;
  const out: number[] = [];
  for (let tp = 1; tp <= gpus; tp *= 2) {
    if (gpus % tp !== 0) continue;
    if (tp > 1 && !model.tensorParallel) continue;
    if (attentionHeads % tp !== 0) continue;
    if (kvHeads % tp !== 0 && tp % kvHeads !== 0) continue;
    out.push(tp);
  }
  if (!out.includes(gpus) && gpus > 1 && model.tensorParallel && attentionHeads % gpus === 0 && (kvHeads % gpus === 0 || gpus % kvHeads === 0)) out.push(gpus);
  return out;
}

function evaluateInference(model: PresetModel, sku: GpuSku, runtime: RuntimeName, options: PlanOptions): Plan {
  const rt = inferenceRuntime(runtime);
  const precision = precisionFor(model, sku);
  const plan = basePlan(model, sku, 'inference', runtime, precision.dtype);
  const reasons: string[] = [];

  if (!model.runtimes.includes(runtime)) {
    return { ...plan, misfitReason: 'RuntimeNotSupported', reasons: [`${model.name} does not run on ${runtime}; it supports ${model.runtimes.join(', ')}`] };
  }
  if (precision.blocked !== undefined) return { ...plan, misfitReason: 'GpuNotSupported', reasons: [precision.blocked] };

  const util = options.gpuMemoryUtilization ?? gpuMemoryUtilization(runtime, sku);
  plan.gpuMemoryUtilization = util;
  const capacity = sku.gpuMemoryGiB * util;
  const overhead = rt.overheadGiBPerGpu;
  const weights = servingWeightsGiB(model, precision.dtype) * rt.weightsFactor;
  const wanted = Math.min(options.maxModelLen ?? model.contextLength, model.contextLength);
  const minimum = Math.min(options.minModelLen ?? DEFAULT_MIN_MODEL_LEN, wanted);
  const maxNodes = rt.multiNode ? Math.max(1, options.maxNodes ?? 1) : 1;

  const layoutFor = (nodes: number, tp: number, pp: number, gpusSharing: number): Layout => {
    // Transformers spreads layers over the node's GPUs (device_map=auto): like pp = gpu count.
    const weightsPerGpu = weights / (tp * pp * gpusSharing);
    const kvBytes = kvBytesPerTokenPerGpu(model, precision.dtype, tp, pp * gpusSharing);
    const free = (capacity - weightsPerGpu - overhead) * GiB;
    return { nodes, tp, pp, weightsPerGpu, kvBytesPerToken: kvBytes, tokens: free > 0 ? Math.floor(free / kvBytes) : 0 };
  };

  const layouts: Layout[] = [];
  if (runtime === 'transformers') {
    layouts.push(layoutFor(1, 1, 1, sku.gpuCount));
  } else {
    for (const tp of tensorParallelOptions(model, sku.gpuCount)) layouts.push(layoutFor(1, tp, 1, 1));
    const tpMulti = Math.max(...tensorParallelOptions(model, sku.gpuCount));
    for (let nodes = 2; nodes <= Math.max(maxNodes, MAX_SUGGESTED_NODES); nodes++) {
      if (nodes > model.arch.layers) break;
      layouts.push(layoutFor(nodes, tpMulti, nodes, 1));
    }
  }
  const allowed = layouts.filter((l) => l.nodes <= maxNodes);
  // On one node every GPU is allocated anyway: take the smallest tp that reaches the wanted
  // context (the rest serve as data-parallel replicas); otherwise the layout holding most tokens.
  // Add nodes only when no single-node layout reaches even the minimum context, and then only as
  // many as reach it: a longer context is never worth another node.
  const fewestNodes = allowed
    .filter((l) => l.tokens >= minimum)
    .reduce((n, l) => Math.min(n, l.nodes), Infinity);
  const candidates = allowed.filter((l) => l.nodes === fewestNodes);
  const chosen = candidates.find((l) => l.tokens >= wanted) ?? [...candidates].sort((a, b) => b.tokens - a.tokens)[0];

  const reference = layouts[0] ?? layoutFor(1, 1, 1, 1);
  const needOneGpu = weights + overhead + (minimum * kvBytesPerTokenPerGpu(model, precision.dtype, 1, 1)) / GiB;
  if (chosen === undefined) {
    const perNode = totalGpuMemoryGiB(sku);
    reasons.push(
      `${model.name} needs about ${fmt(needOneGpu)} GiB of GPU memory (${fmt(weights)} GiB weights, ` +
        `${fmt((minimum * kvBytesPerTokenPerGpu(model, precision.dtype, 1, 1)) / GiB)} GiB KV cache for ${fmtInt(minimum)} tokens, ` +
        `${fmt(overhead)} GiB runtime overhead); ${sku.name} offers ${fmt(perNode)} GiB per node ` +
        `(${sku.gpuCount}x ${sku.gpuProduct}, ${fmt(capacity)} GiB usable per GPU at ${Math.round(util * 100)}%)`,
    );
    if (runtime === 'transformers' && (options.maxNodes ?? 1) > 1) reasons.push('Transformers cannot span nodes; vLLM can (pipeline parallel over Ray)');
    if (!model.tensorParallel && sku.gpuCount > 1) {
      reasons.push(`${model.name} cannot use tensor parallelism (${model.arch.attentionHeads} attention heads do not split), so each GPU must hold the whole model`);
    }
    reasons.push(...precision.reasons);
    const best = [...allowed].sort((a, b) => b.tokens - a.tokens)[0] ?? reference;
    return withMemory(
      { ...plan, misfitReason: 'ModelDoesNotFit', nodeCount: best.nodes, tensorParallel: best.tp, pipelineParallel: best.pp, reasons },
      best,
      capacity,
      overhead,
      0,
      options,
    );
  }

  // rounding down to a block multiple must not drop below the minimum the layout was chosen for
  const maxModelLen = chosen.tokens >= wanted ? wanted : Math.max(roundDown(chosen.tokens, 256), minimum);
  const dataParallel = runtime === 'vllm' && chosen.nodes === 1 ? Math.floor(sku.gpuCount / chosen.tp) : 1;
  const kvGiB = (maxModelLen * chosen.kvBytesPerToken) / GiB;
  const layoutText =
    runtime === 'transformers'
      ? sku.gpuCount > 1
        ? `Transformers places the layers across the node's ${sku.gpuCount} GPUs (device_map=auto); it cannot span nodes`
        : 'Transformers on one GPU'
      : chosen.nodes > 1
        ? `${chosen.nodes} nodes x ${sku.gpuCount} GPUs: tensor parallel ${chosen.tp} within a node, pipeline parallel ${chosen.pp} across nodes (Ray)`
        : dataParallel > 1
          ? `${sku.gpuCount} GPUs: tensor parallel ${chosen.tp}, ${dataParallel} data-parallel replicas`
          : `${sku.gpuCount} GPU${sku.gpuCount > 1 ? 's' : ''}: tensor parallel ${chosen.tp}`;
  reasons.push(
    `fits: per GPU ${fmt(chosen.weightsPerGpu)} GiB weights + ${fmt(overhead)} GiB overhead + ${fmt(kvGiB)} GiB KV cache ` +
      `(${fmtInt(maxModelLen)} tokens x ${fmtInt(chosen.kvBytesPerToken / 1024)} KiB) <= ${fmt(capacity)} GiB usable of ${fmt(sku.gpuMemoryGiB)} GiB`,
  );
  reasons.push(layoutText);
  if (maxModelLen < wanted) {
    reasons.push(
      `context limited to ${fmtInt(maxModelLen)} tokens (${options.maxModelLen !== undefined ? 'asked for' : `${model.name} supports`} ${fmtInt(wanted)}); ` +
        'a GPU with more memory or more GPUs per node would hold more',
    );
  }
  reasons.push(...precision.reasons);
  if (model.custom === true) reasons.push(customNote(model));
  reasons.push(...commonNotes(model, sku));
  return withMemory(
    { ...plan, fits: true, nodeCount: chosen.nodes, tensorParallel: runtime === 'vllm' ? chosen.tp : 1, pipelineParallel: chosen.pp, dataParallel, maxModelLen, reasons },
    chosen,
    capacity,
    overhead,
    kvGiB,
    options,
  );
}

function withMemory(plan: Plan, layout: Layout, capacity: number, overhead: number, kvGiB: number, options: PlanOptions): Plan {
  const memory: PlanMemory = {
    weightsGiB: round2(layout.weightsPerGpu),
    kvCacheGiB: round2(kvGiB),
    activationsGiB: 0,
    overheadGiB: overhead,
    totalGiB: round2(layout.weightsPerGpu + overhead + kvGiB),
    capacityGiB: round2(capacity),
    kvBytesPerToken: layout.kvBytesPerToken,
  };
  return bypass({ ...plan, memory }, options);
}

function bypass(plan: Plan, options: PlanOptions): Plan {
  if (plan.fits || options.bypassMemoryCheck !== true || plan.misfitReason !== 'ModelDoesNotFit') return plan;
  const { misfitReason: _ignored, ...rest } = plan;
  return { ...rest, fits: true, reasons: [...plan.reasons, 'memory check bypassed (kaito.sh/bypass-resource-checks): expect OOM at start-up'] };
}

function evaluateTuning(model: PresetModel, sku: GpuSku, options: PlanOptions): Plan {
  const rt = tuningRuntime();
  const method = options.tuningMethod ?? 'qlora';
  const precision = precisionFor(model, sku);
  const plan: Plan = { ...basePlan(model, sku, 'tuning', 'tuning-runner', precision.dtype), tuningMethod: method, dataParallel: sku.gpuCount };
  const tunable = listModels()
    .filter((m) => m.tuning !== undefined)
    .map((m) => m.name);
  if (model.tuning === undefined) {
    return { ...plan, misfitReason: 'TuningNotSupported', reasons: [`${model.name} does not support tuning; presets that do: ${tunable.join(', ')}`] };
  }
  if (!model.tuning.methods.includes(method)) {
    return { ...plan, misfitReason: 'TuningNotSupported', reasons: [`${model.name} does not support ${method}; it supports ${model.tuning.methods.join(', ')}`] };
  }
  if (precision.blocked !== undefined) return { ...plan, misfitReason: 'GpuNotSupported', reasons: [precision.blocked] };

  const seqLength = options.tuningMaxSeqLength ?? rt.defaults.maxSeqLength;
  const batchSize = options.tuningBatchSize ?? rt.defaults.batchSize;
  const mem = tuningMemory(model, method, precision.dtype, {
    seqLength,
    batchSize,
    loraRank: rt.defaults.loraRank,
    gradientCheckpointing: rt.defaults.gradientCheckpointing,
    overheadGiB: rt.overheadGiBPerGpu,
  });
  const capacity = sku.gpuMemoryGiB * rt.gpuMemoryUtilization;
  plan.gpuMemoryUtilization = rt.gpuMemoryUtilization;
  const memory: PlanMemory = {
    weightsGiB: round2(mem.weightsGiB),
    kvCacheGiB: 0,
    activationsGiB: round2(mem.activationsGiB + mem.trainableGiB),
    overheadGiB: mem.overheadGiB,
    totalGiB: round2(mem.totalGiB),
    capacityGiB: round2(capacity),
    kvBytesPerToken: 0,
  };
  const breakdown =
    `${fmt(mem.weightsGiB)} GiB weights + ${fmt(mem.trainableGiB)} GiB LoRA weights/grads/Adam ` +
    `(${fmtInt(mem.trainableParams / 1e6)}M params, r=${rt.defaults.loraRank}) + ${fmt(mem.activationsGiB)} GiB activations ` +
    `(${fmtInt(seqLength)} tokens x batch ${batchSize}, gradient checkpointing) + ${fmt(mem.overheadGiB)} GiB CUDA overhead, +10% fragmentation`;
  const precisionNotes = precision.reasons.map((r) =>
    r.replace(/; vLLM still runs.*?kernels/, '').replace('serving in float16', 'train in fp16 (fp16: true; bnb_4bit_compute_dtype: float16) instead of the bf16 template'),
  );
  const notes = [
    mem.assumption,
    sku.gpuCount > 1 ? `${sku.gpuCount} GPUs run data-parallel (one process per GPU), each holding a full copy` : 'one GPU',
    ...precisionNotes,
    `needs ${fmt(model.tuning.diskGiB)} GiB disk for weights, data and checkpoints`,
    ...(model.hfTokenRequired ? [hfTokenNote(model)] : []),
  ];
  const base = { ...plan, memory, maxModelLen: seqLength, diskGiB: model.tuning.diskGiB };
  if (mem.totalGiB <= capacity) {
    return { ...base, fits: true, reasons: [`fits: per GPU ${fmt(memory.totalGiB)} GiB <= ${fmt(capacity)} GiB usable of ${fmt(sku.gpuMemoryGiB)} GiB: ${breakdown}`, ...notes] };
  }
  return bypass(
    {
      ...base,
      misfitReason: 'ModelDoesNotFit',
      reasons: [
        `${method} tuning of ${model.name} needs about ${fmt(memory.totalGiB)} GiB per GPU (${breakdown}); ${sku.name} offers ` +
          `${fmt(sku.gpuMemoryGiB)} GiB per GPU (${fmt(capacity)} GiB usable); tuning runs on one node and every GPU holds the whole model`,
        ...notes,
      ],
    },
    options,
  );
}

function suggestFor(model: PresetModel, sku: GpuSku, runtime: RuntimeName, options: PlanOptions, failed: Plan): PlanSuggestion | undefined {
  const mode = options.mode ?? 'inference';
  // Nothing to suggest when the model cannot do what was asked anywhere.
  if (mode === 'tuning' && (model.tuning === undefined || !model.tuning.methods.includes(options.tuningMethod ?? 'qlora'))) return undefined;
  if (mode === 'inference' && !model.runtimes.includes(runtime)) {
    const other = model.runtimes[0];
    return other === undefined ? undefined : { skus: [], other: [`use runtime ${other}`], text: `use runtime ${other}` };
  }
  const singleNode = { ...options, maxNodes: 1 };
  const skus = suggestSkus(model, { ...singleNode, runtime, cloud: sku.cloud })
    .filter((s) => s.sku.name !== sku.name)
    .slice(0, 2)
    .map((s) => s.sku.name);
  let nodes: number | undefined;
  if (mode === 'inference' && runtime === 'vllm' && failed.memory.capacityGiB > 0) {
    for (let n = (options.maxNodes ?? 1) + 1; n <= MAX_SUGGESTED_NODES; n++) {
      if (evaluateInference(model, sku, runtime, { ...options, maxNodes: n }).fits) {
        nodes = n;
        break;
      }
    }
  }
  const other: string[] = [];
  if (mode === 'tuning' && (options.tuningMethod ?? 'qlora') === 'lora' && model.tuning?.methods.includes('qlora')) {
    if (evaluateTuning(model, sku, { ...options, tuningMethod: 'qlora' }).fits) other.push('use qlora');
  }
  if (mode === 'inference' && runtime === 'transformers' && model.runtimes.includes('vllm')) {
    if (evaluateInference(model, sku, 'vllm', options).fits) other.push('use runtime vllm');
  }
  const parts = [
    ...(skus.length > 0 ? [`choose ${skus.join(' or ')}`] : []),
    ...(nodes !== undefined ? [`allow ${nodes} nodes`] : []),
    ...other,
  ];
  if (parts.length === 0) return undefined;
  return { skus, ...(nodes !== undefined ? { nodes } : {}), other, text: parts.join(' or ') };
}

function customNote(model: PresetModel & { guessed?: string[] }): string {
  const guessed = model.guessed ?? [];
  return guessed.length > 0
    ? `custom model: best effort; guessed ${guessed.join(', ')} (pass them for a better estimate)`
    : 'custom model: best effort from the sizes supplied';
}

function hfTokenNote(model: PresetModel): string {
  return `${model.hfRepo} is gated: set a Hugging Face token (modelAccessSecret, key HF_TOKEN)`;
}

function commonNotes(model: PresetModel, sku: GpuSku): string[] {
  const notes: string[] = [];
  notes.push(
    sku.nvmeGiB !== undefined
      ? `needs ${fmt(model.diskGiB)} GiB disk: weights go to the node's ${fmtInt(sku.nvmeGiB)} GiB local NVMe`
      : `needs ${fmt(model.diskGiB)} GiB disk for weights (no local NVMe on ${sku.name})`,
  );
  if (model.hfTokenRequired) notes.push(hfTokenNote(model));
  return notes;
}

function roundDown(n: number, step: number): number {
  return n >= step ? Math.floor(n / step) * step : Math.floor(n);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
