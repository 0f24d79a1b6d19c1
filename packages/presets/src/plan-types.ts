// The plan's shape, shared by the planner and each mode's module (inference.ts, tuning.ts).
import type { RuntimeName, TuningMethod } from './catalog/model-codec.js';
import type { ServingDType } from './models.js';

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
  /** the Workspace's `resource.count`, compared with the fewest nodes that fit in `Plan.nodes`; default 1 */
  requestedNodes?: number;
}

export interface PlanMemory {
  /** per GPU, GiB */
  weightsGiB: number;
  kvCacheGiB: number;
  activationsGiB: number;
  overheadGiB: number;
  totalGiB: number;
  /** what one GPU may use: deviceGiB × utilisation */
  capacityGiB: number;
  /** one GPU's memory as the device exposes it to CUDA (nvidia-smi memory.total), or the nominal size where no measured figure is known */
  deviceGiB: number;
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

/**
 * The fewest nodes of the SKU that hold the model at the minimum context, against the user's
 * `resource.count`: `enough` (equal), `more-than-needed` (the extra nodes would idle), `too-few`
 * (fewer than the minimum, or no node count fits at all: then `minimum` is absent).
 */
export interface NodeCountVerdict {
  minimum?: number;
  requested: number;
  verdict: 'enough' | 'more-than-needed' | 'too-few';
}

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
  /** the minimum node count and whether `options.requestedNodes` (resource.count) meets it */
  nodes: NodeCountVerdict;
  /** why it fits or not, and every assumption made, in order */
  reasons: string[];
  suggestion?: PlanSuggestion;
}
