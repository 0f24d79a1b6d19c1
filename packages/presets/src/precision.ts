// Which precision a model runs in on a GPU, as facts. No words here: inference.ts and tuning.ts
// each say what the facts mean for their mode (serving in float16 vs training with fp16: true).
import type { PresetModel } from './catalog/model-codec.js';
import type { GpuSku } from './catalog/sku-codec.js';
import type { ServingDType } from './models.js';
import { computeCapabilityOf } from './skus.js';

/**
 * - `native`: the model's own dtype (compute capability >= 8.0, or a float16 model);
 * - `float16`: a bfloat16 model on a GPU without bfloat16 (V100, T4), safe in float16;
 * - `float32`: a bfloat16 model that overflows in float16 on such a GPU: twice the weight memory;
 * - `blocked`: the weights need kernels this GPU lacks (MXFP4 below 8.0).
 */
export type PrecisionKind = 'native' | 'float16' | 'float32' | 'blocked';

export interface PrecisionFacts {
  kind: PrecisionKind;
  dtype: ServingDType;
  computeCapability: number;
  /** below Kaito's 8.0 floor: no bfloat16, no FlashAttention-2 */
  belowAmpere: boolean;
  /** set when kind is `blocked`: the capability the model needs */
  requiredComputeCapability?: string;
}

/** Serving precision for this GPU. Compute capability < 8.0 (V100, T4) has no bfloat16. */
export function precisionFor(model: PresetModel, sku: GpuSku): PrecisionFacts {
  const computeCapability = computeCapabilityOf(sku);
  const belowAmpere = computeCapability < 8;
  if (model.minComputeCapability !== undefined && computeCapability < Number(model.minComputeCapability)) {
    return { kind: 'blocked', dtype: model.dtype, computeCapability, belowAmpere, requiredComputeCapability: model.minComputeCapability };
  }
  if (!belowAmpere || model.dtype === 'float16') return { kind: 'native', dtype: model.dtype, computeCapability, belowAmpere };
  if (model.float16Safe) return { kind: 'float16', dtype: 'float16', computeCapability, belowAmpere };
  return { kind: 'float32', dtype: 'float32', computeCapability, belowAmpere };
}

/** `Standard_NC6s_v3 has Tesla-V100-PCIE-16GB (compute capability 7.0)`: the GPU, for either mode's words. */
export function gpuPhrase(sku: GpuSku): string {
  return `${sku.name} has ${sku.gpuProduct} (compute capability ${sku.computeCapability})`;
}

/** The misfit text for a blocked GPU; the same in both modes. */
export function blockedText(model: PresetModel, sku: GpuSku, p: PrecisionFacts): string {
  const what = model.quantization !== undefined ? `ships ${model.quantization.toUpperCase()} weights whose kernels need` : 'needs';
  return `${model.name} ${what} compute capability >= ${p.requiredComputeCapability ?? '?'}; ${gpuPhrase(sku)}`;
}
