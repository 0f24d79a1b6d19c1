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
  {
    /**
     * config.json `tie_word_embeddings`: the output layer reuses the input embeddings, so the files
     * hold one vocab × hidden matrix, not two. Absent: assumed true, which never undercounts a
     * pipeline stage (memory.ts pipelineStages).
     */
    tieWordEmbeddings: t.boolean,
    /** multi-head latent attention (DeepSeek-V3 style): the cache holds kvLoraRank + qkRopeHeadDim values per token and layer */
    kvLoraRank: PositiveInt,
    qkRopeHeadDim: PositiveInt,
  },
);
export type ModelArch = t.TypeOf<typeof ModelArch>;

export const ModelTuning = strictObject(
  'ModelTuning',
  { methods: t.array(TuningMethod), diskGiB: PositiveNumber },
  { targetModules: t.array(NonEmptyString) },
);
export type ModelTuning = t.TypeOf<typeof ModelTuning>;

/**
 * The facts a plan rests on, each of which an entry must source. `quantization`, `tieWordEmbeddings`,
 * `kvLoraRank` and `qkRopeHeadDim` are sourced only where the entry has them.
 */
export const SOURCED_FACTS = [
  'revision',
  'paramsB',
  'weightsGiB',
  'contextLength',
  'dtype',
  'hfTokenRequired',
  'layers',
  'attentionHeads',
  'kvHeads',
  'headDim',
  'hiddenSize',
  'vocabSize',
] as const;
export const OPTIONAL_SOURCED_FACTS = ['quantization', 'tieWordEmbeddings', 'kvLoraRank', 'qkRopeHeadDim'] as const;

export const ModelFact = t.keyof(
  Object.fromEntries([...SOURCED_FACTS, ...OPTIONAL_SOURCED_FACTS].map((k) => [k, null])) as Record<
    (typeof SOURCED_FACTS)[number] | (typeof OPTIONAL_SOURCED_FACTS)[number],
    null
  >,
  'a sourced fact name',
);
export type ModelFact = t.TypeOf<typeof ModelFact>;

/** Where each fact came from: `repo@commit:path (field)`, a URL, or `derived: <rule> from <facts>`. */
export const ModelSources = strictObject(
  'ModelSources',
  Object.fromEntries(SOURCED_FACTS.map((k) => [k, NonEmptyString])) as Record<(typeof SOURCED_FACTS)[number], typeof NonEmptyString>,
  Object.fromEntries(OPTIONAL_SOURCED_FACTS.map((k) => [k, NonEmptyString])) as Record<(typeof OPTIONAL_SOURCED_FACTS)[number], typeof NonEmptyString>,
);
export type ModelSources = t.TypeOf<typeof ModelSources>;

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
    sources: ModelSources,
  },
  {
    /** facts whose value is a stand-in or a derivation no primary source confirmed; `sources` says which */
    unverified: t.array(ModelFact),
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
