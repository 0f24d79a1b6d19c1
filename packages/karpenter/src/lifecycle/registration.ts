/**
 * Registration and initialization, as pure functions of (request, Nodes, now).
 *
 * Registration (Karpenter v1 `registration.go`): find the one Node whose `spec.providerID` is the
 * request's; once, sync onto it the termination finalizer, an ownerReference to the request, the
 * request's labels (plus single-value requirement labels and `karpenter.sh/registered=true`), its
 * annotations, and its taints and startup taints (unless the Node is labelled
 * `karpenter.sh/do-not-sync-taints`); remove `karpenter.sh/unregistered`; record `status.nodeName`.
 *
 * Initialization (`initialization.go`): the Node is Ready, no startup or ephemeral taint remains,
 * and every requested resource (but `storage`, which no Node advertises) is allocatable and
 * non-zero; then the Node is labelled `karpenter.sh/initialized=true`.
 */
import type { OwnerReference } from '@kaito-ts/core';
import type { Taint } from '../codecs/common.js';
import type { Node } from '../codecs/node.js';
import { type ConditionInput, findCondition } from '../conditions.js';
import {
  ConditionTypes,
  EPHEMERAL_TAINT_KEYS,
  KarpenterLabels,
  KarpenterTaints,
  MACHINE_API_VERSION,
  MACHINE_KIND,
  NODECLAIM_API_VERSION,
  NODECLAIM_KIND,
  Reasons,
  ResourceNames,
  TERMINATION_FINALIZER,
} from '../constants.js';
import type { NodeRequest } from '../node-request.js';
import { hasTaint, isNodeReady, requirementLabels, sameTaintKey } from '../predicates.js';
import { quantityOf } from '../quantity.js';

export interface RegistrationOutcome {
  readonly condition: ConditionInput;
  /** The registered Node, when exactly one matches. */
  readonly node?: Node;
  /** The Node as registration wants it (undefined: leave it as is). */
  readonly desiredNode?: Node;
}

export function ownerReferenceTo(r: NodeRequest): OwnerReference {
  const machine = r.api === 'machine';
  return {
    apiVersion: machine ? MACHINE_API_VERSION : NODECLAIM_API_VERSION,
    kind: machine ? MACHINE_KIND : NODECLAIM_KIND,
    name: r.metadata.name,
    uid: r.metadata.uid ?? '',
    blockOwnerDeletion: true,
  };
}

/** `taints` plus each of `add` whose key and effect are not there yet. */
export function mergeTaints(taints: readonly Taint[], add: readonly Taint[]): Taint[] {
  const out = [...taints];
  for (const t of add) if (!out.some((x) => sameTaintKey(x, t))) out.push(t);
  return out;
}

/** The Node after registration's one-time sync (pure; returns a new object). */
export function registeredNode(node: Node, r: NodeRequest): Node {
  const labels = {
    ...node.metadata.labels,
    ...r.metadata.labels,
    ...requirementLabels(r.spec.requirements),
    [KarpenterLabels.registered]: 'true',
  };
  const annotations = { ...node.metadata.annotations, ...r.metadata.annotations };
  const finalizers = [...(node.metadata.finalizers ?? [])];
  if (!finalizers.includes(TERMINATION_FINALIZER)) finalizers.push(TERMINATION_FINALIZER);
  const owner = ownerReferenceTo(r);
  const owners = [...(node.metadata.ownerReferences ?? []).filter((o) => o.uid !== owner.uid), owner];
  let taints = [...(node.spec?.taints ?? [])];
  const alreadyRegistered = node.metadata.labels?.[KarpenterLabels.registered] === 'true';
  if (node.metadata.labels?.[KarpenterLabels.doNotSyncTaints] !== 'true') {
    taints = mergeTaints(taints, r.spec.taints);
    // Startup taints only on first registration: a daemon removes them, and they must not come back.
    if (!alreadyRegistered) taints = mergeTaints(taints, r.spec.startupTaints);
  }
  taints = taints.filter((t) => !sameTaintKey(t, KarpenterTaints.unregistered));
  return {
    ...node,
    metadata: { ...node.metadata, labels, annotations, finalizers, ownerReferences: owners },
    spec: { ...node.spec, ...(taints.length > 0 || node.spec?.taints !== undefined ? { taints } : {}) },
  };
}

