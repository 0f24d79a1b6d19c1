/**
 * Launch, as pure decisions. The crash-safety protocol:
 *
 * 1. The finalizer is persisted first (reconciler).
 * 2. Before the first `create`, the intent is written: `Launched=Unknown, reason Launching`
 *    (guarded by resourceVersion, so it is only written from the latest state).
 * 3. `create` runs. Its result is kept in memory per request UID until the status write lands.
 * 4. `providerID`, capacity, allocatable and `Launched=True` are written.
 *
 * A restart between 3 and 4 finds the intent (a Launched condition that is not True) and so lists
 * the provider's instances before creating: an instance already launched for this request UID is
 * adopted, never created twice. An instance still `Creating` is not adopted: `create` is called
 * again, which the contract requires to return that same instance for the same request UID (so a
 * provider must be idempotent per UID; the list-first step spares it the call once it runs).
 */
import type { NodeRequestCondition } from '../conditions.js';
import { findCondition, setLifecycleCondition } from '../conditions.js';
import { CAPACITY_REASONS, ConditionTypes, KarpenterAnnotations, Reasons } from '../constants.js';
import type { Instance } from '../cloudprovider/types.js';
import { classifyLaunchError, describeCause } from '../cloudprovider/errors.js';
import type { NodeRequest, NodeRequestStatus } from '../node-request.js';
import { requirementLabels } from '../predicates.js';

export type LaunchStep =
  /** Launched already; nothing to do. */
  | { readonly kind: 'launched' }
  /** An instance is known (from this process's memory, or the `linked` annotation's get): write it. */
  | { readonly kind: 'adopt'; readonly instance: Instance }
  /** v1alpha5 `karpenter.sh/linked`: get this providerID and adopt it. */
  | { readonly kind: 'link'; readonly providerID: string }
  /** A capacity failure is backing off; try again after this long. */
  | { readonly kind: 'wait'; readonly retryAfterMs: number }
  /** Nothing was attempted yet: persist the intent, then create. */
  | { readonly kind: 'recordIntent' }
  /** The intent is on record (a create may have happened): list first, then create if nothing is found. */
  | { readonly kind: 'create'; readonly recover: boolean };

export interface LaunchContext {
  readonly now: Date;
  /** The instance `create` returned in this process, if its status write has not landed yet. */
  readonly remembered?: Instance;
  /** When the next attempt after a capacity failure is allowed (ms since epoch). */
  readonly nextAttemptAt?: number;
}

/** Whether the request carries a record of a launch attempt (so a create may have happened). */
export function launchIntentRecorded(r: NodeRequest): boolean {
  const c = findCondition(r.status.conditions, ConditionTypes.launched);
  return c !== undefined && c.status !== 'True' && c.reason !== '' && c.reason !== 'AwaitingReconciliation';
}

export function planLaunch(r: NodeRequest, ctx: LaunchContext): LaunchStep {
  const launched = findCondition(r.status.conditions, ConditionTypes.launched);
  if (launched?.status === 'True' && r.status.providerID !== undefined) return { kind: 'launched' };
  if (ctx.remembered !== undefined) return { kind: 'adopt', instance: ctx.remembered };
  const linked = r.metadata.annotations?.[KarpenterAnnotations.linked];
  if (linked !== undefined && linked !== '') return { kind: 'link', providerID: linked };
  if (ctx.nextAttemptAt !== undefined && ctx.nextAttemptAt > ctx.now.getTime()) {
    return { kind: 'wait', retryAfterMs: ctx.nextAttemptAt - ctx.now.getTime() };
  }
  if (!launchIntentRecorded(r)) return { kind: 'recordIntent' };
  return { kind: 'create', recover: true };
}

