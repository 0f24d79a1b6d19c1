/**
 * The status of an inference Workspace (a pure planner): from what was observed — its node
 * requests, the Nodes they became, the inference pods — to `ResourceReady`, `InferenceReady`,
 * `WorkspaceReady`, `state`, `workerNodes` and `targetNodeCount`.
 *
 * It never claims more than is true:
 * - `ResourceReady` is True only when `targetNodeCount` requests each have a Ready GPU node of the
 *   right instance type; otherwise it carries the provisioner's own reason and message
 *   (`QuotaExceeded: 0 of 24 cores free`), the most actionable request first.
 * - `InferenceReady` is True only when `ResourceReady` is, `targetNodeCount` pods are Ready, and no
 *   pod is failing (a crash-looping pod may be Ready between restarts).
 * - `WorkspaceReady` is derived from the two.
 *
 * Conditions go through `setCondition`, so `lastTransitionTime` only moves when a status flips and
 * each carries the Workspace's generation. `state` follows Kaito: `Ready`, else `NotReady` once it
 * has been Ready or NotReady, else `Pending`.
 */
import { ConditionType, Reason, setCondition, WorkspaceState, type Condition, type Workspace, type WorkspaceStatus } from '@kaito-ts/api';
import { isDeleting, type Node, type NodeRequest } from '@kaito-ts/karpenter';
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { FAILURE_ORDER, podHealth, type PodHealth } from './pod-health.js';
import { workloadReadiness, type WorkloadReadiness } from './readiness.js';

export interface ObservedInference {
  readonly workspace: Workspace;
  /** Nodes the workload needs (the plan's node count). */
  readonly targetNodeCount: number;
  /** The Workspace's node requests (NodeClaims or Machines). */
  readonly requests: readonly NodeRequest[];
  /** Nodes that may belong to the requests; matched by `status.nodeName`, then `providerID`. */
  readonly nodes: readonly Node[];
  /** The inference pods (the StatefulSet's). */
  readonly pods: readonly V1Pod[];
  readonly now: Date;
  /** The inference StatefulSet as cached. */
  readonly statefulSet?: V1StatefulSet;
  /** The revision this pass has just updated an existing StatefulSet to (absent: no update). */
  readonly rolledTo?: string;
  /** `ResourceReady` decided elsewhere (bring-your-own nodes: byo-nodes.ts); else from `requests` and `nodes`. */
  readonly resource?: ResourceVerdict;
}

export interface ConditionVerdict {
  readonly status: 'True' | 'False';
  readonly reason: Reason;
  readonly message: string;
}

/** Capacity failures first: the user must act on them; a launch in progress only needs time. */
const RESOURCE_ORDER: readonly Reason[] = [
  Reason.QuotaExceeded,
  Reason.InsufficientCapacity,
  Reason.SkuUnavailable,
  Reason.NodeNotLaunched,
  Reason.NodeNotRegistered,
  Reason.NodeNotInitialized,
  Reason.GpuNotReady,
];

function nodeOf(request: NodeRequest, nodes: readonly Node[]): Node | undefined {
  const { nodeName, providerID } = request.status;
  return (
    (nodeName !== undefined ? nodes.find((n) => n.metadata.name === nodeName) : undefined) ??
    (providerID !== undefined ? nodes.find((n) => n.spec?.providerID === providerID) : undefined)
  );
}

export interface ResourceVerdict extends ConditionVerdict {
  readonly workerNodes: readonly string[];
}

/** `ResourceReady`, and the names of the ready nodes. */
export function resourceReady(o: Pick<ObservedInference, 'targetNodeCount' | 'requests' | 'nodes' | 'workspace'>): ResourceVerdict {
  const expected = o.workspace.resource.instanceType;
  const live = o.requests.filter((r) => !isDeleting(r));
  const verdicts = live.map((r): WorkloadReadiness & { node: Node | undefined } => {
    const node = nodeOf(r, o.nodes);
    return { ...workloadReadiness(r, node, expected), node };
  });
  const workerNodes = verdicts
    .filter((v) => v.ready)
    .map((v) => v.node?.metadata.name)
    .filter((n) => n !== undefined)
    .sort();
  const target = o.targetNodeCount;
  if (workerNodes.length >= target) {
    return { status: 'True', reason: Reason.NodesReady, message: `${workerNodes.length}/${target} nodes ready`, workerNodes };
  }
  const blocking = verdicts.filter((v) => !v.ready).sort((a, b) => RESOURCE_ORDER.indexOf(a.reason) - RESOURCE_ORDER.indexOf(b.reason))[0];
  if (blocking !== undefined) {
    return { status: 'False', reason: blocking.reason, message: `${workerNodes.length}/${target} nodes ready; ${blocking.message}`, workerNodes };
  }
  return { status: 'False', reason: Reason.NodesPending, message: `${workerNodes.length}/${target} nodes ready; ${target - live.length} node request(s) not created yet`, workerNodes };
}

