// @kaito-ts/presets: what a preset model needs, whether and how it fits a GPU SKU, and the
// container that runs it. See README.md.

// GPU SKU catalog
export type { GpuSku } from './skus.js';
export { listSkus, findSku, getSku, totalGpuMemoryGiB, deviceMemoryGiB, computeCapabilityOf, decodeSkuCatalog } from './skus.js';

// model catalog
export type { PresetModel, RuntimeName, TuningMethod, ModelDType, ModelArch, ModelTuning, ServingDType, CustomModelInput } from './models.js';
export { listModels, findModel, getModel, resolveModel, customModel, kvBytesPerToken, decodeModelCatalog, DTYPE_BYTES } from './models.js';

// runtimes
export type { InferenceRuntime, TuningRuntime, ImageRef, RuntimeCatalog } from './runtimes.js';
export { runtimeCatalog, inferenceRuntime, tuningRuntime, gpuMemoryUtilization, inferenceOverheadGiB, decodeRuntimeCatalog } from './runtimes.js';

// planner
export type { Plan, MisfitReason, PlanOptions, PlanMode, PlanRuntime, PlanMemory, PlanSuggestion, SkuSuggestion, NodeCountVerdict } from './planner.js';
export { plan, suggestSkus } from './planner.js';

// render
export type { InferenceRenderOptions, TuningRenderOptions, TuningRunnerOptions, AdapterRef } from './render.js';
export {
  renderInferenceContainer,
  renderTuningContainer,
  inferenceVolumes,
  tuningRunnerOptions,
  tuningRunnerArgs,
  startupFailureThreshold,
  imageOf,
  VOLUMES,
  PATHS,
  POD_INDEX_LABEL,
} from './render.js';

// errors
export {
  CatalogInvalidError,
  UnknownModelError,
  UnknownSkuError,
  InvalidCustomModelError,
  RenderError,
  isPresetsError,
  type PresetsError,
} from './errors.js';

export { closeMatches, levenshtein } from './levenshtein.js';

// the tuning ConfigMap (training_config.yaml): one decoder for the runner and the controller
export type { TrainingConfig, Section, SectionName } from './tuning-config.js';
export {
  parseTrainingConfig,
  effectiveConfig,
  kaitoTemplate,
  checkMethod,
  validateTuningConfig,
  presetTuningDefaults,
  TuningConfigError,
  SECTIONS,
  TrainingConfigSections,
} from './tuning-config.js';
