/**
 * The inference workload of a preset Workspace (a pure planner), in Kaito's wire shape
 * (`kaito-project/kaito: pkg/workspace/inference/preset_inferences.go`, `manifests/manifests.go`):
 *
 * - StatefulSet `<name>`: one pod per node (`replicas` = the plan's node count, required
 *   anti-affinity on `kubernetes.io/hostname`), pinned to the Workspace's nodes by required node
 *   affinity on the labels its node requests carry, tolerating the `sku=gpu:NoSchedule` taint.
 *   The container (image, command, GPU requests, probes and startup budget, `HF_TOKEN`) is
 *   `@kaito-ts/presets`' render; several nodes use its multi-node variant (pod 0 leads a Ray
 *   cluster and serves, the others join it through the headless Service).
 * - Service `<name>`: port 80 → the runtime's port (5000), to pod 0 only; LoadBalancer when the
 *   Workspace says `kaito.sh/enablelb: "True"` (exactly), else ClusterIP.
 * - Service `<name>-headless`: the pods' DNS names, the multi-node leader's address.
 *
 * Everything carries a controller ownerReference to the Workspace, so deleting the Workspace
 * deletes them. The StatefulSet carries the inference revision (see revision.ts).
 */
import { codedError } from '@kaito-ts/core';
import { Annotations, Labels, RESERVED_LABEL_KEYS, type Workspace } from '@kaito-ts/api';
import { adapterPodParts, adapterProblems, adapterRefs } from './adapters.js';
import { KAITO_GPU_TAINT, WellKnownLabels } from '@kaito-ts/karpenter';
import { inferenceRuntime, inferenceVolumes, renderInferenceContainer, type Plan, type PresetModel, type RuntimeName } from '@kaito-ts/presets';
import type { V1NodeSelectorRequirement, V1OwnerReference, V1Service, V1StatefulSet, V1Toleration } from '@kubernetes/client-node';
import { inferenceRevision, REVISION_HASH_ANNOTATION } from './revision.js';

/** The Workspace asks for something the workload cannot be built from; fix the spec. */
export class InvalidWorkloadSpecError extends codedError('InvalidSpec') {}

/** The label the StatefulSet controller puts on each pod with its name. */
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** The Service's port (Kaito's: clients call `http://<name>/v1/...`). */
export const SERVICE_PORT = 80;
const RUNTIMES: readonly RuntimeName[] = ['vllm', 'transformers'];

export interface InferenceWorkloadInput {
  readonly workspace: Workspace;
  /** A fitting inference plan for the Workspace's preset, SKU and runtime (`workspaceRuntime`). */
  readonly plan: Plan;
  readonly model: PresetModel;
  /** Image registry override (a mirror of mcr.microsoft.com/aks/kaito). */
  readonly registry?: string;
  readonly imageTag?: string;
  /** Bring-your-own nodes: pin the pods by the Workspace's selector and this label instead of the node requests' labels. */
  readonly byo?: ByoPlacement;
  /** The adapter puller image (default Kaito's skopeo image). */
  readonly pullerImage?: string;
  /** Extra pod annotations, e.g. the local cluster's `kaito-ts.dev/run-as-process` (a controller setting, not the Workspace's). */
  readonly podAnnotations?: Readonly<Record<string, string>>;
}

/** Where a bring-your-own Workspace's pods may run: its selector's nodes with the planned hardware. */
export interface ByoPlacement {
  /** The node label that names the planned hardware, e.g. `node.kubernetes.io/instance-type` = `Standard_NC6s_v3`. */
  readonly hardwareLabel?: { readonly key: string; readonly value: string };
}

export interface InferenceWorkload {
  readonly statefulSet: V1StatefulSet;
  readonly service: V1Service;
  readonly headlessService: V1Service;
}

/** The runtime a Workspace asks for: the `kaito.sh/runtime` annotation, `vllm` when absent. */
export function workspaceRuntime(workspace: Pick<Workspace, 'metadata'>): RuntimeName {
  const value = workspace.metadata.annotations?.[Annotations.runtime];
  if (value === undefined) return 'vllm';
  const runtime = RUNTIMES.find((r) => r === value);
  if (runtime === undefined) {
    throw new InvalidWorkloadSpecError(
      `metadata.annotations["${Annotations.runtime}"]: expected one of ${RUNTIMES.map((r) => `"${r}"`).join(', ')}, got ${JSON.stringify(value)} (e.g. ${Annotations.runtime}: vllm)`,
    );
  }
  return runtime;
}

