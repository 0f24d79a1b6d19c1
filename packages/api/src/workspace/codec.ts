import * as t from 'io-ts';
import { ObjectMeta } from '@kaito-ts/core';
import { Condition, LabelSelector, LocalObjectReference } from '../codecs/meta.js';
import {
  DnsLabel,
  DnsSubdomain,
  HttpUrl,
  ImageReference,
  InstanceType,
  ModelName,
  PositiveInt,
  checkedString,
  oneOf,
  withRules,
  type Rule,
} from '../codecs/primitives.js';
import { API_VERSION_V1ALPHA1, API_VERSION_V1BETA1, MAX_ADAPTERS, MAX_INPUT_URLS } from './constants.js';

const present = (v: unknown): boolean => v !== undefined && v !== null;
const count = (...values: unknown[]): number => values.filter(present).length;
const names = (record: Record<string, unknown>, keys: readonly string[]): string =>
  keys.filter((k) => present(record[k])).join(', ') || 'none';

/** A schemaless Kubernetes object (PodTemplateSpec, VolumeSource): decoded as an object, checked by the API server. */
export const Schemaless = t.UnknownRecord;

export const TuningMethod = oneOf('TuningMethod', ['lora', 'qlora']);
export type TuningMethod = t.TypeOf<typeof TuningMethod>;

export const AccessMode = oneOf('ModelImageAccessMode', ['public', 'private']);

export const PartitionMode = oneOf('PartitionMode', ['mig', 'accelerator']);

const maxItems =
  <A>(field: string, max: number, pick: (a: A) => readonly unknown[] | undefined): Rule<A> =>
  (a) => {
    const list = pick(a);
    return list && list.length > max ? { field, message: `at most ${max} entries are allowed, got ${list.length}` } : undefined;
  };

const nonEmptyList =
  <A>(field: string, pick: (a: A) => readonly unknown[] | undefined): Rule<A> =>
  (a) => {
    const list = pick(a);
    return list && list.length === 0 ? { field, message: 'must list at least one entry when set' } : undefined;
  };

// ---- resource ----
const resourceFields = {
  count: PositiveInt,
  instanceType: InstanceType,
  preferredNodes: t.array(t.string),
};

export const ResourceSpecV1alpha1 = t.intersection([t.type({ labelSelector: LabelSelector }), t.partial(resourceFields)], 'ResourceSpec');

type PartitionShape = { mode: 'mig' | 'accelerator'; profile?: string; count?: number };
const hasProfile = (p: PartitionShape): boolean => p.profile !== undefined && p.profile !== '';

/** As Kaito's webhook: mig needs a profile and no count; accelerator needs a count and no profile. */
export const Partition = withRules(
  t.intersection([t.type({ mode: PartitionMode }), t.partial({ profile: t.string, count: PositiveInt })], 'ResourcePartition'),
  [
    (p: PartitionShape) => (p.mode === 'mig' && !hasProfile(p) ? { field: 'profile', message: 'is required in mig mode (a MIG profile such as 1g.10gb)' } : undefined),
    (p: PartitionShape) => (p.mode === 'mig' && p.count !== undefined ? { field: 'count', message: 'must not be set in mig mode; the profile sets the slice' } : undefined),
    (p: PartitionShape) => (p.mode === 'accelerator' && p.count === undefined ? { field: 'count', message: 'is required in accelerator mode' } : undefined),
    (p: PartitionShape) => (p.mode === 'accelerator' && hasProfile(p) ? { field: 'profile', message: 'must not be set in accelerator mode' } : undefined),
  ],
  'ResourcePartition',
);

export const ResourceSpecV1beta1 = t.intersection(
  [t.type({ labelSelector: LabelSelector }), t.partial({ ...resourceFields, partition: Partition })],
  'ResourceSpec',
);

// ---- data sources ----
const dataSourceFields = {
  name: t.string,
  urls: t.array(HttpUrl),
  image: ImageReference,
  volumeSource: Schemaless,
  imagePullSecrets: t.array(t.string),
};
type DataSourceShape = { urls?: readonly unknown[]; image?: unknown; volumeSource?: unknown; imagePullSecrets?: readonly unknown[] };