/**
 * Why the StatefulSet is between two revisions, or undefined when it is not: this pass has just
 * updated it, the StatefulSet controller has not acted on the update yet, or it is replacing pods
 * (`updateRevision` ≠ `currentRevision`). A new StatefulSet is not rolling.
 */
export function rolloutInProgress(sts: V1StatefulSet | undefined, rolledTo?: string): string | undefined {
  if (sts === undefined) return undefined;
  const name = sts.metadata?.name ?? '(unnamed)';
  if (rolledTo !== undefined) return `StatefulSet ${name} was updated to revision ${rolledTo}; its pods are being replaced`;
  const generation = sts.metadata?.generation;
  const observed = sts.status?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed < generation) return `StatefulSet ${name} has not yet acted on its update (generation ${generation}, observed ${observed})`;
  const { updateRevision, currentRevision, updatedReplicas } = sts.status ?? {};
  if (updateRevision !== undefined && currentRevision !== undefined && updateRevision !== currentRevision) {
    return `StatefulSet ${name} is replacing its pods: ${updatedReplicas ?? 0}/${sts.spec?.replicas ?? 1} on the new revision`;
  }
  return undefined;
}

/** `InferenceReady`, given `ResourceReady`. */
export function inferenceReady(o: Pick<ObservedInference, 'targetNodeCount' | 'pods' | 'statefulSet' | 'rolledTo'>, resource: ConditionVerdict): ConditionVerdict {
  const health = o.pods.map(podHealth);
  const failing = health.filter((h) => !h.ready && FAILURE_ORDER.includes(h.reason)).sort(byFailure)[0];
  // A failing pod is reported even while nodes are missing: it is the more specific news.
  if (failing !== undefined) return { status: 'False', reason: failing.reason, message: failing.message };
  if (resource.status !== 'True') return { status: 'False', reason: Reason.InferencePending, message: `waiting for nodes: ${resource.message}` };
  // The old pods may all still be Ready, but they serve the old spec: not what the user asked for.
  const rolling = rolloutInProgress(o.statefulSet, o.rolledTo);
  if (rolling !== undefined) return { status: 'False', reason: Reason.InferenceUpdating, message: rolling };
  const ready = health.filter((h) => h.ready).length;
  const target = o.targetNodeCount;
  if (ready >= target && target > 0) return { status: 'True', reason: Reason.InferenceReady, message: `${ready}/${target} inference pods ready` };
  const waiting = health.find((h) => !h.ready);
  const detail = waiting?.message ?? `${target - health.length} pod(s) not created yet`;
  return { status: 'False', reason: Reason.InferencePending, message: `${ready}/${target} inference pods ready; ${detail}` };
}

function byFailure(a: PodHealth, b: PodHealth): number {
  return FAILURE_ORDER.indexOf(a.reason) - FAILURE_ORDER.indexOf(b.reason);
}

/** `WorkspaceReady`: the inference is served, else the first condition that is not True. */
export function workspaceReady(resource: ConditionVerdict, inference: ConditionVerdict): ConditionVerdict {
  if (inference.status === 'True') return { status: 'True', reason: Reason.WorkspaceReady, message: 'the inference endpoint is ready' };
  const first = resource.status !== 'True' ? resource : inference;
  return { status: 'False', reason: Reason.WorkspaceNotReady, message: `${first.reason}: ${first.message}` };
}

function nextState(previous: string | undefined, ready: boolean): WorkspaceState {
  if (ready) return WorkspaceState.Ready;
  return previous === WorkspaceState.Ready || previous === WorkspaceState.NotReady ? WorkspaceState.NotReady : WorkspaceState.Pending;
}

/**
 * The Workspace's next status. Returns the observed conditions array itself when no condition
 * changed, so the caller can compare before writing.
 */
export function inferenceStatus(o: ObservedInference): WorkspaceStatus {
  const previous = o.workspace.status ?? {};
  const resource = o.resource ?? resourceReady(o);
  const inference = inferenceReady(o, resource);
  const summary = workspaceReady(resource, inference);
  const opts = { observedGeneration: o.workspace.metadata.generation, now: o.now };
  const conditions = (
    [
      [ConditionType.ResourceReady, resource],
      [ConditionType.InferenceReady, inference],
      [ConditionType.WorkspaceReady, summary],
    ] as const
  ).reduce<Condition[]>((list, [type, verdict]) => setCondition(list, { type, ...verdict }, opts), previous.conditions ?? []);
  return {
    ...previous,
    conditions,
    workerNodes: [...resource.workerNodes],
    targetNodeCount: o.targetNodeCount,
    state: nextState(previous.state, summary.status === 'True'),
  };
}
