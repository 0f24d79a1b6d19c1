// The fit planner: (model, SKU, runtime, options) → how to run it, or why it cannot run and what
// to choose instead. Pure: the catalog is static data; nothing here does I/O.
//
// Each mode computes facts and says them in its own words: inference.ts (layouts, pipeline stages,
// KV cache) and tuning.ts (LoRA/QLoRA memory on one node); precision.ts holds the dtype facts both
// share. This module picks the mode and adds the way out of a misfit.
import type { PresetModel, RuntimeName } from './catalog/model-codec.js';
import type { GpuSku } from './catalog/sku-codec.js';
import { evaluateInference } from './inference.js';
import { getModel } from './models.js';
import { round2 } from './plan-common.js';
import type { Plan, PlanOptions, PlanSuggestion } from './plan-types.js';
import { getSku, listSkus, totalGpuMemoryGiB } from './skus.js';
import { evaluateTuning } from './tuning.js';

export type { Plan, PlanOptions, PlanMode, PlanRuntime, PlanMemory, PlanSuggestion, MisfitReason, NodeCountVerdict } from './plan-types.js';

/** the most nodes a suggestion asks for: beyond that a bigger GPU is the better answer */
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
  /** nodeCount × list price per node-hour; absent for SKUs without a list price (on premises) */
  hourlyUsd?: number;
}

/** SKUs on which the model fits, cheapest first (node count × list price, then less GPU memory; unpriced last). */
export function suggestSkus(
  model: PresetModel | string,
  options: PlanOptions & { runtime?: RuntimeName; cloud?: GpuSku['cloud']; candidates?: readonly GpuSku[] } = {},
): SkuSuggestion[] {
  const m = typeof model === 'string' ? getModel(model) : model;
  // a bypassed memory check would call every SKU a fit: suggestions must really fit
  const { runtime = 'vllm', cloud, candidates = listSkus(), bypassMemoryCheck: _bypass, ...planOptions } = options;
  const price = (x: SkuSuggestion) => x.hourlyUsd ?? Infinity;
  return candidates
    .filter((s) => cloud === undefined || s.cloud === cloud)
    .map((s) => ({ sku: s, plan: evaluate(m, s, runtime, planOptions) }))
    .filter((x) => x.plan.fits)
    .map((x): SkuSuggestion => (x.sku.pricePerHourUsd !== undefined ? { ...x, hourlyUsd: round2(x.plan.nodeCount * x.sku.pricePerHourUsd) } : x))
    .sort((a, b) => price(a) - price(b) || totalGpuMemoryGiB(a.sku) - totalGpuMemoryGiB(b.sku) || a.sku.name.localeCompare(b.sku.name));
}

function evaluate(model: PresetModel, sku: GpuSku, runtime: RuntimeName, options: PlanOptions): Plan {
  return (options.mode ?? 'inference') === 'tuning' ? evaluateTuning(model, sku, options) : evaluateInference(model, sku, runtime, options);
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
  const minimum = failed.nodes.minimum;
  const nodes = mode === 'inference' && runtime === 'vllm' && minimum !== undefined && minimum > (options.maxNodes ?? 1) && minimum <= MAX_SUGGESTED_NODES ? minimum : undefined;
  const other: string[] = [];
  if (mode === 'tuning' && (options.tuningMethod ?? 'qlora') === 'lora' && model.tuning?.methods.includes('qlora')) {
    if (evaluateTuning(model, sku, { ...options, tuningMethod: 'qlora' }).fits) other.push('use qlora');
  }
  if (mode === 'inference' && runtime === 'transformers' && model.runtimes.includes('vllm')) {
    if (evaluateInference(model, sku, 'vllm', options).fits) other.push('use runtime vllm');
  }
  const parts = [...(skus.length > 0 ? [`choose ${skus.join(' or ')}`] : []), ...(nodes !== undefined ? [`allow ${nodes} nodes`] : []), ...other];
  if (parts.length === 0) return undefined;
  return { skus, ...(nodes !== undefined ? { nodes } : {}), other, text: parts.join(' or ') };
}
