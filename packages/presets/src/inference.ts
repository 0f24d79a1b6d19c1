// Inference plans: which layout of nodes and GPUs holds the model (facts), and the words for them.
//
// A layout is tp × pp × dp GPUs: tensor parallel only where the attention and KV heads divide by
// it; pipeline stages across the node's GPUs where they do not (vLLM runs both), and across nodes
// when one node is not enough. Each pipeline stage is sized on its own: the first carries the input
// embeddings, the last the output layer (memory.ts pipelineStages).
import type { PresetModel, RuntimeName } from './catalog/model-codec.js';
import type { GpuSku } from './catalog/sku-codec.js';
import { GiB, fmt, fmtInt, kvBytesPerTokenPerGpu, pipelineStages, servingWeightsGiB } from './memory.js';
import { bypass, hfTokenNote, nodeVerdict, round2 } from './plan-common.js';
import type { Plan, PlanOptions } from './plan-types.js';
import { blockedText, gpuPhrase, precisionFor, type PrecisionFacts } from './precision.js';
import { gpuMemoryUtilization, inferenceOverheadGiB, inferenceRuntime } from './runtimes.js';
import { deviceMemoryGiB, totalGpuMemoryGiB } from './skus.js';

const DEFAULT_MIN_MODEL_LEN = 2048;
/** the most nodes searched for the minimum node count (a node pool's limit on Azure Local and AKS Arc) */
export const MAX_NODES_SEARCHED = 64;

// ------------------------------------------------------------------------------------ facts

export interface StageFacts {
  /** 0-based */
  index: number;
  layers: number;
  embeddings: boolean;
  outputLayer: boolean;
  /** per GPU, GiB, runtime factor applied */
  weightsGiB: number;
  kvBytesPerToken: number;
  /** tokens of KV cache this stage's GPUs can hold */
  tokens: number;
}

export interface Layout {
  nodes: number;
  tp: number;
  pp: number;
  dp: number;
  stages: StageFacts[];
  /** tokens of KV cache one replica holds: its tightest stage's */
  tokens: number;
  /** the stage that limits tokens */
  tightest: StageFacts;
}

/** The per-GPU budget the arithmetic uses: everything said in the explanation comes from here. */
export interface Budget {
  deviceGiB: number;
  utilization: number;
  capacityGiB: number;
  overheadGiB: number;
  /** the whole model's weights in GPU memory, runtime factor applied */
  weightsGiB: number;
  minimum: number;
  wanted: number;
}

/** Tensor-parallel degrees vLLM accepts for this model on `gpus` GPUs: heads and KV heads must divide. */
export function tensorParallelOptions(model: PresetModel, gpus: number): number[] {
  const { attentionHeads, kvHeads } = model.arch;
  const ok = (tp: number) => tp === 1 || (model.tensorParallel && gpus % tp === 0 && attentionHeads % tp === 0 && (kvHeads % tp === 0 || tp % kvHeads === 0));
  return Array.from({ length: gpus }, (_, i) => i + 1).filter(ok);
}

export function layoutFor(model: PresetModel, precision: PrecisionFacts, budget: Budget, nodes: number, tp: number, pp: number, dp: number): Layout {
  const stages = pipelineStages(model, budget.weightsGiB, precision.dtype, pp).map((s, index): StageFacts => {
    const weightsGiB = s.weightsGiB / tp;
    const kvBytesPerToken = kvBytesPerTokenPerGpu(model, precision.dtype, tp, s.layers);
    const free = (budget.capacityGiB - weightsGiB - budget.overheadGiB) * GiB;
    return { index, layers: s.layers, embeddings: s.embeddings, outputLayer: s.outputLayer, weightsGiB, kvBytesPerToken, tokens: free > 0 ? Math.floor(free / kvBytesPerToken) : 0 };
  });
  const tightest = stages.reduce((a, b) => (b.tokens < a.tokens ? b : a));
  return { nodes, tp, pp, dp, stages, tokens: tightest.tokens, tightest };
}

