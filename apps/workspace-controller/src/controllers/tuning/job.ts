/**
 * The tuning Job `<name>` of a Workspace and the small objects its progress reporting needs (a
 * pure planner), in Kaito's shape (`pkg/workspace/tuning/preset_tuning.go`) where it has one:
 *
 * - the tuning-runner as the main container, from `@kaito-ts/presets`' render (its command and
 *   only the runner's real flags); image configurable; GPU requests; the tuning ConfigMap (the
 *   user's `tuning.config`, else the method's `*-params-template`) at `/mnt/config`;
 * - inputs: `urls` → `DATA_URLS` (the runner downloads, with retries and checksums); `image` → an
 *   init container `data-puller` that copies the image's `/data` into `/mnt/data`, with the
 *   input's `imagePullSecrets` on the pod; `volumeSource` → mounted at `/mnt/data`;
 * - outputs: `image` → `OUTPUT_IMAGE`, the push Secret mounted read-only as a docker config into
 *   the runner container only (Kaito adds it to the pod's pull secrets and a sidecar); or
 *   `volumeSource` → mounted at `/mnt/output`, `OUTPUT_VOLUME_DIR`;
 * - node affinity to the Workspace's nodes and the GPU tolerations (shared with the inference
 *   StatefulSet), `restartPolicy: Never`, `terminationMessagePath` (the runner's JSON outcome),
 *   `backoffLimit` and `activeDeadlineSeconds` from the controller's settings;
 * - progress: the runner patches the ConfigMap `<name>-tuning-progress` (created empty here), as
 *   the ServiceAccount `<name>-tuning`, whose Role may get/patch that one ConfigMap and nothing
 *   else (`resourceNames`). See docs/tuning.md, "Progress".
 */
