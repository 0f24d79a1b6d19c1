// The preset model catalog (catalog/models.json, decoded once) and best-effort custom models.
import * as t from 'io-ts';
import modelData from './catalog/models.json' with { type: 'json' };
import { decode, type Issue } from '@kaito-ts/core';
import { NonEmptyString, PositiveInt, PositiveNumber, strictObject } from './catalog/codecs.js';
import { HfRepoId, ModelCatalog, ModelDType, type ModelSources, type OPTIONAL_SOURCED_FACTS, PresetModel, RuntimeName, TuningMethod } from './catalog/model-codec.js';
import { CatalogInvalidError, InvalidCustomModelError, UnknownModelError } from './errors.js';
import { closeMatches } from './levenshtein.js';

export type { PresetModel, RuntimeName, TuningMethod, ModelDType, ModelArch, ModelTuning, ModelFact, ModelSources } from './catalog/model-codec.js';

export const DTYPE_BYTES = { float32: 4, bfloat16: 2, float16: 2 } as const;
export type ServingDType = keyof typeof DTYPE_BYTES;

/** Decodes a model catalog document; throws CatalogInvalidError naming each bad field. */
export function decodeModelCatalog(value: unknown, source = 'models catalog'): readonly PresetModel[] {
  const decoded = decode(ModelCatalog, value);
  if (!decoded.ok) throw new CatalogInvalidError(source, decoded.issues);
  const problems: Issue[] = [];
  const seen = new Map<string, string>();
  decoded.value.models.forEach((m, i) => {
    for (const name of [m.name, m.hfRepo, ...(m.aliases ?? [])]) {
      const first = seen.get(name.toLowerCase());
      if (first !== undefined && first !== `models[${i}]`) problems.push({ path: `models[${i}].name`, message: `"${name}" is already used by ${first}` });
      else seen.set(name.toLowerCase(), `models[${i}]`);
    }
    if (m.runtimes.length === 0) problems.push({ path: `models[${i}].runtimes`, message: 'expected at least one runtime' });
    if (m.arch.attentionHeads % m.arch.kvHeads !== 0)
      problems.push({ path: `models[${i}].arch.kvHeads`, message: `expected a divisor of attentionHeads (${m.arch.attentionHeads}), got ${m.arch.kvHeads}` });
    if (m.tuning !== undefined && m.tuning.methods.length === 0) problems.push({ path: `models[${i}].tuning.methods`, message: 'expected at least one method' });
    problems.push(...sourceProblems(m, `models[${i}]`));
  });
  if (problems.length > 0) throw new CatalogInvalidError(source, problems);
  return Object.freeze(decoded.value.models.map((m) => Object.freeze(m)));
}

/**
 * Optional facts need a source exactly when the entry has them; `unverified` may name only facts the
 * entry has, once each, so the list a reader trusts cannot point at nothing.
 */
function sourceProblems(m: PresetModel, at: string): Issue[] {
  const problems: Issue[] = [];
  const present: Record<(typeof OPTIONAL_SOURCED_FACTS)[number], boolean> = {
    quantization: m.quantization !== undefined,
    tieWordEmbeddings: m.arch.tieWordEmbeddings !== undefined,
    kvLoraRank: m.arch.kvLoraRank !== undefined,
    qkRopeHeadDim: m.arch.qkRopeHeadDim !== undefined,
  };
  for (const [fact, has] of Object.entries(present) as [keyof typeof present, boolean][]) {
    const sourced = m.sources[fact] !== undefined;
    if (has && !sourced) problems.push({ path: `${at}.sources.${fact}`, message: `expected a source for ${fact}, got nothing` });
    if (!has && sourced) problems.push({ path: `${at}.sources.${fact}`, message: `the entry has no ${fact} to source` });
  }
  if (present.kvLoraRank !== present.qkRopeHeadDim) problems.push({ path: `${at}.arch`, message: 'expected kvLoraRank and qkRopeHeadDim together (multi-head latent attention)' });
  const seen = new Set<string>();
  (m.unverified ?? []).forEach((fact, j) => {
    if (seen.has(fact)) problems.push({ path: `${at}.unverified[${j}]`, message: `"${fact}" is listed twice` });
    seen.add(fact);
    if (m.sources[fact] === undefined) problems.push({ path: `${at}.unverified[${j}]`, message: `"${fact}" is not a fact of this entry` });
  });
  return problems;
}