/** Every layout worth considering on `nodes` nodes of the SKU. */
function layoutsOn(model: PresetModel, sku: GpuSku, runtime: RuntimeName, precision: PrecisionFacts, budget: Budget, nodes: number): Layout[] {
  const g = sku.gpuCount;
  // Transformers spreads the layers over the node's GPUs (device_map=auto): pipeline stages without overlap
  if (runtime === 'transformers') return nodes === 1 ? [layoutFor(model, precision, budget, 1, 1, g, 1)] : [];
  const tps = tensorParallelOptions(model, g);
  if (nodes === 1) {
    return tps.flatMap((tp) =>
      divisors(g / tp)
        .filter((pp) => pp <= model.arch.layers)
        .map((pp) => layoutFor(model, precision, budget, 1, tp, pp, g / (tp * pp))),
    );
  }
  // across nodes every GPU works on one replica: the widest tensor parallel a node allows, stages for the rest
  const tp = Math.max(...tps);
  const pp = nodes * (g / tp);
  return pp <= model.arch.layers ? [layoutFor(model, precision, budget, nodes, tp, pp, 1)] : [];
}

/**
 * One node: the layout that reaches the wanted context with the fewest GPUs per replica (the rest
 * serve as data-parallel replicas), tensor before pipeline parallel; failing that, the one holding
 * most tokens. More nodes: only one layout each.
 */
function pick(layouts: Layout[], minimum: number, wanted: number): Layout | undefined {
  const holding = layouts.filter((l) => l.tokens >= minimum);
  const full = holding.filter((l) => l.tokens >= wanted).sort((a, b) => a.tp * a.pp - b.tp * b.pp || a.pp - b.pp);
  return full[0] ?? holding.sort((a, b) => b.tokens - a.tokens || a.pp - b.pp)[0];
}

export interface InferenceFacts {
  precision: PrecisionFacts;
  budget: Budget;
  /** fewest nodes that hold the minimum context, up to MAX_NODES_SEARCHED; undefined when none */
  minimumNodes?: number;
  /** the layout used: within maxNodes; undefined when none fits there */
  chosen?: Layout;
  /** the closest layout on one node fewer, when chosen spans nodes: why fewer do not do */
  fewer?: Layout;
  /** the layout holding most tokens within maxNodes, for a misfit's numbers */
  best?: Layout;
  maxModelLen: number;
}

export function inferenceFacts(model: PresetModel, sku: GpuSku, runtime: RuntimeName, options: PlanOptions, precision: PrecisionFacts): InferenceFacts {
  const rt = inferenceRuntime(runtime);
  const deviceGiB = deviceMemoryGiB(sku);
  const utilization = options.gpuMemoryUtilization ?? gpuMemoryUtilization(runtime, sku);
  const wanted = Math.min(options.maxModelLen ?? model.contextLength, model.contextLength);
  const budget: Budget = {
    deviceGiB,
    utilization,
    capacityGiB: deviceGiB * utilization,
    overheadGiB: inferenceOverheadGiB(runtime, sku),
    weightsGiB: servingWeightsGiB(model, precision.dtype) * rt.weightsFactor,
    wanted,
    minimum: Math.min(options.minModelLen ?? DEFAULT_MIN_MODEL_LEN, wanted),
  };
  const maxNodes = rt.multiNode ? Math.max(1, options.maxNodes ?? 1) : 1;
  const byNodes = (n: number) => pick(layoutsOn(model, sku, runtime, precision, budget, n), budget.minimum, budget.wanted);
  let minimumNodes: number | undefined;
  let chosen: Layout | undefined;
  // every GPU holds its share of the weights plus the overhead: fewer nodes than this cannot fit, so
  // the search (suggestSkus runs it for every SKU) starts there
  const perGpu = budget.capacityGiB - budget.overheadGiB;
  const lowerBound = perGpu > 0 ? Math.max(1, Math.ceil(budget.weightsGiB / (sku.gpuCount * perGpu))) : Infinity;
  for (let n = lowerBound; n <= (rt.multiNode ? MAX_NODES_SEARCHED : 1); n++) {
    const l = byNodes(n);
    if (l === undefined) continue;
    minimumNodes = n;
    if (n <= maxNodes) chosen = l;
    break;
  }
  // a misfit's numbers: the layout within maxNodes that comes closest
  const best =
    chosen === undefined
      ? Array.from({ length: maxNodes }, (_, i) => layoutsOn(model, sku, runtime, precision, budget, i + 1))
          .flat()
          .sort((a, b) => b.tokens - a.tokens)[0]
      : undefined;
  const fewer = chosen !== undefined && chosen.nodes > 1 ? layoutsOn(model, sku, runtime, precision, budget, chosen.nodes - 1).sort((a, b) => b.tokens - a.tokens)[0] : undefined;
  // rounding down to a block multiple must not drop below the minimum the layout was chosen for
  const maxModelLen = chosen === undefined ? 0 : chosen.tokens >= wanted ? wanted : Math.max(roundDown(chosen.tokens, 256), budget.minimum);
  return {
    precision,
    budget,
    maxModelLen,
    ...(minimumNodes !== undefined ? { minimumNodes } : {}),
    ...(chosen !== undefined ? { chosen } : {}),
    ...(fewer !== undefined ? { fewer } : {}),
    ...(best !== undefined ? { best } : {}),
  };
}

