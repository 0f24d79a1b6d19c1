/**
 * Object factories: `gpuNodeRequest` builds a new request (what a client creates), and
 * `makeNodeClaim`, `makeMachine`, `makeNode` and `makeNodeRequest` build stored objects with
 * overrides (last write wins; metadata merged). Names are unique per call.
 */
import type { ObjectMeta } from '@kaito-ts/core';
import type { Requirement, ResourceList, Taint } from '../codecs/common.js';
import type { Machine } from '../codecs/machine.js';
import type { Node } from '../codecs/node.js';
import type { NodeClaim, NodeClassReference } from '../codecs/nodeclaim.js';
import {
  KAITO_GPU_TAINT,
  KAITO_NODE_CLASS_REF,
  KarpenterAnnotations,
  type NodeRequestApi,
  ResourceNames,
  WellKnownLabels,
} from '../constants.js';
import { fromMachine, fromNodeClaim, type NodeRequest, toMachine, toNodeClaim } from '../node-request.js';

export interface GpuNodeRequestInput {
  readonly api: NodeRequestApi;
  readonly name: string;
  readonly instanceType: string;
  /** `nvidia.com/gpu` requested, so initialization waits for the device plugin. Default 1; 0 leaves it out. */
  readonly gpuCount?: number;
  /** `requests.storage`. Default `100Gi`. */
  readonly storage?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Default `sku=gpu:NoSchedule` (the taint GPU node requests carry). */
  readonly taints?: readonly Taint[];
  /** After the instance-type and os requirements. */
  readonly requirements?: readonly Requirement[];
  /** NodeClaim only. Default `kaito.sh/KaitoNodeClass default`. */
  readonly nodeClassRef?: NodeClassReference;
}

/**
 * A new request for one GPU node of `instanceType`, on either API (nothing the API server sets:
 * no uid, generation or status). The workspace-specific request lives with the workspace
 * controller; this is what tests and the conformance suite need of one.
 */
export function gpuNodeRequest(input: GpuNodeRequestInput): NodeRequest {
  const gpus = input.gpuCount ?? 1;
  const requests: ResourceList = { [ResourceNames.storage]: input.storage ?? '100Gi', ...(gpus > 0 ? { [ResourceNames.gpu]: String(gpus) } : {}) };
  return {
    api: input.api,
    metadata: {
      name: input.name,
      ...(input.labels !== undefined ? { labels: { ...input.labels } } : {}),
      ...(input.annotations !== undefined ? { annotations: { ...input.annotations } } : {}),
    },
    spec: {
      requirements: [
        { key: WellKnownLabels.instanceType, operator: 'In', values: [input.instanceType] },
        { key: WellKnownLabels.os, operator: 'In', values: ['linux'] },
        ...(input.requirements ?? []),
      ],
      taints: [...(input.taints ?? [{ ...KAITO_GPU_TAINT }])],
      startupTaints: [],
      resources: { requests },
      ...(input.api === 'machine' ? { machineTemplateRef: { name: input.name } } : { nodeClassRef: input.nodeClassRef ?? { ...KAITO_NODE_CLASS_REF } }),
    },
    status: { capacity: {}, allocatable: {}, conditions: [] },
  };
}

let counter = 0;
const next = (prefix: string): string => `${prefix}${(++counter).toString(36).padStart(4, '0')}`;

export const DEFAULT_TEST_INSTANCE_TYPE = 'Standard_NC24ads_A100_v4';

type MetaOverrides = { metadata?: Partial<ObjectMeta> };

/** Metadata overrides win; labels and annotations are merged key by key. */
function mergeMeta(base: ObjectMeta, over: Partial<ObjectMeta> | undefined, name: string): ObjectMeta {
  return {
    ...base,
    ...over,
    name,
    ...(base.labels !== undefined || over?.labels !== undefined ? { labels: { ...base.labels, ...over?.labels } } : {}),
    ...(base.annotations !== undefined || over?.annotations !== undefined ? { annotations: { ...base.annotations, ...over?.annotations } } : {}),
  };
}

function baseRequest(api: NodeRequestApi, name: string, instanceType: string): NodeRequest {
  // Labelled and annotated as a workspace's request is, so tests can follow them onto the Node.
  const r = gpuNodeRequest({
    api,
    name,
    instanceType,
    labels: { 'kaito.sh/workspace': 'ws-test', 'kaito.sh/workspacenamespace': 'default' },
    annotations: { [KarpenterAnnotations.doNotDisrupt]: 'true' },
  });
  return { ...r, metadata: { ...r.metadata, uid: `uid-${name}`, generation: 1, creationTimestamp: '2025-01-01T00:00:00Z' } };
}

/** A NodeClaim in Kaito's shape; `instanceType` picks the SKU. */
export function makeNodeClaim(overrides: Partial<Omit<NodeClaim, 'metadata'>> & MetaOverrides & { instanceType?: string } = {}): NodeClaim {
  const { metadata, instanceType, ...rest } = overrides;
  const name = metadata?.name ?? next('ws');
  const base = toNodeClaim(baseRequest('nodeclaim', name, instanceType ?? DEFAULT_TEST_INSTANCE_TYPE));
  return { ...base, ...rest, metadata: mergeMeta(base.metadata, metadata, name) };
}

/** A Machine in Kaito's Machine-era shape. */
export function makeMachine(overrides: Partial<Omit<Machine, 'metadata'>> & MetaOverrides & { instanceType?: string } = {}): Machine {
  const { metadata, instanceType, ...rest } = overrides;
  const name = metadata?.name ?? next('ws');
  const base = toMachine(baseRequest('machine', name, instanceType ?? DEFAULT_TEST_INSTANCE_TYPE));
  return { ...base, ...rest, metadata: mergeMeta(base.metadata, metadata, name) };
}

/** The neutral view of `makeNodeClaim` / `makeMachine`. */
export function makeNodeRequest(api: NodeRequestApi, overrides: MetaOverrides & { instanceType?: string; status?: Partial<NodeRequest['status']>; spec?: Partial<NodeRequest['spec']> } = {}): NodeRequest {
  const { status, spec, ...rest } = overrides;
  const r = api === 'machine' ? fromMachine(makeMachine(rest)) : fromNodeClaim(makeNodeClaim(rest));
  return { ...r, spec: { ...r.spec, ...spec }, status: { ...r.status, ...status } };
}

export interface NodeOptions extends MetaOverrides {
  readonly providerID?: string;
  /** Ready condition status. Default 'True'. */
  readonly ready?: 'True' | 'False' | 'Unknown';
  readonly taints?: readonly Taint[];
  readonly allocatable?: Record<string, string>;
  readonly capacity?: Record<string, string>;
  readonly instanceType?: string;
}

/** A Node with a providerID, Ready by default, 1 GPU allocatable. */
export function makeNode(o: NodeOptions = {}): Node {
  const name = o.metadata?.name ?? next('node-');
  const resources = { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '1', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      uid: `uid-${name}`,
      ...o.metadata,
      name,
      labels: { 'node.kubernetes.io/instance-type': o.instanceType ?? DEFAULT_TEST_INSTANCE_TYPE, ...o.metadata?.labels },
    },
    spec: {
      providerID: o.providerID ?? `fake:///${name}`,
      ...(o.taints !== undefined ? { taints: [...o.taints] } : {}),
    },
    status: {
      capacity: o.capacity ?? resources,
      allocatable: o.allocatable ?? resources,
      conditions: [{ type: 'Ready', status: o.ready ?? 'True', reason: 'KubeletReady', message: '' }],
    },
  };
}