import { Labels, type Workspace } from '@kaito-ts/api';
import { renderTuningContainer, VOLUMES, type Plan, type PresetModel } from '@kaito-ts/presets';
import type { V1ConfigMap, V1Container, V1EnvVar, V1Job, V1ObjectMeta, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { InvalidWorkloadSpecError, nodeRequirements, ownerReference, TOLERATIONS } from '../workspace/inference-workload.js';
import { REVISION_HASH_ANNOTATION } from '../workspace/revision.js';
import { tuningConfigMapName } from './params.js';
import { tuningRevision } from './revision.js';

export const TUNING_CONTAINER = 'tuner';
export const DATA_PULLER_CONTAINER = 'data-puller';
export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** The key of the progress ConfigMap the runner writes (the runner's progress JSON). */
export const PROGRESS_KEY = 'progress.json';
const PUSH_SECRET_DIR = '/mnt/push-secret';
const OUTPUT_DIR = '/mnt/output';
const DATA_DIR = '/mnt/data';

export const progressConfigMapName = (workspace: string): string => `${workspace}-tuning-progress`;
export const tuningServiceAccountName = (workspace: string): string => `${workspace}-tuning`;

export interface TuningJobSettings {
  /** The tuning-runner image (full reference); absent: the catalog's (`registry` applies). */
  readonly image?: string;
  readonly registry?: string;
  /** The image that copies an input image's `/data` (needs `sh` and `skopeo`). */
  readonly dataPullerImage: string;
  readonly backoffLimit: number;
  /** absent: no deadline */
  readonly activeDeadlineSeconds?: number;
  /** Registries the runner pushes to over plain http (a local registry in e2e). */
  readonly insecureRegistries?: readonly string[];
  /** Extra annotations on the Job's pod (e.g. the local cluster's `kaito-ts.dev/run-as-process`). */
  readonly podAnnotations?: Readonly<Record<string, string>>;
}

export interface TuningJobInput {
  readonly workspace: Workspace;
  readonly plan: Plan;
  readonly model: PresetModel;
  readonly settings: TuningJobSettings;
}

function identity(ws: Workspace): { name: string; namespace: string; uid: string } {
  const { name, namespace, uid } = ws.metadata;
  if (namespace === undefined || uid === undefined) throw new InvalidWorkloadSpecError(`workspace ${name}: metadata.namespace and metadata.uid are required to own its Job (read it from the API server)`);
  return { name, namespace, uid };
}

function childMeta(ws: Workspace, name: string): V1ObjectMeta {
  const { namespace, uid } = identity(ws);
  return { name, namespace, labels: { [Labels.workspace]: ws.metadata.name }, ownerReferences: [ownerReference(ws, uid)] };
}

/**
 * Copies an input image's `/data` into `/mnt/data` with skopeo (as Kaito's puller): the image as
 * a directory of layers, each untarred, then `data/` moved. Pull Secrets are mounted one per
 * directory under /root/.docker/config.d and tried in turn.
 */
const PULLER_SCRIPT = [
  'set -eu',
  'mkdir -p /tmp/image /tmp/rootfs',
  'auth=""',
  'for f in /root/.docker/config.d/*/config.json; do [ -f "$f" ] && auth="$f" && skopeo copy --authfile "$f" "docker://$INPUT_IMAGE" dir:/tmp/image && break; auth=""; done',
  '[ -n "$auth" ] || skopeo copy "docker://$INPUT_IMAGE" dir:/tmp/image',
  'for layer in /tmp/image/*; do case "$layer" in *manifest.json|*version) ;; *) tar -xf "$layer" -C /tmp/rootfs 2>/dev/null || true ;; esac; done',
  `[ -d /tmp/rootfs/data ] || { echo "input image $INPUT_IMAGE has no /data directory" > ${TERMINATION_MESSAGE_PATH}; exit 1; }`,
  `cp -r /tmp/rootfs/data/. ${DATA_DIR}/`,
].join('\n');

function inputParts(ws: Workspace, settings: TuningJobSettings): { volumes: V1Volume[]; initContainers: V1Container[]; env: V1EnvVar[] } {
  const input = ws.tuning?.input ?? {};
  const dataVolume: V1Volume = input.volumeSource !== undefined ? { name: VOLUMES.data, ...(input.volumeSource as Omit<V1Volume, 'name'>) } : { name: VOLUMES.data, emptyDir: {} };
  if (input.urls !== undefined) return { volumes: [dataVolume], initContainers: [], env: [{ name: 'DATA_URLS', value: input.urls.join(' ') }] };
  if (input.image === undefined) return { volumes: [dataVolume], initContainers: [], env: [] };
  const pullSecrets = input.imagePullSecrets ?? [];
  const secretVolumes: V1Volume[] = pullSecrets.map((s, i) => ({ name: `input-pull-secret-${i}`, secret: { secretName: s, items: [{ key: '.dockerconfigjson', path: 'config.json' }] } }));
  const puller: V1Container = {
    name: DATA_PULLER_CONTAINER,
    image: settings.dataPullerImage,
    command: ['sh', '-c', PULLER_SCRIPT],
    env: [{ name: 'INPUT_IMAGE', value: input.image }],
    terminationMessagePath: TERMINATION_MESSAGE_PATH,
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ name: VOLUMES.data, mountPath: DATA_DIR }, ...pullSecrets.map((s, i) => ({ name: `input-pull-secret-${i}`, mountPath: `/root/.docker/config.d/${s}`, readOnly: true }))],
  };
  return { volumes: [dataVolume, ...secretVolumes], initContainers: [puller], env: [] };
}

function outputParts(ws: Workspace): { volumes: V1Volume[]; mounts: V1VolumeMount[]; env: V1EnvVar[] } {
  const output = ws.tuning?.output ?? {};
  if (output.image !== undefined) {
    return {
      volumes: [{ name: 'push-secret', secret: { secretName: output.imagePushSecret ?? '', items: [{ key: '.dockerconfigjson', path: 'config.json' }] } }],
      mounts: [{ name: 'push-secret', mountPath: PUSH_SECRET_DIR, readOnly: true }],
      env: [
        { name: 'OUTPUT_IMAGE', value: output.image },
        { name: 'DOCKER_CONFIG', value: PUSH_SECRET_DIR },
      ],
    };
  }
  return {
    volumes: [{ name: 'output-volume', ...((output.volumeSource ?? { emptyDir: {} }) as Omit<V1Volume, 'name'>) }],
    mounts: [{ name: 'output-volume', mountPath: OUTPUT_DIR }],
    env: [{ name: 'OUTPUT_VOLUME_DIR', value: OUTPUT_DIR }],
  };
}

