/**
 * Object factories with overrides (last write wins; metadata merged): `makeNodeClaim`,
 * `makeMachine`, `makeNode`, and `makeNodeRequest` for the neutral view. Names are unique per call.
 */
import type { ObjectMeta } from '@kaito-ts/core';
import type { Taint } from '../codecs/common.js';
import type { Machine } from '../codecs/machine.js';
import type { Node } from '../codecs/node.js';
import type { NodeClaim } from '../codecs/nodeclaim.js';
import type { NodeRequestApi } from '../constants.js';
import { desiredNodeRequest } from '../desired.js';
import { fromMachine, fromNodeClaim, type NodeRequest, toMachine, toNodeClaim } from '../node-request.js';

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
  const r = desiredNodeRequest({ api, name, workspace: { name: 'ws-test', namespace: 'default' }, instanceType, storage: '100Gi', gpuCount: 1 });
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
