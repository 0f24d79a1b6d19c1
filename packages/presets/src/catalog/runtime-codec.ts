import * as t from 'io-ts';
import { NonEmptyString, NonNegativeNumber, PositiveInt, PositiveNumber, numberWhere, strictObject } from './codecs.js';

const Fraction = numberWhere('Fraction', 'a number in (0, 1]', (n) => n > 0 && n <= 1);
const Port = numberWhere('Port', 'a port number 1-65535', (n) => Number.isInteger(n) && n >= 1 && n <= 65535);

export const ImageRef = strictObject('ImageRef', { registry: NonEmptyString, repository: NonEmptyString, tag: NonEmptyString }, {});
export type ImageRef = t.TypeOf<typeof ImageRef>;

export const InferenceRuntime = strictObject(
  'InferenceRuntime',
  {
    image: ImageRef,
    command: t.array(NonEmptyString),
    args: t.array(NonEmptyString),
    env: t.record(t.string, t.string),
    port: Port,
    gpuMemoryUtilization: Fraction,
    gpuMemoryUtilizationByProduct: t.record(t.string, Fraction),
    overheadGiBPerGpu: NonNegativeNumber,
    overheadGiBByProduct: t.record(t.string, NonNegativeNumber),
    weightsFactor: numberWhere('WeightsFactor', 'a number >= 1', (n) => n >= 1),
    multiNode: t.boolean,
    probes: strictObject(
      'Probes',
      { path: NonEmptyString, periodSeconds: PositiveInt, livenessFailureThreshold: PositiveInt, readinessInitialDelaySeconds: PositiveInt },
      {},
    ),
    startup: strictObject(
      'StartupBudget',
      { baseSeconds: PositiveNumber, secondsPerGiB: NonNegativeNumber, minSeconds: PositiveNumber, maxSeconds: PositiveNumber },
      {},
    ),
  },
  {},
);
export type InferenceRuntime = t.TypeOf<typeof InferenceRuntime>;

export const TuningRuntime = strictObject(
  'TuningRuntime',
  {
    image: ImageRef,
    command: t.array(NonEmptyString),
    env: t.record(t.string, t.string),
    paths: strictObject('TuningPaths', { data: NonEmptyString, config: NonEmptyString, results: NonEmptyString, weights: NonEmptyString }, {}),
    metricsPort: Port,
    gpuMemoryUtilization: Fraction,
    overheadGiBPerGpu: NonNegativeNumber,
    defaults: strictObject(
      'TuningDefaults',
      { maxSeqLength: PositiveInt, batchSize: PositiveInt, loraRank: PositiveInt, gradientCheckpointing: t.boolean },
      {},
    ),
  },
  {},
);
export type TuningRuntime = t.TypeOf<typeof TuningRuntime>;

export const RuntimeCatalog = strictObject(
  'RuntimeCatalog',
  { inference: strictObject('InferenceRuntimes', { vllm: InferenceRuntime, transformers: InferenceRuntime }, {}), tuning: TuningRuntime },
  { notes: t.array(t.string) },
);
export type RuntimeCatalog = t.TypeOf<typeof RuntimeCatalog>;
