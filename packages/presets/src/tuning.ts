// Tuning plans: the memory facts of LoRA/QLoRA on one node (memory.ts), and the words for them.
import type { PresetModel, TuningMethod } from './catalog/model-codec.js';
import type { GpuSku } from './catalog/sku-codec.js';
import { fmt, fmtInt, tuningMemory, type TuningMemory } from './memory.js';
import { listModels } from './models.js';
import { bypass, hfTokenNote, nodeVerdict, round2 } from './plan-common.js';
import type { Plan, PlanMemory, PlanOptions } from './plan-types.js';
import { blockedText, gpuPhrase, precisionFor, type PrecisionFacts } from './precision.js';
import { tuningRuntime } from './runtimes.js';
import { deviceMemoryGiB } from './skus.js';

/** Plans tuning `model` with `options.tuningMethod` (default qlora) on one `sku` node. */
export function evaluateTuning(model: PresetModel, sku: GpuSku, options: PlanOptions): Plan {
  const rt = tuningRuntime();
  const method = options.tuningMethod ?? 'qlora';
  const precision = precisionFor(model, sku);
  const base = basePlan(model, sku, method, precision, options);
  if (model.tuning === undefined) {
    const tunable = listModels()
      .filter((m) => m.tuning !== undefined)
      .map((m) => m.name);
    return { ...base, misfitReason: 'TuningNotSupported', reasons: [`${model.name} does not support tuning; presets that do: ${tunable.join(', ')}`] };
  }
  if (!model.tuning.methods.includes(method)) {
    return { ...base, misfitReason: 'TuningNotSupported', reasons: [`${model.name} does not support ${method}; it supports ${model.tuning.methods.join(', ')}`] };
  }
  if (precision.kind === 'blocked') return { ...base, misfitReason: 'GpuNotSupported', reasons: [blockedText(model, sku, precision)] };

  const seqLength = options.tuningMaxSeqLength ?? rt.defaults.maxSeqLength;
  const batchSize = options.tuningBatchSize ?? rt.defaults.batchSize;
  const mem = tuningMemory(model, method, precision.dtype, {
    seqLength,
    batchSize,
    loraRank: rt.defaults.loraRank,
    gradientCheckpointing: rt.defaults.gradientCheckpointing,
    overheadGiB: rt.overheadGiBPerGpu,
  });
  const device = deviceMemoryGiB(sku);
  const capacity = device * rt.gpuMemoryUtilization;
  const memory: PlanMemory = {
    weightsGiB: round2(mem.weightsGiB),
    kvCacheGiB: 0,
    activationsGiB: round2(mem.activationsGiB + mem.trainableGiB),
    overheadGiB: mem.overheadGiB,
    totalGiB: round2(mem.totalGiB),
    capacityGiB: round2(capacity),
    deviceGiB: round2(device),
    kvBytesPerToken: 0,
  };
  const fitted: Plan = {
    ...base,
    gpuMemoryUtilization: rt.gpuMemoryUtilization,
    memory,
    maxModelLen: seqLength,
    diskGiB: model.tuning.diskGiB,
    nodes: nodeVerdict(1, options.requestedNodes),
  };
  const words = { method, seqLength, batchSize, loraRank: rt.defaults.loraRank, capacity, device };
  const notes = tuningNotes(model, sku, precision, mem, model.tuning.diskGiB);
  if (mem.totalGiB <= capacity) return { ...fitted, fits: true, reasons: [fitText(sku, mem, words), ...notes] };
  // tuning runs on one node: more nodes never help
  const misfit: Plan = { ...fitted, nodes: nodeVerdict(undefined, options.requestedNodes), misfitReason: 'ModelDoesNotFit', reasons: [misfitText(model, sku, mem, words), ...notes] };
  return bypass(misfit, options);
}

function basePlan(model: PresetModel, sku: GpuSku, method: TuningMethod, precision: PrecisionFacts, options: PlanOptions): Plan {
  return {
    fits: false,
    model: model.name,
    sku: sku.name,
    mode: 'tuning',
    runtime: 'tuning-runner',
    tuningMethod: method,
    nodeCount: 1,
    gpusPerNode: sku.gpuCount,
    tensorParallel: 1,
    pipelineParallel: 1,
    dataParallel: sku.gpuCount,
    maxModelLen: 0,
    dtype: precision.dtype,
    gpuMemoryUtilization: 0,
    memory: { weightsGiB: 0, kvCacheGiB: 0, activationsGiB: 0, overheadGiB: 0, totalGiB: 0, capacityGiB: 0, deviceGiB: round2(deviceMemoryGiB(sku)), kvBytesPerToken: 0 },
    diskGiB: model.diskGiB,
    nodes: nodeVerdict(undefined, options.requestedNodes),
    reasons: [],
  };
}

interface TuningWords {
  method: TuningMethod;
  seqLength: number;
  batchSize: number;
  loraRank: number;
  capacity: number;
  device: number;
}

function breakdown(mem: TuningMemory, w: TuningWords): string {
  return (
    `${fmt(mem.weightsGiB)} GiB weights + ${fmt(mem.trainableGiB)} GiB LoRA weights/grads/Adam ` +
    `(${fmtInt(mem.trainableParams / 1e6)}M params, r=${w.loraRank}) + ${fmt(mem.activationsGiB)} GiB activations ` +
    `(${fmtInt(w.seqLength)} tokens x batch ${w.batchSize}, gradient checkpointing) + ${fmt(mem.overheadGiB)} GiB CUDA overhead, +10% fragmentation`
  );
}

function fitText(sku: GpuSku, mem: TuningMemory, w: TuningWords): string {
  return `fits: per GPU ${fmt(mem.totalGiB)} GiB <= ${fmt(w.capacity)} GiB usable of ${fmt(w.device)} GiB (${sku.gpuProduct} as CUDA sees it): ${breakdown(mem, w)}`;
}

function misfitText(model: PresetModel, sku: GpuSku, mem: TuningMemory, w: TuningWords): string {
  return (
    `${w.method} tuning of ${model.name} needs about ${fmt(mem.totalGiB)} GiB per GPU (${breakdown(mem, w)}); ${sku.name} offers ` +
    `${fmt(w.device)} GiB per GPU (${fmt(w.capacity)} GiB usable); tuning runs on one node and every GPU holds the whole model`
  );
}

/** What a GPU below 8.0 means for training: the trainer's fp16 switches rather than vLLM's kernels. */
function precisionNote(model: PresetModel, sku: GpuSku, p: PrecisionFacts): string[] {
  const floor = `${gpuPhrase(sku)}, below Kaito's 8.0 floor: no bfloat16 and no FlashAttention-2`;
  if (p.kind === 'float16') return [`${floor}; train in fp16 (fp16: true; bnb_4bit_compute_dtype: float16) instead of the bf16 template`];
  if (p.kind === 'float32') return [`${floor}; ${model.name} overflows in float16, so it must run in float32 (twice the weight memory)`];
  return [];
}

function tuningNotes(model: PresetModel, sku: GpuSku, p: PrecisionFacts, mem: TuningMemory, diskGiB: number): string[] {
  return [
    mem.assumption,
    sku.gpuCount > 1 ? `${sku.gpuCount} GPUs run data-parallel (one process per GPU), each holding a full copy` : 'one GPU',
    ...precisionNote(model, sku, p),
    `needs ${fmt(diskGiB)} GiB disk for weights, data and checkpoints`,
    ...(model.hfTokenRequired ? [hfTokenNote(model)] : []),
  ];
}
