/**
 * Normalised conditions of a node request, whichever API it came from, and the pure helpers that
 * set them. `setCondition` keeps `lastTransitionTime` unless the status flips and stamps
 * `observedGeneration`; `Ready` is derived from Launched, Registered and Initialized (operatorpkg's
 * condition set).
 */
import type { ConditionStatus } from './codecs/common.js';
import { ConditionTypes, type LifecycleConditionType, Reasons } from './constants.js';

export interface NodeRequestCondition {
  /** Version-neutral type: `Launched`, `Registered`, `Initialized`, `Ready`, or any other type as read. */
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  /** RFC 3339; empty when the source (a knative condition) had none. */
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
  /** Machine (knative) only: `Error`, `Warning`, `Info` or empty. */
  readonly severity?: string;
}

export interface ConditionInput {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

/** The lifecycle conditions `Ready` depends on, in order. */
export const READY_DEPENDENTS: readonly LifecycleConditionType[] = [
  ConditionTypes.launched,
  ConditionTypes.registered,
  ConditionTypes.initialized,
];

/** Messages are cut to this many characters (Karpenter cuts at 300, gpu-provisioner at 800). */
export const MAX_MESSAGE_LENGTH = 800;

export function truncateMessage(message: string, max = MAX_MESSAGE_LENGTH): string {
  return message.length <= max ? message : `${message.slice(0, max - 1)}…`;
}

export function findCondition(conditions: readonly NodeRequestCondition[], type: string): NodeRequestCondition | undefined {
  return conditions.find((c) => c.type === type);
}

export function conditionStatus(conditions: readonly NodeRequestCondition[], type: string): ConditionStatus {
  return findCondition(conditions, type)?.status ?? 'Unknown';
}

/**
 * `conditions` with `next` set: a new entry, or the existing one updated. `lastTransitionTime`
 * changes only when the status flips; nothing changes (same array returned) when status, reason,
 * message and observedGeneration are already as asked.
 */
export function setCondition(
  conditions: readonly NodeRequestCondition[],
  next: ConditionInput,
  now: Date,
  observedGeneration?: number,
): readonly NodeRequestCondition[] {
  const message = truncateMessage(next.message);
  const current = findCondition(conditions, next.type);
  if (
    current !== undefined &&
    current.status === next.status &&
    current.reason === next.reason &&
    current.message === message &&
    current.observedGeneration === observedGeneration
  ) {
    return conditions;
  }
  const flipped = current === undefined || current.status !== next.status || current.lastTransitionTime === '';
  const updated: NodeRequestCondition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message,
    lastTransitionTime: flipped ? now.toISOString() : (current?.lastTransitionTime ?? now.toISOString()),
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    ...(current?.severity !== undefined ? { severity: current.severity } : {}),
  };
  return current === undefined ? [...conditions, updated] : conditions.map((c) => (c.type === next.type ? updated : c));
}

/**
 * `Ready` from its dependents: True when all three are True; False (with the first False
 * dependent's reason and message) when any is False; otherwise Unknown with the first
 * not-yet-True dependent's reason.
 */
export function deriveReady(conditions: readonly NodeRequestCondition[]): ConditionInput {
  const deps = READY_DEPENDENTS.map(
    (type) => findCondition(conditions, type) ?? { type, status: 'Unknown' as const, reason: Reasons.notReady, message: `${type} is not yet known` },
  );
  const failed = deps.find((c) => c.status === 'False');
  if (failed !== undefined) {
    return { type: ConditionTypes.ready, status: 'False', reason: failed.reason, message: failed.message };
  }
  const pending = deps.find((c) => c.status !== 'True');
  if (pending !== undefined) {
    return { type: ConditionTypes.ready, status: 'Unknown', reason: pending.reason || Reasons.notReady, message: pending.message };
  }
  return { type: ConditionTypes.ready, status: 'True', reason: Reasons.ready, message: '' };
}

const LIFECYCLE_ORDER: readonly string[] = [...READY_DEPENDENTS, ConditionTypes.ready];

/** Launched, Registered, Initialized, Ready first (the order `kubectl describe` reads best), then the rest as they were. */
export function sortConditions(conditions: readonly NodeRequestCondition[]): readonly NodeRequestCondition[] {
  const rank = (c: NodeRequestCondition): number => {
    const i = LIFECYCLE_ORDER.indexOf(c.type);
    return i < 0 ? LIFECYCLE_ORDER.length : i;
  };
  const sorted = conditions.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i);
  return sorted.every((x, i) => x.i === i) ? conditions : sorted.map((x) => x.c);
}

/** `setCondition` for one lifecycle condition, then Ready re-derived, in lifecycle order. */
export function setLifecycleCondition(
  conditions: readonly NodeRequestCondition[],
  next: ConditionInput,
  now: Date,
  observedGeneration?: number,
): readonly NodeRequestCondition[] {
  const withNext = setCondition(conditions, next, now, observedGeneration);
  return sortConditions(setCondition(withNext, deriveReady(withNext), now, observedGeneration));
}
