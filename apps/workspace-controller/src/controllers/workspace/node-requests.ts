/**
 * The node requests a Workspace asks for (a pure planner), in Kaito's wire shape
 * (`kaito-project/kaito: pkg/utils/nodeclaim/nodeclaim.go`; Machine era `pkg/machine/machine.go`):
 *
 * | | NodeClaim (v1) | Machine (v1alpha5) |
 * |---|---|---|
 * | labels | `karpenter.sh/nodepool=kaito`, workspace, namespace, matchLabels | `karpenter.sh/provisioner-name=default`, workspace, namespace, matchLabels |
 * | annotations | `karpenter.sh/do-not-disrupt=true`, `kaito.sh/node-image-family` | same |
 * | requirements | nodepool In kaito, instance-type In [sku], os In linux | instance-type, provisioner-name In default, `kaito.sh/machine-type` In gpu, arch In amd64, os In linux |
 * | taints | `sku=gpu:NoSchedule` | same |
 * | resources | `storage` (+ `nvidia.com/gpu` when `gpuCount` is given: our addition) | same |
 * | ref | nodeClassRef `kaito.sh/KaitoNodeClass default` | machineTemplateRef `{name: <request name>}` |
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_STORAGE_REQUEST,
  KAITO_GPU_TAINT,
  KAITO_NODE_CLASS_REF,
  KAITO_NODEPOOL,
  KAITO_PROVISIONER_NAME,
  KaitoLabels,
  KarpenterAnnotations,
  KarpenterLabels,
  type MachineTemplateRef,
  type NodeClassReference,
  type NodeRequest,
  type NodeRequestApi,
  type Requirement,
  type ResourceList,
  ResourceNames,
  WellKnownLabels,
} from '@kaito-ts/karpenter';

export interface DesiredNodeRequestInput {
  readonly api: NodeRequestApi;
  /** The request's name; see `nodeRequestName`. */
  readonly name: string;
  readonly workspace: { readonly name: string; readonly namespace: string };
  /** The VM size / instance type, e.g. `Standard_NC24ads_A100_v4`. */
  readonly instanceType: string;
  /** OS disk (`requests.storage`). Default `1024Gi`, Kaito's default. */
  readonly storage?: string;
  /** When set, also request this many `nvidia.com/gpu`, so initialization waits for the device plugin. */
  readonly gpuCount?: number;
  /** The Workspace's `resource.labelSelector.matchLabels` (Kaito copies them onto the request). */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** `kaito.sh/node-image-family` (`ubuntu`, `azurelinux`). */
  readonly nodeImageFamily?: string;
  /** NodeClaim only. Default `kaito.sh/KaitoNodeClass default`. */
  readonly nodeClassRef?: NodeClassReference;
  /** Machine only. Default `{ name: <request name> }` (what Kaito wrote). */
  readonly machineTemplateRef?: MachineTemplateRef;
  /** Extra labels (e.g. a test run's selector); applied after matchLabels, before Kaito's own. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Extra requirements (Azure's `karpenter.azure.com/sku-name`, AWS's GPU count). */
  readonly extraRequirements?: readonly Requirement[];
}

/**
 * Kaito's request name: `ws` + 9 hex characters of sha256(namespace + name + salt). Kaito salts
 * with the current time; pass something unique per request (a time, a counter).
 */
export function nodeRequestName(workspace: { readonly name: string; readonly namespace: string }, salt: string): string {
  return `ws${createHash('sha256').update(`${workspace.namespace}${workspace.name}${salt}`).digest('hex').slice(0, 9)}`;
}

/** The node request for one node of a workspace (pure). */
export function desiredNodeRequest(input: DesiredNodeRequestInput): NodeRequest {
  const machine = input.api === 'machine';
  const poolLabel = machine
    ? { [KarpenterLabels.provisionerName]: KAITO_PROVISIONER_NAME }
    : { [KarpenterLabels.nodePool]: KAITO_NODEPOOL };
  const labels: Record<string, string> = {
    ...input.matchLabels,
    ...input.labels,
    ...poolLabel,
    [KaitoLabels.workspace]: input.workspace.name,
    [KaitoLabels.workspaceNamespace]: input.workspace.namespace,
  };
  const annotations: Record<string, string> = {
    [KarpenterAnnotations.doNotDisrupt]: 'true',
    ...(input.nodeImageFamily !== undefined ? { [KarpenterAnnotations.nodeImageFamily]: input.nodeImageFamily } : {}),
  };
  const requirements: Requirement[] = machine
    ? [
        { key: WellKnownLabels.instanceType, operator: 'In', values: [input.instanceType] },
        { key: KarpenterLabels.provisionerName, operator: 'In', values: [KAITO_PROVISIONER_NAME] },
        { key: KaitoLabels.machineType, operator: 'In', values: ['gpu'] },
        { key: WellKnownLabels.arch, operator: 'In', values: ['amd64'] },
        { key: WellKnownLabels.os, operator: 'In', values: ['linux'] },
      ]
    : [
        { key: KarpenterLabels.nodePool, operator: 'In', values: [KAITO_NODEPOOL] },
        { key: WellKnownLabels.instanceType, operator: 'In', values: [input.instanceType] },
        { key: WellKnownLabels.os, operator: 'In', values: ['linux'] },
      ];
  const requests: ResourceList = {
    [ResourceNames.storage]: input.storage ?? DEFAULT_STORAGE_REQUEST,
    ...(input.gpuCount !== undefined && input.gpuCount > 0 ? { [ResourceNames.gpu]: String(input.gpuCount) } : {}),
  };
  return {
    api: input.api,
    metadata: { name: input.name, labels, annotations },
    spec: {
      requirements: [...requirements, ...(input.extraRequirements ?? [])],
      taints: [{ ...KAITO_GPU_TAINT }],
      startupTaints: [],
      resources: { requests },
      ...(machine
        ? { machineTemplateRef: input.machineTemplateRef ?? { name: input.name } }
        : { nodeClassRef: input.nodeClassRef ?? { ...KAITO_NODE_CLASS_REF } }),
    },
    status: { capacity: {}, allocatable: {}, conditions: [] },
  };
}

/** The label selector (`k=v,k=v`) for a workspace's node requests. */
export function workspaceSelector(workspace: { readonly name: string; readonly namespace: string }): string {
  return `${KaitoLabels.workspace}=${workspace.name},${KaitoLabels.workspaceNamespace}=${workspace.namespace}`;
}