/** Registered and Initialized start as Unknown, so `kubectl get` shows where a request is from the start. */
function withPendingDependents(conditions: readonly NodeRequestCondition[], now: Date, generation?: number): readonly NodeRequestCondition[] {
  let out = conditions;
  if (findCondition(out, ConditionTypes.registered) === undefined) {
    out = setLifecycleCondition(out, { type: ConditionTypes.registered, status: 'Unknown', reason: Reasons.awaitingLaunch, message: 'waiting for the instance to launch' }, now, generation);
  }
  if (findCondition(out, ConditionTypes.initialized) === undefined) {
    out = setLifecycleCondition(out, { type: ConditionTypes.initialized, status: 'Unknown', reason: Reasons.awaitingLaunch, message: 'waiting for the instance to launch' }, now, generation);
  }
  return out;
}

/** Status recording the intent to launch (written before `create`). */
export function launchingStatus(r: NodeRequest, provider: string, now: Date): NodeRequestStatus {
  const g = r.metadata.generation;
  const conditions = setLifecycleCondition(
    withPendingDependents(r.status.conditions, now, g),
    { type: ConditionTypes.launched, status: 'Unknown', reason: Reasons.launching, message: `launching an instance with provider ${provider}` },
    now,
    g,
  );
  return { ...r.status, conditions };
}

/** Status once the instance exists: providerID, capacity, allocatable, imageID, Launched=True. */
export function launchedStatus(r: NodeRequest, instance: Instance, now: Date): NodeRequestStatus {
  const g = r.metadata.generation;
  const conditions = setLifecycleCondition(
    withPendingDependents(r.status.conditions, now, g),
    { type: ConditionTypes.launched, status: 'True', reason: Reasons.launched, message: '' },
    now,
    g,
  );
  const registered = findCondition(conditions, ConditionTypes.registered);
  const next =
    registered?.status === 'Unknown' && registered.reason === Reasons.awaitingLaunch
      ? setLifecycleCondition(
          conditions,
          { type: ConditionTypes.registered, status: 'Unknown', reason: Reasons.awaitingNode, message: `waiting for a node with providerID ${instance.providerID ?? '(pending)'}` },
          now,
          g,
        )
      : conditions;
  return {
    ...r.status,
    ...(instance.providerID !== undefined ? { providerID: instance.providerID } : {}),
    ...(instance.imageID !== undefined && r.api === 'nodeclaim' ? { imageID: instance.imageID } : {}),
    capacity: { ...instance.capacity },
    allocatable: { ...instance.allocatable },
    conditions: next,
  };
}

export interface LaunchFailureOutcome {
  readonly status: NodeRequestStatus;
  readonly reason: string;
  readonly message: string;
  /** Capacity failures are kept on the request and retried slowly; transient ones go back to the work queue's backoff. */
  readonly kind: 'capacity' | 'transient';
}

/**
 * Status after `create` failed. Capacity failures → `Launched=False` with the provider's reason
 * (QuotaExceeded, InsufficientCapacity, SkuUnavailable); anything else → `Launched=Unknown,
 * LaunchFailed` (Karpenter v1), still launching.
 */
export function launchFailedStatus(r: NodeRequest, err: unknown, now: Date): LaunchFailureOutcome {
  const { reason, kind } = classifyLaunchError(err);
  const message = describeCause(err);
  const conditions = setLifecycleCondition(
    withPendingDependents(r.status.conditions, now, r.metadata.generation),
    { type: ConditionTypes.launched, status: kind === 'capacity' ? 'False' : 'Unknown', reason, message },
    now,
    r.metadata.generation,
  );
  return { status: { ...r.status, conditions }, reason, message, kind };
}

/** Whether the request's launch currently stands failed for a capacity reason. */
export function hasCapacityFailure(r: NodeRequest): boolean {
  const c = findCondition(r.status.conditions, ConditionTypes.launched);
  return c !== undefined && c.status === 'False' && CAPACITY_REASONS.includes(c.reason);
}

/**
 * Labels the request gets once launched (Karpenter's merge): the instance's resolved labels, under
 * the single-value requirement labels, under the request's own labels. Only missing keys are
 * returned: a user's label is never overwritten.
 */
export function launchLabels(r: NodeRequest, instance: Pick<Instance, 'labels'>): Record<string, string> {
  const merged = { ...instance.labels, ...requirementLabels(r.spec.requirements) };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) if (r.metadata.labels?.[k] === undefined) out[k] = v;
  return out;
}
