/** Questions asked of node requests and Nodes, the same way for Machine and NodeClaim. */
import type { Requirement, Taint } from './codecs/common.js';
import type { Node } from './codecs/node.js';
import { conditionStatus, findCondition } from './conditions.js';
import { CAPACITY_REASONS, ConditionTypes, ResourceNames, TERMINAL_REASONS, WellKnownLabels } from './constants.js';
import type { NodeRequest } from './node-request.js';
import { quantityOf } from '@kaito-ts/controller-runtime';

type WithConditions = Pick<NodeRequest, 'status'>;

export const isLaunched = (r: WithConditions): boolean => conditionStatus(r.status.conditions, ConditionTypes.launched) === 'True';
export const isRegistered = (r: WithConditions): boolean => conditionStatus(r.status.conditions, ConditionTypes.registered) === 'True';
export const isInitialized = (r: WithConditions): boolean => conditionStatus(r.status.conditions, ConditionTypes.initialized) === 'True';
export const isReady = (r: WithConditions): boolean => conditionStatus(r.status.conditions, ConditionTypes.ready) === 'True';

export const isDeleting = (r: { metadata: { deletionTimestamp?: string | undefined } }): boolean => r.metadata.deletionTimestamp !== undefined;

export interface LaunchFailure {
  readonly reason: string;
  readonly message: string;
  /** True for the cloud's "no": QuotaExceeded, InsufficientCapacity, SkuUnavailable. */
  readonly capacity: boolean;
  /** True when the request can never launch as written (InvalidRequest): it is not retried until it changes. */
  readonly terminal: boolean;
}

/**
 * Why launching failed, if it did: the Launched condition is False (a capacity reason), or
 * Unknown with a failure reason (LaunchFailed, a transient error being retried).
 */
export function launchFailure(r: WithConditions): LaunchFailure | undefined {
  const c = findCondition(r.status.conditions, ConditionTypes.launched);
  if (c === undefined || c.status === 'True') return undefined;
  const capacity = CAPACITY_REASONS.includes(c.reason);
  if (c.status === 'False' || capacity || c.reason === 'LaunchFailed' || c.reason === 'LaunchTimeout') {
    return { reason: c.reason, message: c.message, capacity, terminal: c.status === 'False' && TERMINAL_REASONS.includes(c.reason) };
  }
  return undefined;
}

/** Whether launch failed with exactly this reason (`failedWithReason(r, 'QuotaExceeded')`). */
export function failedWithReason(r: WithConditions, reason: string): boolean {
  return launchFailure(r)?.reason === reason;
}

/** Values of the request's `key In [...]` requirement (empty when absent). */
export function requirementValues(requirements: readonly Requirement[], key: string): readonly string[] {
  const req = requirements.find((x) => x.key === key && x.operator === 'In');
  return req?.values ?? [];
}

/**
 * The instance type a request asks for: the first value of its `node.kubernetes.io/instance-type`
 * In requirement, in the order written (deterministic, unlike gpu-provisioner's set).
 */
export function requestedInstanceType(r: Pick<NodeRequest, 'spec'>): string | undefined {
  return requirementValues(r.spec.requirements, WellKnownLabels.instanceType)[0];
}

/** Labels implied by single-value `In` requirements (Karpenter turns them into node labels). */
export function requirementLabels(requirements: readonly Requirement[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of requirements) {
    if (r.operator === 'In' && r.values?.length === 1 && r.values[0] !== undefined) out[r.key] = r.values[0];
  }
  return out;
}

// Nodes

export function nodeCondition(node: Node, type: string): 'True' | 'False' | 'Unknown' {
  return node.status?.conditions?.find((c) => c.type === type)?.status ?? 'Unknown';
}

export const isNodeReady = (node: Node): boolean => nodeCondition(node, 'Ready') === 'True';

export function sameTaint(a: Pick<Taint, 'key' | 'effect' | 'value'>, b: Pick<Taint, 'key' | 'effect' | 'value'>): boolean {
  return a.key === b.key && a.effect === b.effect && (a.value ?? '') === (b.value ?? '');
}

/** Taint identity for add/remove: key and effect (a changed value is still "the same taint"). */
export function sameTaintKey(a: Pick<Taint, 'key' | 'effect'>, b: Pick<Taint, 'key' | 'effect'>): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function hasTaint(node: Node, taint: Pick<Taint, 'key' | 'effect'>): boolean {
  return (node.spec?.taints ?? []).some((t) => sameTaintKey(t, taint));
}

/** Allocatable GPUs on the Node (0 when none or unparsable). */
export function gpuAllocatable(node: Node): number {
  return quantityOf(node.status?.allocatable, ResourceNames.gpu) ?? 0;
}
