/**
 * `NodeRequest`: one version-neutral view of a Machine (karpenter.sh/v1alpha5) or a NodeClaim
 * (karpenter.sh/v1), so controllers run on either API, chosen by a flag. Conditions are normalised
 * to the v1 names (`MachineLaunched` → `Launched`) and to one shape (knative or metav1).
 *
 * Conversions are pure and lossless for everything the two APIs share; API-only fields ride along
 * in `spec` (`machineTemplateRef`, `kubelet` for Machine; `nodeClassRef`, `expireAfter`,
 * `terminationGracePeriod` for NodeClaim; `imageID`, `lastPodEventTime` in status).
 */
import { decodeOrThrow, type ObjectMeta } from '@kaito-ts/core';
import type { KnativeCondition, MetaCondition, Requirement, ResourceList, Taint } from './codecs/common.js';
import { Machine, type MachineStatus, type MachineTemplateRef } from './codecs/machine.js';
import { NodeClaim, type NodeClaimStatus, type NodeClassReference } from './codecs/nodeclaim.js';
import type { NodeRequestCondition } from './conditions.js';
import {
  MACHINE_API_VERSION,
  MACHINE_KIND,
  MachineConditionTypes,
  NODECLAIM_API_VERSION,
  NODECLAIM_KIND,
  type NodeRequestApi,
} from './constants.js';

export interface NodeRequestSpec {
  readonly requirements: readonly Requirement[];
  readonly taints: readonly Taint[];
  readonly startupTaints: readonly Taint[];
  readonly resources: { readonly requests: ResourceList };
  /** NodeClaim: the provider's node class (required by the v1 CRD). */
  readonly nodeClassRef?: NodeClassReference;
  /** Machine: the provider's machine template. */
  readonly machineTemplateRef?: MachineTemplateRef;
  /** Machine: kubelet settings, passed through. */
  readonly kubelet?: Record<string, unknown>;
  /** NodeClaim only. */
  readonly terminationGracePeriod?: string;
  /** NodeClaim only. */
  readonly expireAfter?: string;
}

export interface NodeRequestStatus {
  readonly providerID?: string;
  readonly nodeName?: string;
  /** NodeClaim only. */
  readonly imageID?: string;
  readonly capacity: ResourceList;
  readonly allocatable: ResourceList;
  readonly conditions: readonly NodeRequestCondition[];
  /** NodeClaim only. */
  readonly lastPodEventTime?: string;
}

export interface NodeRequest {
  /** Which API the object lives in. */
  readonly api: NodeRequestApi;
  readonly metadata: ObjectMeta;
  readonly spec: NodeRequestSpec;
  readonly status: NodeRequestStatus;
}

/** Machine condition name → neutral name. */
const FROM_MACHINE: Readonly<Record<string, string>> = {
  [MachineConditionTypes.launched]: 'Launched',
  [MachineConditionTypes.created]: 'Launched',
  [MachineConditionTypes.registered]: 'Registered',
  [MachineConditionTypes.initialized]: 'Initialized',
  [MachineConditionTypes.drifted]: 'Drifted',
  [MachineConditionTypes.empty]: 'Empty',
  [MachineConditionTypes.expired]: 'Expired',
};

/** Neutral name → Machine condition name. */
const TO_MACHINE: Readonly<Record<string, string>> = {
  Launched: MachineConditionTypes.launched,
  Registered: MachineConditionTypes.registered,
  Initialized: MachineConditionTypes.initialized,
  Drifted: MachineConditionTypes.drifted,
  Empty: MachineConditionTypes.empty,
  Expired: MachineConditionTypes.expired,
};

/** The condition type as the given API spells it (`Launched` → `MachineLaunched` for Machine). */
export function apiConditionType(api: NodeRequestApi, type: string): string {
  return api === 'machine' ? (TO_MACHINE[type] ?? type) : type;
}

const EPOCH = new Date(0).toISOString();

function fromKnative(c: KnativeCondition): NodeRequestCondition {
  return {
    type: FROM_MACHINE[c.type] ?? c.type,
    status: c.status,
    reason: c.reason ?? '',
    message: c.message ?? '',
    lastTransitionTime: c.lastTransitionTime ?? '',
    ...(c.severity !== undefined ? { severity: c.severity } : {}),
  };
}