/** Where tuning data comes from: exactly one of `urls`, `image`, `volumeSource`. */
export const DataSource = withRules(
  t.partial(dataSourceFields, 'DataSource'),
  [
    (d) =>
      count(d.urls, d.image, d.volumeSource) === 1
        ? undefined
        : `exactly one of urls, image or volumeSource must be set (found: ${names(d as Record<string, unknown>, ['urls', 'image', 'volumeSource'])})`,
    nonEmptyList<DataSourceShape>('urls', (d) => d.urls),
    maxItems<DataSourceShape>('urls', MAX_INPUT_URLS, (d) => d.urls),
  ],
  'DataSource',
);
export type DataSource = t.TypeOf<typeof DataSource>;

/** An adapter's source: a named image or volume (adapters cannot be downloaded from URLs). */
export const AdapterSource = withRules(
  t.intersection([t.type({ name: DnsSubdomain }), t.partial(dataSourceFields)], 'AdapterSource'),
  [
    (d) =>
      d.urls !== undefined
        ? { field: 'urls', message: 'adapters come from an image or a volume; urls are not supported' }
        : count(d.image, d.volumeSource) === 1
          ? undefined
          : `exactly one of image or volumeSource must be set (found: ${names(d as Record<string, unknown>, ['image', 'volumeSource'])})`,
  ],
  'AdapterSource',
);

export const AdapterSpec = t.intersection([t.type({ source: AdapterSource }), t.partial({ strength: t.string })], 'AdapterSpec');
export type AdapterSpec = t.TypeOf<typeof AdapterSpec>;

/**
 * A Secret name that must not be empty. Only the length is checked, as in Kaito's webhook and the
 * CRD (`minLength: 1`); trimming whitespace here made the codec reject what the API server accepts.
 */
const SecretName = checkedString<{ readonly SecretName: unique symbol }>('SecretName', 'a non-empty string', (s) => s.length > 0);

/** Where the tuned adapter goes: exactly one of `image` (with `imagePushSecret`) or `volumeSource`. */
export const DataDestination = withRules(
  t.partial({ image: ImageReference, imagePushSecret: SecretName, volumeSource: Schemaless }, 'DataDestination'),
  [
    (d) =>
      count(d.image, d.volumeSource) === 1
        ? undefined
        : `exactly one of image or volumeSource must be set (found: ${names(d as Record<string, unknown>, ['image', 'volumeSource'])})`,
    (d) => (d.image !== undefined && d.imagePushSecret === undefined ? { field: 'imagePushSecret', message: 'is required when image is set: name the Secret holding push credentials for the registry' } : undefined),
  ],
  'DataDestination',
);
export type DataDestination = t.TypeOf<typeof DataDestination>;

// ---- presets ----
const presetOptionsV1alpha1 = t.partial({ image: t.string, imagePullSecrets: t.array(t.string) }, 'PresetOptions');
const presetOptionsV1beta1 = t.partial({ image: t.string, imagePullSecrets: t.array(t.string), modelAccessSecret: t.string }, 'PresetOptions');

const presetSpec = (options: t.Mixed) =>
  t.intersection([t.type({ name: ModelName }), t.partial({ accessMode: AccessMode, presetOptions: options })], 'PresetSpec');

export const PresetSpecV1alpha1 = presetSpec(presetOptionsV1alpha1);
export const PresetSpecV1beta1 = presetSpec(presetOptionsV1beta1);

// ---- inference / tuning ----
type InferenceShape = { preset?: unknown; template?: unknown; adapters?: readonly unknown[] };
const inferenceRules: Rule<InferenceShape>[] = [
  (i) =>
    count(i.preset, i.template) === 1
      ? undefined
      : `exactly one of preset or template must be set (found: ${names(i as Record<string, unknown>, ['preset', 'template'])})`,
  maxItems<InferenceShape>('adapters', MAX_ADAPTERS, (i) => i.adapters),
  (i) => {
    const seen = new Set<string>();
    for (const a of (i.adapters ?? []) as AdapterSpec[]) {
      if (seen.has(a.source.name)) return { field: 'adapters', message: `adapter names must be unique; "${a.source.name}" appears twice` };
      seen.add(a.source.name);
    }
    return undefined;
  },
];