// ------------------------------------------------------------------------------------ plan

export function evaluateInference(model: PresetModel, sku: GpuSku, runtime: RuntimeName, options: PlanOptions): Plan {
  const precision = precisionFor(model, sku);
  const base = basePlan(model, sku, runtime, precision, options);
  if (!model.runtimes.includes(runtime)) {
    return { ...base, misfitReason: 'RuntimeNotSupported', reasons: [`${model.name} does not run on ${runtime}; it supports ${model.runtimes.join(', ')}`] };
  }
  if (precision.kind === 'blocked') return { ...base, misfitReason: 'GpuNotSupported', reasons: [blockedText(model, sku, precision)] };

  const facts = inferenceFacts(model, sku, runtime, options, precision);
  const { budget, chosen } = facts;
  const common = { ...base, gpuMemoryUtilization: budget.utilization, nodes: nodeVerdict(facts.minimumNodes, options.requestedNodes) };
  if (chosen === undefined) {
    const best = facts.best;
    const misfit: Plan = {
      ...common,
      misfitReason: 'ModelDoesNotFit',
      ...(best !== undefined ? { nodeCount: best.nodes, tensorParallel: best.tp, pipelineParallel: best.pp, dataParallel: best.dp } : {}),
      memory: memoryOf(best, budget, 0),
      reasons: misfitReasons(model, sku, runtime, options, facts),
    };
    return bypass(misfit, options);
  }
  const kvGiB = (facts.maxModelLen * chosen.tightest.kvBytesPerToken) / GiB;
  return {
    ...common,
    fits: true,
    nodeCount: chosen.nodes,
    tensorParallel: chosen.tp,
    // Transformers' device_map places layers, it runs no pipeline: only vLLM gets a degree to render
    pipelineParallel: runtime === 'vllm' ? chosen.pp : 1,
    dataParallel: runtime === 'vllm' ? chosen.dp : 1,
    maxModelLen: facts.maxModelLen,
    memory: memoryOf(chosen, budget, kvGiB),
    reasons: fitReasons(model, sku, runtime, options, facts, chosen, kvGiB),
  };
}

function basePlan(model: PresetModel, sku: GpuSku, runtime: RuntimeName, precision: PrecisionFacts, options: PlanOptions): Plan {
  return {
    fits: false,
    model: model.name,
    sku: sku.name,
    mode: 'inference',
    runtime,
    nodeCount: 1,
    gpusPerNode: sku.gpuCount,
    tensorParallel: 1,
    pipelineParallel: 1,
    dataParallel: 1,
    maxModelLen: 0,
    dtype: precision.dtype,
    gpuMemoryUtilization: 0,
    memory: { weightsGiB: 0, kvCacheGiB: 0, activationsGiB: 0, overheadGiB: 0, totalGiB: 0, capacityGiB: 0, deviceGiB: round2(deviceMemoryGiB(sku)), kvBytesPerToken: 0 },
    diskGiB: model.diskGiB,
    nodes: nodeVerdict(undefined, options.requestedNodes),
    reasons: [],
  };
}

function memoryOf(layout: Layout | undefined, budget: Budget, kvGiB: number): Plan['memory'] {
  const weights = layout?.tightest.weightsGiB ?? budget.weightsGiB;
  return {
    weightsGiB: round2(weights),
    kvCacheGiB: round2(kvGiB),
    activationsGiB: 0,
    overheadGiB: budget.overheadGiB,
    totalGiB: round2(weights + budget.overheadGiB + kvGiB),
    capacityGiB: round2(budget.capacityGiB),
    deviceGiB: round2(budget.deviceGiB),
    kvBytesPerToken: layout?.tightest.kvBytesPerToken ?? 0,
  };
}

// ------------------------------------------------------------------------------------ words

/** `18.4 GiB usable (82% of the 22.5 GiB NVIDIA-A10 exposes to CUDA; 24 GiB nominal)` */
function usableText(sku: GpuSku, b: Budget): string {
  const seen = sku.cudaMemoryGiB !== undefined ? `the ${fmt(b.deviceGiB)} GiB ${sku.gpuProduct} exposes to CUDA; ${sku.gpuMemoryGiB} GiB nominal` : `${fmt(b.deviceGiB)} GiB nominal; no measured CUDA figure for ${sku.gpuProduct}`;
  return `${fmt(b.capacityGiB)} GiB usable (${Math.round(b.utilization * 100)}% of ${seen})`;
}

