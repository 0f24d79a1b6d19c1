// GPU memory arithmetic, in GiB. Pure functions; the planner composes them.
// Baseline is Kaito's estimator (kaito-workspace.md §3.4); differences are noted where they occur.
import type { PresetModel, TuningMethod } from './catalog/model-codec.js';
import { DTYPE_BYTES, type ServingDType } from './models.js';

export const GiB = 2 ** 30;

/**
 * KV cache bytes per token held by ONE GPU that runs `stageLayers` layers at tensor parallel `tp`.
 * Tensor parallelism splits KV heads, but a head is never split: with tp > kvHeads each GPU still
 * holds one (vLLM replicates KV heads). Kaito divides by the GPU count instead, which undercounts
 * multi-query models such as falcon-7b (1 KV head).
 */
export function kvBytesPerTokenPerGpu(model: PresetModel, dtype: ServingDType, tp: number, stageLayers: number): number {
  const { kvHeads, headDim, kvLoraRank, qkRopeHeadDim } = model.arch;
  // multi-head latent attention caches one compressed latent per token and layer, whole on every tensor-parallel rank
  if (kvLoraRank !== undefined && qkRopeHeadDim !== undefined) return stageLayers * (kvLoraRank + qkRopeHeadDim) * DTYPE_BYTES[dtype];
  return stageLayers * Math.ceil(kvHeads / tp) * headDim * 2 * DTYPE_BYTES[dtype];
}

/**
 * vLLM's split of the decoder layers over `pp` pipeline stages (vllm/distributed/utils.py
 * get_pp_indices): an even share each, the remainder added one layer at a time to the stages before
 * the last, from the second-to-last backwards. The first and last stages also carry the input
 * embeddings and the output layer, so they get the extra layers last.
 */
export function stageLayers(layers: number, pp: number): number[] {
  const out = Array.from({ length: pp }, () => Math.floor(layers / pp));
  for (let i = 2; i < 2 + (layers % pp); i++) out[pp - i] = (out[pp - i] ?? 0) + 1;
  return out;
}

export interface StageWeights {
  layers: number;
  /** the input embeddings (first stage) */
  embeddings: boolean;
  /** the output layer, lm_head (last stage) */
  outputLayer: boolean;
  /** weights the stage holds, GiB, before tensor parallelism splits them */
  weightsGiB: number;
}

/**
 * Weights per pipeline stage. The vocabulary matrices (vocab × hidden) sit where they are used: the
 * input embeddings on the first stage, the output layer on the last; the layers share the rest.
 * A model with tied embeddings stores one matrix in its files, but under pipeline parallelism the
 * last stage loads its own copy. Without `arch.tieWordEmbeddings` the planner assumes tied (one
 * matrix in the files), which never undercounts a stage: every layer is then charged a little more.
 */
export function pipelineStages(model: PresetModel, weightsGiB: number, dtype: ServingDType, pp: number): StageWeights[] {
  const { layers, vocabSize, hiddenSize } = model.arch;
  if (pp <= 1) return [{ layers, embeddings: true, outputLayer: true, weightsGiB }];
  // quantised checkpoints keep the vocabulary matrices in 16-bit
  const bytes = model.quantization !== undefined ? 2 : DTYPE_BYTES[dtype];
  const tied = model.arch.tieWordEmbeddings ?? true;
  const inFiles = tied ? 1 : 2;
  // a custom model's guessed vocabulary may not match its weights: never let the matrices take more than half
  const matrix = Math.min((vocabSize * hiddenSize * bytes) / GiB, (weightsGiB * 0.5) / inFiles);
  const perLayer = (weightsGiB - matrix * inFiles) / layers;
  return stageLayers(layers, pp).map((n, i) => {
    const embeddings = i === 0;
    const outputLayer = i === pp - 1;
    return { layers: n, embeddings, outputLayer, weightsGiB: n * perLayer + (embeddings ? matrix : 0) + (outputLayer ? matrix : 0) };
  });
}

/** Weights in GPU memory for inference: catalog size, doubled when a 16-bit model must run in float32. */
export function servingWeightsGiB(model: PresetModel, dtype: ServingDType): number {
  const upcast = dtype === 'float32' && model.quantization === undefined ? 2 : 1;
  return model.weightsGiB * upcast;
}

export interface TuningMemory {
  weightsGiB: number;
  trainableGiB: number;
  activationsGiB: number;
  overheadGiB: number;
  totalGiB: number;
  trainableParams: number;
  assumption: string;
}

/**
 * Per-GPU memory for LoRA/QLoRA with DDP (each GPU holds a full copy, as accelerate launches one
 * process per GPU).
 * - weights: qlora = 4-bit NF4, 0.5 byte/param + 10% for quantisation constants and the layers
 *   bitsandbytes leaves in 16-bit (embeddings, norms, lm_head); lora = the 16-bit checkpoint.
 * - trainable: LoRA rank r on every linear layer of every block (q, k, v, o, and an MLP of ~3.5×
 *   hidden), fp32 weights + grads + Adam moments = 16 bytes/param.
 * - activations: with gradient checkpointing (the trainer's default) one 16-bit hidden state per
 *   layer plus one layer's full activations (~34 bytes per token per hidden unit, Korthikanti et
 *   al. 2022, without the attention-score term: SDPA does not materialise it); fp32 logits, their
 *   softmax and gradient (12 bytes per vocab entry per token).
 */
export function tuningMemory(
  model: PresetModel,
  method: TuningMethod,
  dtype: ServingDType,
  opts: { seqLength: number; batchSize: number; loraRank: number; gradientCheckpointing: boolean; overheadGiB: number },
): TuningMemory {
  const { layers, attentionHeads, kvHeads, headDim, hiddenSize: h, vocabSize } = model.arch;
  const params = model.paramsB * 1e9;
  const weightsGiB = method === 'qlora' ? (params * 0.5 * 1.1) / GiB : servingWeightsGiB(model, dtype);
  const q = attentionHeads * headDim;
  const kv = kvHeads * headDim;
  const mlp = 3.5 * h;
  const perLayerInOut = h + q + 2 * (h + kv) + (q + h) + 3 * (h + mlp);
  const trainableParams = layers * opts.loraRank * perLayerInOut;
  const trainableGiB = (trainableParams * 16) / GiB;
  const tokens = opts.seqLength * opts.batchSize;
  const hiddenBytes = tokens * h;
  const activationBytes = opts.gradientCheckpointing ? layers * hiddenBytes * 2 + hiddenBytes * 34 : layers * hiddenBytes * 34;
  const logitsBytes = tokens * vocabSize * 12;
  const activationsGiB = (activationBytes + logitsBytes) / GiB;
  const subtotal = weightsGiB + trainableGiB + activationsGiB + opts.overheadGiB;
  // allocator fragmentation: PyTorch's caching allocator rarely packs tighter than ~90%
  const totalGiB = subtotal * 1.1;
  const assumption =
    method === 'qlora'
      ? `qlora: 4-bit NF4 base weights (~0.55 byte/param = ${fmt(weightsGiB)} GiB)`
      : `lora: ${dtype} base weights (${fmt(weightsGiB)} GiB)`;
  return { weightsGiB, trainableGiB, activationsGiB, overheadGiB: opts.overheadGiB, totalGiB, trainableParams, assumption };
}

/** GiB with one decimal, for messages. */
export function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toFixed(1);
}

/** Integer with thousands separators, for token counts. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