export function planRegistration(r: NodeRequest, nodes: readonly Node[]): RegistrationOutcome {
  const providerID = r.status.providerID ?? '';
  const live = nodes.filter((n) => n.spec?.providerID === providerID && providerID !== '');
  if (live.length === 0) {
    return {
      condition: { type: ConditionTypes.registered, status: 'Unknown', reason: Reasons.awaitingNode, message: `waiting for a node with providerID ${providerID}` },
    };
  }
  if (live.length > 1) {
    return {
      condition: {
        type: ConditionTypes.registered,
        status: 'Unknown',
        reason: Reasons.multipleNodesFound,
        message: `nodes ${live.map((n) => n.metadata.name).join(', ')} all have providerID ${providerID}`,
      },
    };
  }
  const node = live[0] as Node;
  const registered = findCondition(r.status.conditions, ConditionTypes.registered)?.status === 'True';
  return {
    condition: { type: ConditionTypes.registered, status: 'True', reason: Reasons.registered, message: '' },
    node,
    // Sync once; afterwards the Node's taints and labels belong to whoever changes them.
    ...(registered && !hasTaint(node, KarpenterTaints.unregistered) ? {} : { desiredNode: registeredNode(node, r) }),
  };
}

export interface InitializationOutcome {
  readonly condition: ConditionInput;
  readonly desiredNode?: Node;
}

/** Requested resources that are missing or zero in the Node's allocatable (`storage` exempt). */
export function missingResources(r: NodeRequest, node: Node): string[] {
  const missing: string[] = [];
  for (const [name, value] of Object.entries(r.spec.resources.requests)) {
    if (name === ResourceNames.storage) continue;
    const requested = quantityOf({ [name]: value }, name) ?? 0;
    if (requested <= 0) continue;
    const have = quantityOf(node.status?.allocatable, name) ?? 0;
    if (have <= 0) missing.push(name);
  }
  return missing;
}

export function planInitialization(r: NodeRequest, node: Node | undefined): InitializationOutcome {
  if (node === undefined) {
    return { condition: { type: ConditionTypes.initialized, status: 'Unknown', reason: Reasons.awaitingRegistration, message: 'waiting for the node to register' } };
  }
  const name = node.metadata.name;
  if (!isNodeReady(node)) {
    return { condition: { type: ConditionTypes.initialized, status: 'Unknown', reason: Reasons.nodeNotReady, message: `node ${name} is not Ready` } };
  }
  const taints = node.spec?.taints ?? [];
  const startup = taints.filter((t) => r.spec.startupTaints.some((s) => sameTaintKey(s, t)));
  if (startup.length > 0) {
    return {
      condition: {
        type: ConditionTypes.initialized,
        status: 'Unknown',
        reason: Reasons.startupTaintsRemain,
        message: `node ${name} still has startup taints ${startup.map((t) => `${t.key}:${t.effect}`).join(', ')}`,
      },
    };
  }
  const ephemeral = taints.filter((t) => EPHEMERAL_TAINT_KEYS.includes(t.key));
  if (ephemeral.length > 0) {
    return {
      condition: {
        type: ConditionTypes.initialized,
        status: 'Unknown',
        reason: Reasons.nodeNotReady,
        message: `node ${name} still has taints ${ephemeral.map((t) => `${t.key}:${t.effect}`).join(', ')}`,
      },
    };
  }
  const missing = missingResources(r, node);
  if (missing.length > 0) {
    return {
      condition: {
        type: ConditionTypes.initialized,
        status: 'Unknown',
        reason: Reasons.resourcesNotAllocatable,
        message: `node ${name} has no allocatable ${missing.join(', ')} yet`,
      },
    };
  }
  const desiredNode =
    node.metadata.labels?.[KarpenterLabels.initialized] === 'true'
      ? undefined
      : { ...node, metadata: { ...node.metadata, labels: { ...node.metadata.labels, [KarpenterLabels.initialized]: 'true' } } };
  return {
    condition: { type: ConditionTypes.initialized, status: 'True', reason: Reasons.initialized, message: '' },
    ...(desiredNode !== undefined ? { desiredNode } : {}),
  };
}