/** `stage 1 of 9: 9 of 80 layers + input embeddings` */
function stageText(model: PresetModel, l: Layout, s: StageFacts): string {
  const extra = [...(s.embeddings ? ['input embeddings'] : []), ...(s.outputLayer ? ['output layer'] : [])];
  return `stage ${s.index + 1} of ${l.pp}: ${s.layers} of ${model.arch.layers} layers${extra.length > 0 ? ` + ${extra.join(' + ')}` : ''}`;
}

/** The numbers of one GPU: weights, overhead, KV cache for the served context and for the minimum one. */
function perGpuText(s: StageFacts, b: Budget, tokens: number): string {
  const kv = (tokens * s.kvBytesPerToken) / GiB;
  const atMinimum = tokens > b.minimum ? `; ${fmt((b.minimum * s.kvBytesPerToken) / GiB)} GiB for the ${fmtInt(b.minimum)}-token minimum` : '';
  return `${fmt(s.weightsGiB)} GiB weights + ${fmt(b.overheadGiB)} GiB overhead + ${fmt(kv)} GiB KV cache (${fmtInt(tokens)} tokens x ${fmtInt(s.kvBytesPerToken / 1024)} KiB${atMinimum})`;
}

function layoutText(model: PresetModel, sku: GpuSku, runtime: RuntimeName, l: Layout): string {
  const g = sku.gpuCount;
  if (runtime === 'transformers') {
    return g > 1 ? `Transformers places the layers across the node's ${g} GPUs (device_map=auto); it cannot span nodes` : 'Transformers on one GPU';
  }
  const tpLimited = g > 1 && l.tp < g && l.dp === 1;
  const why = tpLimited ? `; tensor parallel stops at ${l.tp}: ${tpStopText(model, g, l.tp)}` : '';
  if (l.nodes > 1) {
    const within = l.tp === g ? `tensor parallel ${l.tp} within a node` : `tensor parallel ${l.tp} x ${g / l.tp} pipeline stages within a node`;
    return `${l.nodes} nodes x ${g} GPU${g > 1 ? 's' : ''}: ${within}, pipeline parallel ${l.pp} in all (Ray)${why}`;
  }
  const parts = [`tensor parallel ${l.tp}`, ...(l.pp > 1 ? [`pipeline parallel ${l.pp} across the node's GPUs`] : []), ...(l.dp > 1 ? [`${l.dp} data-parallel replicas`] : [])];
  return `${g} GPU${g > 1 ? 's' : ''}: ${parts.join(', ')}${why}`;
}

/**
 * Why a replica uses tensor parallel `tp` rather than more: the heads forbid more, or more would
 * hold less KV cache than pipeline stages, because every tensor-parallel GPU keeps a whole copy of
 * what does not split further (a KV head, or the latent of latent attention).
 */
function tpStopText(model: PresetModel, g: number, tp: number): string {
  const widest = Math.max(...tensorParallelOptions(model, g));
  if (widest <= tp) return headsText(model, g);
  const copied =
    model.arch.kvLoraRank !== undefined
      ? 'every tensor-parallel GPU keeps the whole latent-attention KV cache'
      : `the ${model.arch.kvHeads} KV heads are copied onto every GPU past ${model.arch.kvHeads}`;
  return `tensor parallel ${widest} holds less KV cache (${copied}), pipeline stages split it`;
}

function headsText(model: PresetModel, g: number): string {
  const { attentionHeads, kvHeads } = model.arch;
  if (!model.tensorParallel) return `${model.name} cannot use tensor parallelism (${attentionHeads} attention heads do not split)`;
  return `${attentionHeads} attention heads and ${kvHeads} KV heads do not divide by ${g}`;
}