export const headlessServiceName = (workspace: string): string => `${workspace}-headless`;

/** Pod 0's stable DNS name, where the other pods of a multi-node workload find the Ray head. */
export function leaderAddress(workspace: { readonly name: string; readonly namespace: string }): string {
  return `${workspace.name}-0.${headlessServiceName(workspace.name)}.${workspace.namespace}.svc.cluster.local`;
}

export function identity(ws: Workspace): { name: string; namespace: string; uid: string } {
  const { name, namespace, uid } = ws.metadata;
  if (namespace === undefined || uid === undefined) {
    // Only a Workspace read from the API server has both; a planner fed anything else is a bug.
    throw new InvalidWorkloadSpecError(`workspace ${name}: metadata.namespace and metadata.uid are required to own its workload (read it from the API server)`);
  }
  return { name, namespace, uid };
}

/** The Workspace as its children's controller owner (also the tuning Job's). */
export function ownerReference(ws: Workspace, uid: string): V1OwnerReference {
  return { apiVersion: ws.apiVersion, kind: ws.kind, name: ws.metadata.name, uid, controller: true, blockOwnerDeletion: true };
}

/**
 * The node labels that mark the Workspace's nodes: its user matchLabels (reserved keys stripped,
 * as Kaito does), then either the workspace labels its node requests carry onto their Nodes, or,
 * for bring-your-own nodes, the selector's expressions and the planned hardware's label.
 */
export function nodeRequirements(ws: Workspace, name: string, namespace: string, byo?: ByoPlacement): V1NodeSelectorRequirement[] {
  const user = Object.entries(ws.resource.labelSelector.matchLabels ?? {}).filter(([k]) => !RESERVED_LABEL_KEYS.includes(k));
  const own: V1NodeSelectorRequirement[] =
    byo === undefined
      ? [
          { key: Labels.workspace, operator: 'In', values: [name] },
          { key: Labels.workspaceNamespace, operator: 'In', values: [namespace] },
        ]
      : [
          ...(ws.resource.labelSelector.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, ...(e.values !== undefined ? { values: [...e.values] } : {}) })),
          ...(byo.hardwareLabel !== undefined ? [{ key: byo.hardwareLabel.key, operator: 'In', values: [byo.hardwareLabel.value] }] : []),
        ];
  return [...user.map(([key, value]) => ({ key, operator: 'In', values: [value] })), ...own];
}