export const InferenceSpecV1alpha1 = withRules(
  t.partial({ preset: PresetSpecV1alpha1, template: Schemaless, adapters: t.array(AdapterSpec) }, 'InferenceSpec'),
  inferenceRules,
  'InferenceSpec',
);
export const InferenceSpecV1beta1 = withRules(
  t.partial({ preset: PresetSpecV1beta1, template: Schemaless, config: t.string, adapters: t.array(AdapterSpec) }, 'InferenceSpec'),
  inferenceRules,
  'InferenceSpec',
);

const tuningSpec = (preset: t.Mixed) =>
  t.intersection(
    [t.type({ preset, method: TuningMethod, input: DataSource, output: DataDestination }), t.partial({ config: t.string })],
    'TuningSpec',
  );
export const TuningSpecV1alpha1 = tuningSpec(PresetSpecV1alpha1);
export const TuningSpecV1beta1 = tuningSpec(PresetSpecV1beta1);

// ---- status ----
/**
 * How far a tuning run got (our addition): the runner's phase and training progress while it
 * runs, and the pushed adapter image with its digest once it succeeded.
 */
export const TuningStatus = t.partial(
  {
    phase: t.string,
    step: t.number,
    maxSteps: t.number,
    epoch: t.number,
    loss: t.number,
    image: t.string,
    digest: t.string,
    updatedAt: t.string,
  },
  'TuningStatus',
);
export type TuningStatus = t.TypeOf<typeof TuningStatus>;

/** Where inference reports readiness and tuning reports progress. Kaito's fields, plus ours marked below. */
export const WorkspaceStatus = t.partial(
  {
    workerNodes: t.array(t.string),
    conditions: t.array(Condition),
    targetNodeCount: t.number,
    state: t.string,
    performance: t.UnknownRecord,
    tuning: TuningStatus,
  },
  'WorkspaceStatus',
);
export type WorkspaceStatus = t.TypeOf<typeof WorkspaceStatus>;

// ---- the Workspace ----
type WorkspaceShape = { metadata: { name?: string }; resource: { count?: number; partition?: unknown }; inference?: unknown; tuning?: unknown };
const workspaceRules: Rule<WorkspaceShape>[] = [
  // Kaito's webhook: tuning runs on one node (validateCreateWithTuning).
  (w) =>
    w.tuning !== undefined && w.resource.count !== undefined && w.resource.count > 1
      ? { field: 'resource', message: `count must be 1 for a tuning workspace (tuning runs on a single node), got ${w.resource.count}` }
      : undefined,
  (w) =>
    count(w.inference, w.tuning) === 1
      ? undefined
      : `exactly one of inference or tuning must be set (found: ${names(w as Record<string, unknown>, ['inference', 'tuning'])})`,
  (w) =>
    w.metadata.name === undefined || DnsLabel.is(w.metadata.name)
      ? undefined
      : { field: 'metadata', message: `name must be a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters), got "${w.metadata.name}"` },
];

/** v1beta1 only: `resource.partition` exists there (in v1alpha1 the API server prunes it). */
const partitionRules: Rule<WorkspaceShape>[] = [
  (w) =>
    w.tuning !== undefined && present(w.resource.partition)
      ? { field: 'resource', message: 'partition is not supported for a tuning workspace; remove resource.partition' }
      : undefined,
];

function workspace<V extends string>(apiVersion: V, resource: t.Mixed, inference: t.Mixed, tuning: t.Mixed, extraRules: Rule<WorkspaceShape>[] = []) {
  return withRules(
    t.intersection([
      t.type({ apiVersion: t.literal(apiVersion), kind: t.literal('Workspace'), metadata: ObjectMeta, resource }),
      t.partial({ inference, tuning, status: WorkspaceStatus }),
    ]),
    [...workspaceRules, ...extraRules],
    `Workspace ${apiVersion}`,
  );
}

