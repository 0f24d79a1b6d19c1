import * as t from 'io-ts';
import { NonEmptyString, PositiveInt, PositiveNumber, strictObject, stringWhere } from './codecs.js';
import { ComputeCapability } from './sku-codec.js';

export const RuntimeName = t.keyof({ vllm: null, transformers: null }, '"vllm" | "transformers"');
export type RuntimeName = t.TypeOf<typeof RuntimeName>;

export const TuningMethod = t.keyof({ lora: null, qlora: null }, '"lora" | "qlora"');
export type TuningMethod = t.TypeOf<typeof TuningMethod>;

export const ModelDType = t.keyof({ bfloat16: null, float16: null }, '"bfloat16" | "float16"');
export type ModelDType = t.TypeOf<typeof ModelDType>;

/** A Hugging Face repo id, `org/model`. */
export const HfRepoId = stringWhere('HfRepoId', 'a Hugging Face id "org/model"', (s) => /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(s));

/** The config.json facts a KV-cache and activation estimate needs. */
export const ModelArch = strictObject(
  'ModelArch',
  { layers: PositiveInt, attentionHeads: PositiveInt, kvHeads: PositiveInt, headDim: PositiveInt, hiddenSize: PositiveInt, vocabSize: PositiveInt },
  {},
);
export type ModelArch = t.TypeOf<typeof ModelArch>;

export const ModelTuning = strictObject(
  'ModelTuning',
  { methods: t.array(TuningMethod), diskGiB: PositiveNumber },
  { targetModules: t.array(NonEmptyString) },
);
export type ModelTuning = t.TypeOf<typeof ModelTuning>;

export const PresetModel = strictObject(
  'PresetModel',
  {
    name: NonEmptyString,
    family: NonEmptyString,
    hfRepo: HfRepoId,
    /** commit sha (pinned) or a branch such as `main` */
    revision: NonEmptyString,
    /** billions of parameters (total, for MoE) */
    paramsB: PositiveNumber,
    /** what the runtime loads into GPU memory, GiB */
    weightsGiB: PositiveNumber,
    /** node disk for download and scratch, GiB */
    diskGiB: PositiveNumber,
    /** the model's own context limit in tokens */
    contextLength: PositiveInt,
    dtype: ModelDType,
    /** false when fp16 overflows or the weights need newer kernels: matters on compute capability < 8.0 */
    float16Safe: t.boolean,
    arch: ModelArch,
    runtimes: t.array(RuntimeName),
    /** false when vLLM cannot split the attention heads (falcon-7b has 71) */
    tensorParallel: t.boolean,
    hfTokenRequired: t.boolean,
    trustRemoteCode: t.boolean,
    license: NonEmptyString,
  },
  {
    aliases: t.array(NonEmptyString),
    /** e.g. `mxfp4`: the weights are stored quantised (weightsGiB already reflects it) */
    quantization: NonEmptyString,
    minComputeCapability: ComputeCapability,
    vllm: strictObject('VllmModelOptions', {}, { args: t.array(NonEmptyString), allowLoRA: t.boolean }),
    transformers: strictObject('TransformersModelOptions', {}, { args: t.array(NonEmptyString) }),
    tuning: ModelTuning,
    notes: t.string,
  },
);
export type PresetModel = t.TypeOf<typeof PresetModel> & { custom?: boolean };

export const ModelCatalog = strictObject('ModelCatalog', { models: t.array(PresetModel) }, { notes: t.array(t.string) });
export type ModelCatalog = t.TypeOf<typeof ModelCatalog>;