/** What a workload on the Workspace's GPU nodes tolerates (also the tuning Job's pod). */
export const TOLERATIONS: readonly V1Toleration[] = [
  { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
  { key: KAITO_GPU_TAINT.key, operator: 'Equal', value: KAITO_GPU_TAINT.value, effect: KAITO_GPU_TAINT.effect },
];

/** The StatefulSet and Services that serve a preset Workspace. */
export function desiredInferenceWorkload(input: InferenceWorkloadInput): InferenceWorkload {
  const { workspace: ws, plan, model } = input;
  const { name, namespace, uid } = identity(ws);
  const preset = ws.inference?.preset;
  if (preset === undefined) throw new InvalidWorkloadSpecError(`workspace ${name}: inference.preset is required for a preset workload (template workspaces are not planned here)`);
  const runtime = workspaceRuntime(ws);
  if (plan.runtime !== runtime) {
    throw new InvalidWorkloadSpecError(`workspace ${name}: the plan is for runtime ${plan.runtime} but the Workspace asks for ${runtime}; plan with workspaceRuntime(workspace)`);
  }
  const owner = ownerReference(ws, uid);
  const labels = { [Labels.workspace]: name };
  const objectLabels = { ...labels, [Labels.workspaceNamespace]: namespace };
  const multiNode = plan.nodeCount > 1;
  const adapters = ws.inference?.adapters ?? [];
  const problem = adapterProblems(adapters, { model, runtime })[0];
  if (problem !== undefined) throw new InvalidWorkloadSpecError(`workspace ${name}: ${problem.field}: ${problem.message}`);
  const adapterParts = adapterPodParts(adapters, input.pullerImage !== undefined ? { pullerImage: input.pullerImage } : {});
  const renderOptions = {
    name,
    ...(input.registry !== undefined ? { registry: input.registry } : {}),
    ...(input.imageTag !== undefined ? { imageTag: input.imageTag } : {}),
    ...(preset.presetOptions?.modelAccessSecret !== undefined ? { hfTokenSecret: preset.presetOptions.modelAccessSecret } : {}),
    ...(ws.inference?.config !== undefined ? { configMap: ws.inference.config } : {}),
    ...(multiNode ? { leaderAddress: leaderAddress({ name, namespace }) } : {}),
    ...(adapters.length > 0 ? { adapters: adapterRefs(adapters) } : {}),
  };
  const rendered = renderInferenceContainer(plan, model, renderOptions);
  const container = adapterParts.mounts.length > 0 ? { ...rendered, volumeMounts: [...(rendered.volumeMounts ?? []), ...adapterParts.mounts] } : rendered;
  const pullSecrets = preset.presetOptions?.imagePullSecrets ?? [];

  const statefulSet: V1StatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace, labels: objectLabels, annotations: { [REVISION_HASH_ANNOTATION]: inferenceRevision(ws, placementOf(input.byo)) }, ownerReferences: [owner] },
    spec: {
      replicas: plan.nodeCount,
      // all pods at once: a multi-node model only starts when every pod has joined
      podManagementPolicy: 'Parallel',
      serviceName: headlessServiceName(name),
      selector: { matchLabels: labels },
      persistentVolumeClaimRetentionPolicy: { whenScaled: 'Retain', whenDeleted: 'Delete' },
      template: {
        metadata: { labels, ...(input.podAnnotations !== undefined && Object.keys(input.podAnnotations).length > 0 ? { annotations: { ...input.podAnnotations } } : {}) },
        spec: {
          ...(adapterParts.initContainers.length > 0 ? { initContainers: adapterParts.initContainers } : {}),
          containers: [container],
          volumes: [...inferenceVolumes(plan, renderOptions), ...adapterParts.volumes],
          tolerations: TOLERATIONS.map((t) => ({ ...t })),
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: nodeRequirements(ws, name, namespace, input.byo) }] } },
            // one pod per node: each pod takes all of its node's GPUs
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: WellKnownLabels.hostname }] },
          },
          ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets.map((s) => ({ name: s })) } : {}),
        },
      },
    },
  };

  return { statefulSet, ...inferenceServices(ws, owner, inferenceRuntime(runtime).port) };
}

/** What of the placement changes the pods, for the revision: the hardware label of bring-your-own nodes. */
export function placementOf(byo: ByoPlacement | undefined): string | undefined {
  if (byo === undefined) return undefined;
  return byo.hardwareLabel === undefined ? 'byo' : `byo:${byo.hardwareLabel.key}=${byo.hardwareLabel.value}`;
}

/** The Service `<name>` (80 → `port` on pod 0) and the headless `<name>-headless`. */
export function inferenceServices(ws: Workspace, owner: V1OwnerReference, port: number): Omit<InferenceWorkload, 'statefulSet'> {
  const { name, namespace } = identity(ws);
  const labels = { [Labels.workspace]: name };
  const objectLabels = { ...labels, [Labels.workspaceNamespace]: namespace };
  const loadBalancer = ws.metadata.annotations?.[Annotations.enableLoadBalancer] === 'True';
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: objectLabels, ownerReferences: [owner] },
    spec: {
      type: loadBalancer ? 'LoadBalancer' : 'ClusterIP',
      // pod 0 only: in a multi-node workload only the leader serves HTTP
      selector: { ...labels, [POD_NAME_LABEL]: `${name}-0` },
      ports: [{ name: 'http', port: SERVICE_PORT, targetPort: port, protocol: 'TCP' }],
      publishNotReadyAddresses: true,
    },
  };
  const headlessService: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: headlessServiceName(name), namespace, labels: objectLabels, ownerReferences: [owner] },
    spec: { clusterIP: 'None', selector: labels, publishNotReadyAddresses: true },
  };
  return { service, headlessService };
}