interface CatalogIndex {
  models: readonly PresetModel[];
  /** lower-cased name, Hugging Face id and aliases → entry */
  byKey: ReadonlyMap<string, PresetModel>;
}

let cache: CatalogIndex | undefined;

function catalog(): CatalogIndex {
  if (cache === undefined) {
    const models = decodeModelCatalog(modelData, 'catalog/models.json');
    // decodeModelCatalog already refused a key used twice, so this map loses nothing
    const byKey = new Map(models.flatMap((m) => [m.name, m.hfRepo, ...(m.aliases ?? [])].map((k) => [k.toLowerCase(), m] as const)));
    cache = { models, byKey };
  }
  return cache;
}

/** Every preset model, in catalog order. */
export function listModels(): readonly PresetModel[] {
  return catalog().models;
}

/**
 * The preset with this name, Hugging Face id or alias (case-insensitive). Aliases carry the reference
 * system's own preset names (`gemma-3-27b-instruct` for `gemma-3-27b-it`), so its Workspaces apply unchanged.
 */
export function findModel(name: string): PresetModel | undefined {
  return catalog().byKey.get(name.trim().toLowerCase());
}

/** Like findModel, but an unknown name throws UnknownModelError listing close matches. */
export function getModel(name: string): PresetModel {
  const model = findModel(name);
  if (model !== undefined) return model;
  const names = listModels().flatMap((m) => [m.name, m.hfRepo]);
  throw new UnknownModelError(name, closeMatches(name, names));
}

/** What a user supplies for a Hugging Face model that is not in the catalog. */
export const CustomModelInput = strictObject(
  'CustomModelInput',
  { id: HfRepoId, weightsGiB: PositiveNumber },
  {
    revision: NonEmptyString,
    paramsB: PositiveNumber,
    diskGiB: PositiveNumber,
    contextLength: PositiveInt,
    dtype: ModelDType,
    layers: PositiveInt,
    attentionHeads: PositiveInt,
    kvHeads: PositiveInt,
    headDim: PositiveInt,
    hiddenSize: PositiveInt,
    vocabSize: PositiveInt,
    runtimes: t.array(RuntimeName),
    tuningMethods: t.array(TuningMethod),
    hfTokenRequired: t.boolean,
    trustRemoteCode: t.boolean,
  },
);
export type CustomModelInput = t.TypeOf<typeof CustomModelInput>;

/**
 * A best-effort entry for any Hugging Face `org/model`. Only `id` and `weightsGiB` are required;
 * missing architecture facts are guessed from a Llama-like GQA shape sized by the weights (Llama-3
 * 8B: 15 GiB, 32 layers, hidden 4096; 70B: 131 GiB, 80 layers, hidden 8192), and `guessed` lists
 * them so plans can say so.
 */
