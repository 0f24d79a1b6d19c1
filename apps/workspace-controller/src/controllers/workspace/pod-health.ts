/**
 * What one inference pod says about the Workspace, in the Workspace's words (`InferenceReady`
 * reasons from `@kaito-ts/api`'s `Reason`). A pod is only `ready` when its Ready condition is True
 * and no container is crash-looping: a pod between restarts can be briefly Ready, and the
 * Workspace must not claim to serve while it is.
 */
import { Reason } from '@kaito-ts/api';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export interface PodHealth {
  readonly pod: string;
  readonly ready: boolean;
  /** `InferenceReady` when ready; otherwise why not, the most specific first. */
  readonly reason: Reason;
  readonly message: string;
}

/** Waiting reasons of the kubelet for an image it cannot get. */
const IMAGE_PULL_REASONS: ReadonlySet<string> = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']);

/** Failing reasons, most specific first: the one a user can act on wins when a pod shows several. */
export const FAILURE_ORDER: readonly Reason[] = [
  Reason.ContainerOOMKilled,
  Reason.ImagePullBackOff,
  Reason.ContainerCrashLoopBackOff,
  Reason.Unschedulable,
];

function containerFailure(pod: string, cs: V1ContainerStatus): Omit<PodHealth, 'ready'> | undefined {
  const waiting = cs.state?.waiting;
  // The last termination only counts while the container is down: one that was OOMKilled once
  // and came back Ready is healthy now.
  const terminated = cs.state?.terminated ?? (cs.ready ? undefined : cs.lastState?.terminated);
  // OOM first: a container killed for memory then crash-loops, and the loop is only the symptom.
  if (terminated?.reason === 'OOMKilled') {
    return { pod, reason: Reason.ContainerOOMKilled, message: `pod ${pod}: container ${cs.name} was OOMKilled (exit ${terminated.exitCode}); the model needs more memory than the node gives it` };
  }
  if (waiting?.reason !== undefined && IMAGE_PULL_REASONS.has(waiting.reason)) {
    return { pod, reason: Reason.ImagePullBackOff, message: `pod ${pod}: container ${cs.name} cannot pull its image: ${waiting.message ?? waiting.reason}` };
  }
  if (waiting?.reason === 'CrashLoopBackOff') {
    return { pod, reason: Reason.ContainerCrashLoopBackOff, message: `pod ${pod}: container ${cs.name} is crash-looping (${cs.restartCount} restarts); see its logs with kubectl logs ${pod} --previous` };
  }
  return undefined;
}

/** The health of one inference pod. */
export function podHealth(pod: V1Pod): PodHealth {
  const name = pod.metadata?.name ?? '(unnamed)';
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const failures = statuses.map((cs) => containerFailure(name, cs)).filter((f) => f !== undefined);
  failures.sort((a, b) => FAILURE_ORDER.indexOf(a.reason) - FAILURE_ORDER.indexOf(b.reason));
  const first = failures[0];
  if (first !== undefined) return { ...first, ready: false };
  const conditions = pod.status?.conditions ?? [];
  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { pod: name, ready: false, reason: Reason.Unschedulable, message: `pod ${name} cannot be scheduled: ${scheduled.message ?? 'no node fits'}` };
  }
  if (pod.metadata?.deletionTimestamp !== undefined) {
    return { pod: name, ready: false, reason: Reason.InferencePending, message: `pod ${name} is terminating` };
  }
  if (conditions.find((c) => c.type === 'Ready')?.status === 'True') return { pod: name, ready: true, reason: Reason.InferenceReady, message: '' };
  return { pod: name, ready: false, reason: Reason.InferencePending, message: `pod ${name} is ${pod.status?.phase ?? 'Pending'} and not ready yet (the model may still be loading)` };
}