/** The tuning Job `<name>`, owned by the Workspace and stamped with its tuning revision. */
export function desiredTuningJob(input: TuningJobInput): V1Job {
  const { workspace: ws, plan, model, settings } = input;
  const { name, namespace } = identity(ws);
  const tuning = ws.tuning;
  if (tuning === undefined) throw new InvalidWorkloadSpecError(`workspace ${name}: tuning is not set`);
  const configMap = tuningConfigMapName(ws);
  const rendered = renderTuningContainer(plan, model, {
    name: TUNING_CONTAINER,
    configMap,
    ...(settings.registry !== undefined ? { registry: settings.registry } : {}),
    ...(tuning.preset.presetOptions?.modelAccessSecret !== undefined ? { hfTokenSecret: tuning.preset.presetOptions.modelAccessSecret } : {}),
    runner: { method: tuning.method },
  });
  const inputs = inputParts(ws, settings);
  const outputs = outputParts(ws);
  const container: V1Container = {
    ...rendered,
    ...(settings.image !== undefined ? { image: settings.image } : {}),
    env: [
      ...(rendered.env ?? []),
      ...inputs.env,
      ...outputs.env,
      { name: 'TERMINATION_LOG', value: TERMINATION_MESSAGE_PATH },
      { name: 'PROGRESS_CONFIGMAP', value: progressConfigMapName(name) },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ...((settings.insecureRegistries ?? []).length > 0 ? [{ name: 'INSECURE_REGISTRIES', value: (settings.insecureRegistries ?? []).join(',') }] : []),
    ],
    volumeMounts: [...(rendered.volumeMounts ?? []), ...outputs.mounts],
    terminationMessagePath: TERMINATION_MESSAGE_PATH,
    terminationMessagePolicy: 'File',
  };
  const rendererVolumes: V1Volume[] = [
    { name: VOLUMES.dshm, emptyDir: { medium: 'Memory' } },
    { name: VOLUMES.weights, emptyDir: {} },
    { name: VOLUMES.config, configMap: { name: configMap } },
    { name: VOLUMES.results, emptyDir: {} },
  ];
  const labels = { [Labels.workspace]: name };
  const pullSecrets = tuning.input.image !== undefined ? (tuning.input.imagePullSecrets ?? []) : [];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...childMeta(ws, name), annotations: { [REVISION_HASH_ANNOTATION]: tuningRevision(ws) } },
    spec: {
      backoffLimit: settings.backoffLimit,
      ...(settings.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: settings.activeDeadlineSeconds } : {}),
      template: {
        metadata: { labels, ...(settings.podAnnotations !== undefined && Object.keys(settings.podAnnotations).length > 0 ? { annotations: { ...settings.podAnnotations } } : {}) },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: tuningServiceAccountName(name),
          tolerations: TOLERATIONS.map((t) => ({ ...t })),
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: nodeRequirements(ws, name, namespace) }] } } },
          ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets.map((s) => ({ name: s })) } : {}),
          ...(inputs.initContainers.length > 0 ? { initContainers: inputs.initContainers } : {}),
          containers: [container],
          volumes: [...rendererVolumes, ...inputs.volumes, ...outputs.volumes],
        },
      },
    },
  };
}

export interface ProgressObjects {
  readonly configMap: V1ConfigMap;
  readonly serviceAccount: { apiVersion: 'v1'; kind: 'ServiceAccount'; metadata: V1ObjectMeta };
  readonly role: { apiVersion: 'rbac.authorization.k8s.io/v1'; kind: 'Role'; metadata: V1ObjectMeta; rules: { apiGroups: string[]; resources: string[]; resourceNames: string[]; verbs: string[] }[] };
  readonly roleBinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1';
    kind: 'RoleBinding';
    metadata: V1ObjectMeta;
    roleRef: { apiGroup: string; kind: string; name: string };
    subjects: { kind: string; name: string; namespace: string }[];
  };
}

/**
 * The progress ConfigMap (empty; the runner fills it), and the least RBAC that lets the Job's
 * pod write it: get and patch of that one ConfigMap by name.
 */
export function desiredProgressObjects(ws: Workspace): ProgressObjects {
  const { name, namespace } = identity(ws);
  const cm = progressConfigMapName(name);
  const sa = tuningServiceAccountName(name);
  return {
    configMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: childMeta(ws, cm), data: {} },
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: childMeta(ws, sa) },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: childMeta(ws, sa),
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [cm], verbs: ['get', 'patch'] }],
    },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: childMeta(ws, sa),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
    },
  };
}