export function customModel(input: unknown): PresetModel & { custom: true; guessed: string[] } {
  const decoded = decode(CustomModelInput, input);
  if (!decoded.ok) throw new InvalidCustomModelError(decoded.issues);
  const c = decoded.value;
  const guessed: string[] = [];
  const given = <T>(key: string, value: T | undefined, guess: () => T): T => {
    if (value !== undefined) return value;
    guessed.push(key);
    return guess();
  };
  const scale = Math.min(Math.max(Math.sqrt(c.weightsGiB / 15), 0.25), 2.5);
  const layers = given('layers', c.layers, () => Math.max(16, Math.round(32 * scale)));
  const hiddenSize = given('hiddenSize', c.hiddenSize, () => Math.max(1024, Math.round((4096 * Math.min(scale, 2)) / 1024) * 1024));
  const attentionHeads = given('attentionHeads', c.attentionHeads, () => Math.max(1, Math.round(hiddenSize / (c.headDim ?? 128))));
  const headDim = given('headDim', c.headDim, () => Math.max(1, Math.round(hiddenSize / attentionHeads)));
  const kvHeads = given('kvHeads', c.kvHeads, () => [8, 4, 2, 1].find((k) => attentionHeads % k === 0) ?? 1);
  const vocabSize = given('vocabSize', c.vocabSize, () => 128256);
  const arch = { layers, attentionHeads, kvHeads, headDim, hiddenSize, vocabSize };
  if (arch.attentionHeads % arch.kvHeads !== 0) {
    throw new InvalidCustomModelError([{ path: 'kvHeads', message: `expected a divisor of attentionHeads (${arch.attentionHeads}), got ${arch.kvHeads}` }]);
  }
  if (c.contextLength === undefined) guessed.push('contextLength');
  const dtype = c.dtype ?? 'bfloat16';
  // a custom model's facts come from the user or from the guesses above; say which
  const from = (value: unknown): string => (value === undefined ? 'guessed or defaulted (custom model)' : 'supplied by the user (custom model)');
  const sources: ModelSources = {
    revision: from(c.revision),
    paramsB: c.paramsB === undefined ? 'derived: weightsGiB x 2^30 / 2 bytes per parameter (custom model)' : from(c.paramsB),
    weightsGiB: from(c.weightsGiB),
    contextLength: from(c.contextLength),
    dtype: from(c.dtype),
    hfTokenRequired: from(c.hfTokenRequired),
    layers: from(c.layers),
    attentionHeads: from(c.attentionHeads),
    kvHeads: from(c.kvHeads),
    headDim: from(c.headDim),
    hiddenSize: from(c.hiddenSize),
    vocabSize: from(c.vocabSize),
  };
  const model: PresetModel & { custom: true; guessed: string[] } = {
    name: c.id,
    family: 'custom',
    hfRepo: c.id,
    revision: c.revision ?? 'main',
    // 2 bytes per parameter for 16-bit weights
    paramsB: c.paramsB ?? round((c.weightsGiB * 2 ** 30) / 2 / 1e9, 2),
    weightsGiB: c.weightsGiB,
    diskGiB: c.diskGiB ?? Math.ceil(c.weightsGiB) + 80,
    contextLength: c.contextLength ?? 4096,
    dtype,
    float16Safe: true,
    arch,
    // any org/model: both runtimes load a Hugging Face checkpoint
    runtimes: c.runtimes ?? ['vllm', 'transformers'],
    tensorParallel: true,
    hfTokenRequired: c.hfTokenRequired ?? false,
    trustRemoteCode: c.trustRemoteCode ?? false,
    license: 'unknown',
    ...(c.tuningMethods !== undefined && c.tuningMethods.length > 0
      ? { tuning: { methods: c.tuningMethods, diskGiB: c.diskGiB ?? Math.ceil(c.weightsGiB) + 80 } }
      : {}),
    sources,
    custom: true,
    guessed,
  };
  return model;
}

/** Model by name, or a custom model when `custom` sizes are given for an `org/model` id. */
export function resolveModel(name: string, custom?: Omit<CustomModelInput, 'id'>): PresetModel {
  const known = findModel(name);
  if (known !== undefined) return known;
  if (custom !== undefined) return customModel({ ...custom, id: name });
  return getModel(name);
}

/**
 * KV-cache bytes one token takes on one replica: layers × kvHeads × headDim × 2 (K and V) × dtype
 * bytes; for multi-head latent attention, layers × (kvLoraRank + qkRopeHeadDim) × dtype bytes, the
 * compressed latent vLLM caches instead of per-head keys and values.
 */
export function kvBytesPerToken(model: PresetModel, dtype: ServingDType = model.dtype): number {
  const { layers, kvHeads, headDim, kvLoraRank, qkRopeHeadDim } = model.arch;
  if (kvLoraRank !== undefined && qkRopeHeadDim !== undefined) return layers * (kvLoraRank + qkRopeHeadDim) * DTYPE_BYTES[dtype];
  return layers * kvHeads * headDim * 2 * DTYPE_BYTES[dtype];
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