function fromMeta(c: MetaCondition): NodeRequestCondition {
  return {
    type: c.type,
    status: c.status,
    reason: c.reason ?? '',
    message: c.message ?? '',
    lastTransitionTime: c.lastTransitionTime ?? '',
    ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
  };
}

function toKnative(c: NodeRequestCondition): KnativeCondition {
  return {
    type: TO_MACHINE[c.type] ?? c.type,
    status: c.status,
    ...(c.severity !== undefined && c.severity !== '' ? { severity: c.severity } : {}),
    ...(c.lastTransitionTime !== '' ? { lastTransitionTime: c.lastTransitionTime } : {}),
    ...(c.reason !== '' ? { reason: c.reason } : {}),
    ...(c.message !== '' ? { message: c.message } : {}),
  };
}

function toMeta(c: NodeRequestCondition): MetaCondition {
  return {
    type: c.type,
    status: c.status,
    // The v1 CRD requires a non-empty reason and a timestamp; operatorpkg uses the type as reason.
    reason: c.reason !== '' ? c.reason : c.type,
    message: c.message,
    lastTransitionTime: c.lastTransitionTime !== '' ? c.lastTransitionTime : EPOCH,
    ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
  };
}

/** If both `MachineCreated` (≤ v0.27) and `MachineLaunched` exist, keep the latter. */
function dedupe(conditions: NodeRequestCondition[]): NodeRequestCondition[] {
  const out: NodeRequestCondition[] = [];
  for (const c of conditions) {
    const i = out.findIndex((o) => o.type === c.type);
    if (i < 0) out.push(c);
    else out[i] = c;
  }
  return out;
}

export function fromMachine(m: Machine): NodeRequest {
  const spec = m.spec ?? {};
  const status = m.status ?? {};
  const created = (status.conditions ?? []).filter((c) => c.type === MachineConditionTypes.created);
  const others = (status.conditions ?? []).filter((c) => c.type !== MachineConditionTypes.created);
  return {
    api: 'machine',
    metadata: m.metadata,
    spec: {
      requirements: spec.requirements ?? [],
      taints: spec.taints ?? [],
      startupTaints: spec.startupTaints ?? [],
      resources: { requests: spec.resources?.requests ?? {} },
      ...(spec.machineTemplateRef !== undefined ? { machineTemplateRef: spec.machineTemplateRef } : {}),
      ...(spec.kubelet !== undefined ? { kubelet: spec.kubelet } : {}),
    },
    status: {
      ...(status.providerID !== undefined ? { providerID: status.providerID } : {}),
      ...(status.nodeName !== undefined ? { nodeName: status.nodeName } : {}),
      capacity: status.capacity ?? {},
      allocatable: status.allocatable ?? {},
      conditions: dedupe([...created, ...others].map(fromKnative)),
    },
  };
}

export function fromNodeClaim(nc: NodeClaim): NodeRequest {
  const spec = nc.spec ?? {};
  const status = nc.status ?? {};
  return {
    api: 'nodeclaim',
    metadata: nc.metadata,
    spec: {
      requirements: spec.requirements ?? [],
      taints: spec.taints ?? [],
      startupTaints: spec.startupTaints ?? [],
      resources: { requests: spec.resources?.requests ?? {} },
      ...(spec.nodeClassRef !== undefined ? { nodeClassRef: spec.nodeClassRef } : {}),
      ...(spec.terminationGracePeriod !== undefined ? { terminationGracePeriod: spec.terminationGracePeriod } : {}),
      ...(spec.expireAfter !== undefined ? { expireAfter: spec.expireAfter } : {}),
    },
    status: {
      ...(status.providerID !== undefined ? { providerID: status.providerID } : {}),
      ...(status.nodeName !== undefined ? { nodeName: status.nodeName } : {}),
      ...(status.imageID !== undefined ? { imageID: status.imageID } : {}),
      ...(status.lastPodEventTime !== undefined ? { lastPodEventTime: status.lastPodEventTime } : {}),
      capacity: status.capacity ?? {},
      allocatable: status.allocatable ?? {},
      conditions: (status.conditions ?? []).map(fromMeta),
    },
  };
}

const nonEmpty = <T>(key: string, list: readonly T[]): Record<string, T[]> => (list.length > 0 ? { [key]: [...list] } : {});

