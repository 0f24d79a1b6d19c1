import type { Condition, ConditionStatus } from '../codecs/meta.js';

/** Condition types a Workspace reports. See docs/troubleshooting.md for each reason. */
export const ConditionType = {
  /** Nodes requested, launched, registered and GPU-ready. */
  ResourceReady: 'ResourceReady',
  /** Every inference pod is Ready (never True while one crash-loops, is OOMKilled, cannot pull or schedule). */
  InferenceReady: 'InferenceReady',
  /** The tuning Job exists and its pod started. */
  JobStarted: 'JobStarted',
  /** The tuning Job finished and the adapter was delivered. */
  WorkspaceSucceeded: 'WorkspaceSucceeded',
  /** Summary: inference ready, or tuning succeeded (the seed's WORKSPACEREADY column). Our addition. */
  WorkspaceReady: 'WorkspaceReady',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** CamelCase reasons. Each one is documented in docs/troubleshooting.md with what to do. */
export const Reason = {
  // spec
  InvalidSpec: 'InvalidSpec',
  PresetNotFound: 'PresetNotFound',
  InstanceTypeNotFound: 'InstanceTypeNotFound',
  ModelDoesNotFit: 'ModelDoesNotFit',
  TuningNotSupported: 'TuningNotSupported',
  // nodes
  NodesPending: 'NodesPending',
  NodeClaimCreated: 'NodeClaimCreated',
  NodeNotLaunched: 'NodeNotLaunched',
  NodeNotRegistered: 'NodeNotRegistered',
  NodeNotInitialized: 'NodeNotInitialized',
  GpuNotReady: 'GpuNotReady',
  QuotaExceeded: 'QuotaExceeded',
  InsufficientCapacity: 'InsufficientCapacity',
  SkuUnavailable: 'SkuUnavailable',
  NodesReady: 'NodesReady',
  /** Bring-your-own nodes: fewer matching, ready GPU nodes than the plan needs. */
  NodesNotFound: 'NodesNotFound',
  // inference
  InferencePending: 'InferencePending',
  InferenceReady: 'InferenceReady',
  /** A changed inference spec is rolling out: the pods are being replaced by the new revision. */
  InferenceUpdating: 'InferenceUpdating',
  ContainerCrashLoopBackOff: 'ContainerCrashLoopBackOff',
  ContainerOOMKilled: 'ContainerOOMKilled',
  ImagePullBackOff: 'ImagePullBackOff',
  Unschedulable: 'Unschedulable',
  // tuning
  JobPending: 'JobPending',
  JobStarted: 'JobStarted',
  JobFailed: 'JobFailed',
  InvalidDataset: 'InvalidDataset',
  DownloadFailed: 'DownloadFailed',
  TrainerFailed: 'TrainerFailed',
  PushFailed: 'PushFailed',
  PushUnauthorized: 'PushUnauthorized',
  InvalidSettings: 'InvalidSettings',
  InvalidConfig: 'InvalidConfig',
  OOMKilled: 'OOMKilled',
  Terminated: 'Terminated',
  InvalidAdapter: 'InvalidAdapter',
  OutputFailed: 'OutputFailed',
  InternalError: 'InternalError',
  TuningSucceeded: 'TuningSucceeded',
  // summary
  WorkspaceReady: 'WorkspaceReady',
  WorkspaceNotReady: 'WorkspaceNotReady',
  Deleting: 'Deleting',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** `status.state` values (Kaito's). */
export const WorkspaceState = {
  Pending: 'Pending',
  Ready: 'Ready',
  NotReady: 'NotReady',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
} as const;
export type WorkspaceState = (typeof WorkspaceState)[keyof typeof WorkspaceState];

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * Returns `conditions` with `next` set. Keeps `lastTransitionTime` unless the status flips,
 * stamps `observedGeneration`, and returns the same array when nothing changed (so callers can
 * skip the write by identity).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  opts: { observedGeneration?: number | undefined; now: Date },
): Condition[] {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const condition: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : opts.now.toISOString(),
    ...(opts.observedGeneration !== undefined ? { observedGeneration: opts.observedGeneration } : {}),
  };
  if (
    previous &&
    previous.status === condition.status &&
    previous.reason === condition.reason &&
    previous.message === condition.message &&
    previous.observedGeneration === condition.observedGeneration
  ) {
    return list as Condition[];
  }
  const out = [...list];
  if (index >= 0) out[index] = condition;
  else out.push(condition);
  return out;
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/** True when the condition was computed for the object's current generation. */
export function isCurrent(condition: Condition | undefined, generation: number | undefined): boolean {
  return condition !== undefined && (generation === undefined || condition.observedGeneration === generation);
}