/** `kaito.sh/v1alpha1` Workspace, the API the seed document uses. */
export const WorkspaceV1alpha1 = workspace(API_VERSION_V1ALPHA1, ResourceSpecV1alpha1, InferenceSpecV1alpha1, TuningSpecV1alpha1);

/** `kaito.sh/v1beta1` Workspace, the storage version (a superset of v1alpha1). */
export const WorkspaceV1beta1 = workspace(API_VERSION_V1BETA1, ResourceSpecV1beta1, InferenceSpecV1beta1, TuningSpecV1beta1, partitionRules);

/** Explicit types (io-ts intersections of rule-wrapped codecs infer as `any` in places). */
export interface ResourceSpec {
  count?: number;
  instanceType?: string;
  labelSelector: LabelSelector;
  preferredNodes?: string[];
  partition?: { mode: 'mig' | 'accelerator'; profile?: string; count?: number };
}
export interface PresetSpec {
  name: string;
  accessMode?: 'public' | 'private';
  presetOptions?: { image?: string; imagePullSecrets?: string[]; modelAccessSecret?: string };
}
export interface InferenceSpec {
  preset?: PresetSpec;
  template?: Record<string, unknown>;
  config?: string;
  adapters?: Array<{ source: { name: string; image?: string; volumeSource?: Record<string, unknown>; imagePullSecrets?: string[] }; strength?: string }>;
}
export interface TuningSpec {
  preset: PresetSpec;
  method: TuningMethod;
  config?: string;
  input: { name?: string; urls?: string[]; image?: string; volumeSource?: Record<string, unknown>; imagePullSecrets?: string[] };
  output: { image?: string; imagePushSecret?: string; volumeSource?: Record<string, unknown> };
}
export interface Workspace {
  apiVersion: typeof API_VERSION_V1ALPHA1 | typeof API_VERSION_V1BETA1;
  kind: 'Workspace';
  metadata: ObjectMeta;
  resource: ResourceSpec;
  inference?: InferenceSpec;
  tuning?: TuningSpec;
  status?: WorkspaceStatus;
}
export type WorkspaceV1alpha1 = Workspace & { apiVersion: typeof API_VERSION_V1ALPHA1 };
export type WorkspaceV1beta1 = Workspace & { apiVersion: typeof API_VERSION_V1BETA1 };

/** Decodes either served version, choosing the codec by `apiVersion`. */
export const AnyWorkspace = new t.Type<Workspace, Workspace, unknown>(
  'Workspace',
  (u): u is Workspace => WorkspaceV1alpha1.is(u) || WorkspaceV1beta1.is(u),
  (u, c) => {
    const apiVersion = (u as { apiVersion?: unknown } | null)?.apiVersion;
    // Hand over the context as if the versioned codec had been called directly, so paths stay clean.
    const as = (codec: t.Mixed): t.Context => [...c.slice(0, -1), { key: c[c.length - 1]?.key ?? '', type: codec, actual: u }];
    if (apiVersion === API_VERSION_V1ALPHA1) return WorkspaceV1alpha1.validate(u, as(WorkspaceV1alpha1)) as t.Validation<Workspace>;
    if (apiVersion === API_VERSION_V1BETA1) return WorkspaceV1beta1.validate(u, as(WorkspaceV1beta1)) as t.Validation<Workspace>;
    return t.failure(u, [...c, { key: 'apiVersion', type: t.string, actual: apiVersion }], `expected "${API_VERSION_V1ALPHA1}" or "${API_VERSION_V1BETA1}", got ${JSON.stringify(apiVersion ?? null)}`);
  },
  (a) => a,
);

/** v1beta1 is a superset, so converting is relabelling (as Kaito: no conversion webhook). */
export function toStorageVersion(ws: Workspace): WorkspaceV1beta1 {
  return { ...ws, apiVersion: API_VERSION_V1BETA1 };
}

export { LocalObjectReference };