export function machineStatusOf(status: NodeRequestStatus): MachineStatus {
  return {
    ...(status.providerID !== undefined ? { providerID: status.providerID } : {}),
    ...(status.nodeName !== undefined ? { nodeName: status.nodeName } : {}),
    ...(Object.keys(status.capacity).length > 0 ? { capacity: { ...status.capacity } } : {}),
    ...(Object.keys(status.allocatable).length > 0 ? { allocatable: { ...status.allocatable } } : {}),
    ...(status.conditions.length > 0 ? { conditions: status.conditions.map(toKnative) } : {}),
  };
}

export function nodeClaimStatusOf(status: NodeRequestStatus): NodeClaimStatus {
  return {
    ...(status.providerID !== undefined ? { providerID: status.providerID } : {}),
    ...(status.nodeName !== undefined ? { nodeName: status.nodeName } : {}),
    ...(status.imageID !== undefined ? { imageID: status.imageID } : {}),
    ...(status.lastPodEventTime !== undefined ? { lastPodEventTime: status.lastPodEventTime } : {}),
    ...(Object.keys(status.capacity).length > 0 ? { capacity: { ...status.capacity } } : {}),
    ...(Object.keys(status.allocatable).length > 0 ? { allocatable: { ...status.allocatable } } : {}),
    ...(status.conditions.length > 0 ? { conditions: status.conditions.map(toMeta) } : {}),
  };
}

export function toMachine(r: NodeRequest): Machine {
  const s = r.spec;
  const status = machineStatusOf(r.status);
  return {
    apiVersion: MACHINE_API_VERSION,
    kind: MACHINE_KIND,
    metadata: r.metadata,
    spec: {
      ...nonEmpty('requirements', s.requirements),
      ...nonEmpty('taints', s.taints),
      ...nonEmpty('startupTaints', s.startupTaints),
      ...(Object.keys(s.resources.requests).length > 0 ? { resources: { requests: { ...s.resources.requests } } } : {}),
      ...(s.machineTemplateRef !== undefined ? { machineTemplateRef: s.machineTemplateRef } : {}),
      ...(s.kubelet !== undefined ? { kubelet: s.kubelet } : {}),
    },
    ...(Object.keys(status).length > 0 ? { status } : {}),
  };
}

export function toNodeClaim(r: NodeRequest): NodeClaim {
  const s = r.spec;
  const status = nodeClaimStatusOf(r.status);
  return {
    apiVersion: NODECLAIM_API_VERSION,
    kind: NODECLAIM_KIND,
    metadata: r.metadata,
    spec: {
      requirements: [...s.requirements],
      ...nonEmpty('taints', s.taints),
      ...nonEmpty('startupTaints', s.startupTaints),
      ...(Object.keys(s.resources.requests).length > 0 ? { resources: { requests: { ...s.resources.requests } } } : {}),
      ...(s.nodeClassRef !== undefined ? { nodeClassRef: s.nodeClassRef } : {}),
      ...(s.terminationGracePeriod !== undefined ? { terminationGracePeriod: s.terminationGracePeriod } : {}),
      ...(s.expireAfter !== undefined ? { expireAfter: s.expireAfter } : {}),
    },
    ...(Object.keys(status).length > 0 ? { status } : {}),
  };
}

/** The API object for a NodeRequest, in its own API. */
export function toApiObject(r: NodeRequest): Machine | NodeClaim {
  return r.api === 'machine' ? toMachine(r) : toNodeClaim(r);
}

/** The status as the request's API writes it. */
export function apiStatusOf(r: Pick<NodeRequest, 'api' | 'status'>): MachineStatus | NodeClaimStatus {
  return r.api === 'machine' ? machineStatusOf(r.status) : nodeClaimStatusOf(r.status);
}

/** Decodes an object of the given API (a watch event, an HTTP body) into a NodeRequest; throws DecodeError naming the field. */
export function decodeNodeRequest(api: NodeRequestApi, value: unknown): NodeRequest {
  if (api === 'machine') return fromMachine(decodeOrThrow(Machine, value, 'Machine'));
  return fromNodeClaim(decodeOrThrow(NodeClaim, value, 'NodeClaim'));
}

/** The request with a new status (pure). */
export function withStatus(r: NodeRequest, status: Partial<NodeRequestStatus>): NodeRequest {
  return { ...r, status: { ...r.status, ...status } };
}
