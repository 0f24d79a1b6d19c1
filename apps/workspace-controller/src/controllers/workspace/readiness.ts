/**
 * Whether a Workspace's node request gives it a node to run on, in the Workspace's own words: the
 * reason is the `ResourceReady` condition's (`@kaito-ts/api`'s `Reason`), so the controller copies
 * it through. The questions asked of the request and its Node are the Karpenter library's
 * predicates; only the mapping to Workspace reasons lives here.
 */
import { Reason } from '@kaito-ts/api';
import {
  gpuAllocatable,
  isInitialized,
  isLaunched,
  isNodeReady,
  isReady,
  isRegistered,
  launchFailure,
  type Node,
  type NodeRequest,
  Reasons as NodeRequestReasons,
  requestedInstanceType,
  WellKnownLabels,
} from '@kaito-ts/karpenter';

export interface WorkloadReadiness {
  readonly ready: boolean;
  readonly reason: Reason;
  readonly message: string;
}

/** The cloud's "no", as the node request records it, to the same word on the Workspace. */
const CAPACITY_REASONS: Readonly<Record<string, Reason>> = {
  [NodeRequestReasons.quotaExceeded]: Reason.QuotaExceeded,
  [NodeRequestReasons.insufficientCapacity]: Reason.InsufficientCapacity,
  [NodeRequestReasons.skuUnavailable]: Reason.SkuUnavailable,
};

/**
 * Kaito's readiness for running a workload: the request is Ready, and its Node is Ready, has
 * `nvidia.com/gpu` allocatable > 0 and the expected instance type.
 */
export function workloadReadiness(r: NodeRequest, node: Node | undefined, expectedInstanceType?: string): WorkloadReadiness {
  const name = r.metadata.name;
  const failure = launchFailure(r);
  if (failure !== undefined) {
    // A terminal refusal (e.g. ARM InvalidParameter) is not retried by the provisioner: the user must act, so it gets its own reason.
    const reason = failure.terminal ? Reason.NodeRequestInvalid : ((failure.capacity ? CAPACITY_REASONS[failure.reason] : undefined) ?? Reason.NodeNotLaunched);
    return { ready: false, reason, message: `${r.api} ${name}: ${failure.message || failure.reason}` };
  }
  if (!isLaunched(r)) return { ready: false, reason: Reason.NodeNotLaunched, message: `${r.api} ${name} is launching` };
  if (!isRegistered(r) || node === undefined) {
    return { ready: false, reason: Reason.NodeNotRegistered, message: `${r.api} ${name} is waiting for its node to register` };
  }
  if (!isInitialized(r) || !isReady(r) || !isNodeReady(node)) {
    return { ready: false, reason: Reason.NodeNotInitialized, message: `node ${node.metadata.name} of ${r.api} ${name} is not ready` };
  }
  const expected = expectedInstanceType ?? requestedInstanceType(r);
  const actual = node.metadata.labels?.[WellKnownLabels.instanceType];
  if (expected !== undefined && actual !== expected) {
    return {
      ready: false,
      reason: Reason.NodeNotInitialized,
      message: `node ${node.metadata.name} is instance type ${actual ?? '(none)'}, expected ${expected}`,
    };
  }
  if (gpuAllocatable(node) <= 0) {
    return { ready: false, reason: Reason.GpuNotReady, message: `node ${node.metadata.name} has no nvidia.com/gpu allocatable yet` };
  }
  return { ready: true, reason: Reason.NodesReady, message: '' };
}