function fitReasons(model: PresetModel, sku: GpuSku, runtime: RuntimeName, options: PlanOptions, f: InferenceFacts, l: Layout, kvGiB: number): string[] {
  const b = f.budget;
  const s = l.tightest;
  const reasons = [`fits: per GPU ${perGpuText(s, b, f.maxModelLen)} <= ${usableText(sku, b)}`];
  if (l.pp > 1) reasons.push(`the tightest GPU holds pipeline ${stageText(model, l, s)}; ${fmt(kvGiB)} GiB KV cache there`);
  reasons.push(layoutText(model, sku, runtime, l));
  if (f.fewer !== undefined) {
    const t = f.fewer.tightest;
    const need = t.weightsGiB + b.overheadGiB + (b.minimum * t.kvBytesPerToken) / GiB;
    reasons.push(
      `${f.fewer.nodes} node${f.fewer.nodes > 1 ? 's' : ''} would not do: pipeline ${stageText(model, f.fewer, t)} would need ` +
        `${fmt(t.weightsGiB)} GiB weights + ${fmt(b.overheadGiB)} GiB overhead + ${fmt((b.minimum * t.kvBytesPerToken) / GiB)} GiB KV cache for ${fmtInt(b.minimum)} tokens ` +
        `= ${fmt(need)} GiB > ${fmt(b.capacityGiB)} GiB usable`,
    );
  }
  if (f.maxModelLen < b.wanted) {
    reasons.push(
      `context limited to ${fmtInt(f.maxModelLen)} tokens (${options.maxModelLen !== undefined ? 'asked for' : `${model.name} supports`} ${fmtInt(b.wanted)}); ` +
        'a GPU with more memory or more GPUs per node would hold more',
    );
  }
  reasons.push(...precisionNote(model, sku, f.precision));
  if (model.custom === true) reasons.push(customNote(model));
  reasons.push(...commonNotes(model, sku));
  return reasons;
}

function misfitReasons(model: PresetModel, sku: GpuSku, runtime: RuntimeName, options: PlanOptions, f: InferenceFacts): string[] {
  const b = f.budget;
  const kvOneGpu = (b.minimum * kvBytesPerTokenPerGpu(model, f.precision.dtype, 1, model.arch.layers)) / GiB;
  const reasons = [
    `${model.name} needs about ${fmt(b.weightsGiB + b.overheadGiB + kvOneGpu)} GiB of GPU memory (${fmt(b.weightsGiB)} GiB weights, ` +
      `${fmt(kvOneGpu)} GiB KV cache for ${fmtInt(b.minimum)} tokens, ${fmt(b.overheadGiB)} GiB runtime overhead); ${sku.name} offers ` +
      `${fmt(totalGpuMemoryGiB(sku))} GiB per node nominal (${sku.gpuCount}x ${sku.gpuProduct}, ${usableText(sku, b)} per GPU)`,
  ];
  if (f.minimumNodes !== undefined) {
    reasons.push(`${f.minimumNodes} nodes of ${sku.name} would hold it; ${options.maxNodes ?? 1} allowed`);
  } else if (runtime === 'transformers' && (options.maxNodes ?? 1) > 1) {
    reasons.push('Transformers cannot span nodes; vLLM can (pipeline parallel over Ray)');
  }
  if (!model.tensorParallel && sku.gpuCount > 1) {
    reasons.push(`${model.name} cannot use tensor parallelism (${model.arch.attentionHeads} attention heads do not split), so the node's GPUs can only hold it as pipeline stages`);
  }
  reasons.push(...precisionNote(model, sku, f.precision));
  return reasons;
}

/** What a GPU below 8.0 means for serving: vLLM's slower kernels and the dtype it serves in. */
function precisionNote(model: PresetModel, sku: GpuSku, p: PrecisionFacts): string[] {
  const floor = `${gpuPhrase(sku)}, below Kaito's 8.0 floor: no bfloat16 and no FlashAttention-2; vLLM still runs (it needs >= 7.0) with slower attention kernels`;
  if (p.kind === 'float16') return [`${floor}; serving in float16`];
  if (p.kind === 'float32') return [`${floor}; ${model.name} overflows in float16, so it must run in float32 (twice the weight memory)`];
  return [];
}

function customNote(model: PresetModel & { guessed?: string[] }): string {
  const guessed = model.guessed ?? [];
  return guessed.length > 0
    ? `custom model: best effort; guessed ${guessed.join(', ')} (pass them for a better estimate)`
    : 'custom model: best effort from the sizes supplied';
}

function commonNotes(model: PresetModel, sku: GpuSku): string[] {
  return [
    sku.nvmeGiB !== undefined
      ? `needs ${fmt(model.diskGiB)} GiB disk: weights go to the node's ${fmtInt(sku.nvmeGiB)} GiB local NVMe`
      : `needs ${fmt(model.diskGiB)} GiB disk for weights (no local NVMe on ${sku.name})`,
    ...(model.hfTokenRequired ? [hfTokenNote(model)] : []),
  ];
}

function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}

function roundDown(n: number, step: number): number {
  return n >= step ? Math.floor(n / step) * step : Math.floor(n);
}
