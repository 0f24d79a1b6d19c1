/**
 * Registration (Karpenter v1 `lifecycle/registration.go`): find the one Node whose
 * `spec.providerID` is the request's; once, sync onto it the termination finalizer, an
 * ownerReference to the request, the request's labels (plus single-value requirement labels and
 * `karpenter.sh/registered=true`), its annotations, and its taints and startup taints (unless the
 * Node is labelled `karpenter.sh/do-not-sync-taints`); remove `karpenter.sh/unregistered`; record
 * `status.nodeName` (and capacity from the Node when the provider had none). The decisions are
 * pure (`planRegistration`, `registeredNode`); `Registration` writes the Node and the status.
 */
import type { OwnerReference } from '@kaito-ts/core';
import type { Taint } from '../codecs/common.js';
import type { Node } from '../codecs/node.js';
import { type ConditionInput, findCondition, setLifecycleCondition } from '../conditions.js';
import {
  ConditionTypes,
  KarpenterLabels,
  KarpenterTaints,
  MACHINE_API_VERSION,
  MACHINE_KIND,
  NODECLAIM_API_VERSION,
  NODECLAIM_KIND,
  Reasons,
  TERMINATION_FINALIZER,
} from '../constants.js';
import type { NodeRequest, NodeRequestStatus } from '../node-request.js';
import { hasTaint, isLaunched, isRegistered, requirementLabels, sameTaintKey } from '../predicates.js';
import type { AspectDeps, AspectResult, LifecycleAspect, Observed, ReconcileScope } from './context.js';
import { LifecycleEvents } from './events.js';
import { patchNode, replaceNode } from './node-patch.js';

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

/** Status with the registered Node recorded: its name, and capacity and allocatable if the provider left them empty. */
export function registeredStatus(status: NodeRequestStatus, node: Node): NodeRequestStatus {
  return {
    ...status,
    nodeName: node.metadata.name,
    // Providers that learn capacity only from the Node (gpu-provisioner) leave it empty at launch.
    ...(Object.keys(status.capacity).length === 0 && node.status?.capacity ? { capacity: { ...node.status.capacity } } : {}),
    ...(Object.keys(status.allocatable).length === 0 && node.status?.allocatable ? { allocatable: { ...node.status.allocatable } } : {}),
  };
}

/** The registration aspect: once launched, finds and syncs the Node and records it. */
export class Registration implements LifecycleAspect {
  readonly name = 'registration';
  readonly #d: AspectDeps;

  constructor(deps: AspectDeps) {
    this.#d = deps;
  }

  async reconcile(o: Observed, scope: ReconcileScope): Promise<AspectResult> {
    const r = o.request;
    if (!isLaunched(r) || r.status.providerID === undefined) return o;
    const plan = planRegistration(r, o.nodes);
    let nodes = o.nodes;
    let node = plan.node;
    if (node !== undefined && plan.desiredNode !== undefined) {
      node = await patchNode(this.#d.kube, node, plan.desiredNode);
      nodes = replaceNode(nodes, node);
    }
    const now = new Date(this.#d.clock.now());
    const status = node !== undefined ? registeredStatus(r.status, node) : r.status;
    const conditions = setLifecycleCondition(status.conditions, plan.condition, now, r.metadata.generation);
    const updated = await this.#d.requests.patchStatus(r, { ...status, conditions });
    if (!isRegistered(r) && isRegistered(updated) && node !== undefined) {
      this.#d.events.publish(LifecycleEvents.registered(updated, node.metadata.name));
      scope.log.info('registered node', { node: node.metadata.name });
    }
    return { request: updated, nodes };
  }
}
