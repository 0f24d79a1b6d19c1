/**
 * Launch: get an instance for the request and record it (Karpenter's `lifecycle/launch.go`). The
 * decisions are pure (`planLaunch` and the status builders); `Launch` does the calls. The
 * crash-safety protocol:
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
 *
 * A failed `create` is recorded, not thrown: its reason on the Launched condition, its retry time
 * in the request's retry record (retry.ts), and the wait returned to the work queue. A terminal
 * failure (InvalidRequestError) records no wait: the request stays `Launched=False,
 * InvalidRequest` and `create` is not called again until its spec changes or the record is removed.
 */
import { belongsTo, type Instance } from '../cloudprovider/types.js';
import { classifyLaunchError, describeCause, isNotFoundError, type LaunchFailureKind, TransientError } from '../cloudprovider/errors.js';
import type { NodeRequestCondition } from '../conditions.js';
import { findCondition, setLifecycleCondition } from '../conditions.js';
import { CAPACITY_REASONS, ConditionTypes, KarpenterAnnotations, Reasons, TERMINAL_REASONS } from '../constants.js';
import type { NodeRequest, NodeRequestStatus } from '../node-request.js';
import { isLaunched, requirementLabels } from '../predicates.js';
import { type AspectDeps, type AspectResult, deleteRequest, type LifecycleAspect, type Observed, type ReconcileScope } from './context.js';
import { LifecycleEvents } from './events.js';
import { formatLaunchRetry, isStandingTerminal, LAUNCH_RETRY_ANNOTATION, type LaunchRetry, launchRetryOf, nextLaunchRetry, terminalLaunchRetry } from './retry.js';

export type LaunchStep =
  /** Launched already; nothing to do. */
  | { readonly kind: 'launched' }
  /** An instance is known (from this process's memory, or the `linked` annotation's get): write it. */
  | { readonly kind: 'adopt'; readonly instance: Instance }
  /** v1alpha5 `karpenter.sh/linked`: get this providerID and adopt it. */
  | { readonly kind: 'link'; readonly providerID: string }
  /** A failed launch is backing off (its retry record says so); try again after this long. */
  | { readonly kind: 'wait'; readonly retryAfterMs: number }
  /** The last launch failed terminally and the request has not changed since: nothing to do, no requeue. */
  | { readonly kind: 'rejected' }
  /** Nothing was attempted yet: persist the intent, then create. */
  | { readonly kind: 'recordIntent' }
  /** The intent is on record (a create may have happened): list first, then create if nothing is found. */
  | { readonly kind: 'create'; readonly recover: boolean };

export interface LaunchContext {
  readonly now: Date;
  /** The instance `create` returned in this process, if its status write has not landed yet. */
  readonly remembered?: Instance;
  /** The retry record this process last wrote, in case the request was read from a cache that has not seen it yet. */
  readonly written?: LaunchRetry;
  /**
   * The longest delay a retry record can set (the larger schedule cap). A record further ahead was
   * not written on this clock (a hand edit, a replica whose clock ran ahead) and is ignored like a
   * malformed one; waiting it out could hold the launch off for good.
   */
  readonly maxWaitMs?: number;
  /** When the newest Node the provider ties to the request was created (ms since epoch), if any has joined. */
  readonly nodeJoinedAt?: number;
}

/**
 * Whether a Node of the request's joined since the last failed attempt, so waiting out the rest of
 * the backoff would only delay the `create` that now succeeds. Node timestamps have whole seconds:
 * one created in the same second as the attempt counts as newer (at most one extra attempt).
 */
export function nodeJoinedSince(retry: LaunchRetry, nodeJoinedAt: number | undefined): boolean {
  if (nodeJoinedAt === undefined || retry.at === undefined) return false;
  return nodeJoinedAt >= Math.floor(retry.at / 1000) * 1000;
}

/** The later of the request's retry record and the one this process last wrote for it. */
export function latestRetry(read: LaunchRetry | undefined, written: LaunchRetry | undefined): LaunchRetry | undefined {
  if (read === undefined) return written;
  if (written === undefined) return read;
  return written.attempt > read.attempt ? written : read;
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
  if (standsRejected(r, ctx.written)) return { kind: 'rejected' };
  const retry = latestRetry(launchRetryOf(r), ctx.written);
  const waitMs = retry === undefined ? 0 : retry.notBefore - ctx.now.getTime();
  if (retry !== undefined && waitMs > 0 && waitMs <= (ctx.maxWaitMs ?? Number.POSITIVE_INFINITY) && !nodeJoinedSince(retry, ctx.nodeJoinedAt)) {
    return { kind: 'wait', retryAfterMs: waitMs };
  }
  if (!launchIntentRecorded(r)) return { kind: 'recordIntent' };
  return { kind: 'create', recover: true };
}

/**
 * Whether a terminal failure still holds: the request's own record says so for its current
 * generation; or this process just wrote one that the (cached) read has not caught up with yet —
 * the read still shows the launch in progress. A read that shows the terminal condition without
 * the record means someone removed the record: launch again.
 */
function standsRejected(r: NodeRequest, written: LaunchRetry | undefined): boolean {
  const read = launchRetryOf(r);
  const lagging = written !== undefined && (read === undefined || written.attempt > read.attempt) && !hasTerminalFailure(r);
  return isStandingTerminal(lagging ? written : read, r.metadata.generation);
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
  /** Capacity failures are retried slowly (`capacityRetry`), terminal ones not at all, anything else fast (`transientRetry`). */
  readonly kind: LaunchFailureKind;
}

/**
 * Status after `create` failed. Capacity failures → `Launched=False` with the provider's reason
 * (QuotaExceeded, InsufficientCapacity, SkuUnavailable); terminal ones → `Launched=False,
 * InvalidRequest`; anything else → `Launched=Unknown, LaunchFailed` (Karpenter v1), still launching.
 */
export function launchFailedStatus(r: NodeRequest, err: unknown, now: Date): LaunchFailureOutcome {
  const { reason, kind } = classifyLaunchError(err);
  const message = describeCause(err);
  const conditions = setLifecycleCondition(
    withPendingDependents(r.status.conditions, now, r.metadata.generation),
    { type: ConditionTypes.launched, status: kind === 'transient' ? 'Unknown' : 'False', reason, message },
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

/** Whether the request's launch currently stands failed terminally (InvalidRequest). */
export function hasTerminalFailure(r: NodeRequest): boolean {
  const c = findCondition(r.status.conditions, ConditionTypes.launched);
  return c !== undefined && c.status === 'False' && TERMINAL_REASONS.includes(c.reason);
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

/** Metadata once launched: `launchLabels`, and the retry record gone. */
export function launchedMetadata(r: NodeRequest, instance: Pick<Instance, 'labels'>): { labels: Record<string, string>; annotations?: Record<string, null> } {
  const retrying = r.metadata.annotations?.[LAUNCH_RETRY_ANNOTATION] !== undefined;
  return { labels: launchLabels(r, instance), ...(retrying ? { annotations: { [LAUNCH_RETRY_ANNOTATION]: null } } : {}) };
}

/** The launch aspect: carries out `planLaunch`. */
export class Launch implements LifecycleAspect {
  readonly name = 'launch';
  readonly #d: AspectDeps;
  /**
   * Instances `create` returned whose status write has not landed yet, by request UID (Karpenter's
   * launch cache): a 409 on that write must not launch a second instance. Not a retry clock: an
   * entry lives from `create` to the write that records it.
   */
  readonly #launched = new Map<string, Instance>();
  /**
   * The retry record last written, by request UID. The annotation is the record and the queue the
   * clock; this only covers the cache's lag: a reconcile queued while `create` ran (the event of
   * the intent write) reads the request as it was before the failure was written, and without this
   * would call `create` again at once and count the attempts from 1. An entry lives until launched.
   */
  readonly #written = new Map<string, { readonly name: string; readonly retry: LaunchRetry }>();

  constructor(deps: AspectDeps) {
    this.#d = deps;
  }

  async reconcile(o: Observed, scope: ReconcileScope): Promise<AspectResult> {
    const { provider, requests, clock } = this.#d;
    let r = o.request;
    const now = new Date(clock.now());
    const remembered = this.#launched.get(uidOf(r));
    const written = this.#written.get(uidOf(r))?.retry;
    const maxWaitMs = Math.max(this.#d.options.capacityRetry.maxMs, this.#d.options.transientRetry.maxMs);
    const nodeJoinedAt = isLaunched(r) ? undefined : await this.#nodeJoinedAt(r);
    const step = planLaunch(r, {
      now,
      maxWaitMs,
      ...(remembered !== undefined ? { remembered } : {}),
      ...(written !== undefined ? { written } : {}),
      ...(nodeJoinedAt !== undefined ? { nodeJoinedAt } : {}),
    });
    switch (step.kind) {
      case 'launched':
        this.#written.delete(uidOf(r));
        // A crash between the status write and the metadata write left labels out: the requirement ones can still be added.
        return { ...o, request: await requests.patchMetadata(r, launchedMetadata(r, { labels: {} })) };
      case 'wait':
        return { ...o, requeueAfterMs: step.retryAfterMs };
      case 'rejected':
        return o;
      case 'adopt':
        return this.#record(o, step.instance, scope);
      case 'link': {
        let instance: Instance;
        try {
          instance = await provider.get(step.providerID, scope.signal);
        } catch (err) {
          if (!isNotFoundError(err)) throw err;
          // Karpenter v1alpha5 deletes a Machine linked to no instance; retrying would leave it stuck with an empty status.
          this.#d.events.publish(LifecycleEvents.linkedInstanceGone(r, step.providerID));
          scope.log.warn('linked instance not found, deleting request', { linked: step.providerID });
          await deleteRequest(requests, r);
          return { ...o, deleted: true };
        }
        return this.#record(o, instance, scope);
      }
      case 'recordIntent':
        r = await requests.patchStatus(r, launchingStatus(r, provider.name, now));
        return this.#create({ ...o, request: r }, false, scope);
      case 'create':
        return this.#create(o, step.recover, scope);
    }
  }

  /** When the newest Node the provider ties to `r` was created, if the provider and the reader can tell. */
  async #nodeJoinedAt(r: NodeRequest): Promise<number | undefined> {
    const key = this.#d.provider.nodeClaimKey?.ofRequest(r);
    if (key === undefined || this.#d.reader.nodesByClaimKey === undefined) return undefined;
    const created = (await this.#d.reader.nodesByClaimKey(key)).map((n) => Date.parse(n.metadata.creationTimestamp ?? '')).filter((ms) => !Number.isNaN(ms));
    return created.length > 0 ? Math.max(...created) : undefined;
  }

  /** Drops what this process remembers of a request that is gone. */
  forget(name: string, uid?: string): void {
    for (const [key, instance] of this.#launched) if (key === uid || instance.requestName === name) this.#launched.delete(key);
    for (const [key, w] of this.#written) if (key === uid || w.name === name) this.#written.delete(key);
  }

  /** Instances launched but not yet recorded in status (for tests and metrics). */
  get pending(): number {
    return this.#launched.size;
  }

  async #create(o: Observed, recover: boolean, scope: ReconcileScope): Promise<AspectResult> {
    const { provider, requests, clock, events, options } = this.#d;
    const r = o.request;
    if (recover) {
      // A create may have happened before a crash: adopt what the provider launched for this UID.
      const existing = (await provider.list(scope.signal)).find((i) => belongsTo(i, r) && i.state === 'Running' && i.providerID !== undefined);
      if (existing !== undefined) {
        scope.log.info('found an instance launched before a restart, adopting it', { instance: existing.name, providerID: existing.providerID });
        return this.#record(o, existing, scope);
      }
    }
    let instance: Instance;
    try {
      instance = await provider.create(r, scope.signal);
      if (instance.providerID === undefined || instance.providerID === '') {
        throw new TransientError(`instance ${instance.name} has no providerID yet`);
      }
    } catch (err) {
      // The process is stopping: nothing is recorded; whoever runs next lists and adopts.
      if (scope.signal?.aborted) throw err;
      const now = new Date(clock.now());
      const outcome = launchFailedStatus(r, err, now);
      const previous = latestRetry(launchRetryOf(r), this.#written.get(uidOf(r))?.retry);
      const { retry, delayMs } =
        outcome.kind === 'terminal' ? { retry: terminalLaunchRetry(previous, now, r.metadata.generation), delayMs: undefined } : nextLaunchRetry(previous, outcome.kind, now, options);
      events.publish(LifecycleEvents.launchFailed(r, outcome.reason, outcome.message));
      scope.log.warn('launch failed', { reason: outcome.reason, error: outcome.message, attempt: retry.attempt, ...(delayMs !== undefined ? { retryInMs: delayMs } : { terminal: true }) });
      // The retry record first: the status write's own event must find it and wait.
      const recorded = await requests.patchMetadata(r, { annotations: { [LAUNCH_RETRY_ANNOTATION]: formatLaunchRetry(retry) } });
      this.#written.set(uidOf(r), { name: r.metadata.name, retry });
      const request = await requests.patchStatus(recorded, outcome.status);
      return delayMs !== undefined ? { ...o, request, requeueAfterMs: delayMs } : { ...o, request };
    }
    this.#launched.set(uidOf(r), instance);
    return this.#record(o, instance, scope);
  }

  async #record(o: Observed, instance: Instance, scope: ReconcileScope): Promise<AspectResult> {
    const { requests, clock, events } = this.#d;
    let r = await requests.patchStatus(o.request, launchedStatus(o.request, instance, new Date(clock.now())));
    this.#launched.delete(uidOf(r));
    this.#written.delete(uidOf(r));
    r = await requests.patchMetadata(r, launchedMetadata(r, instance));
    events.publish(LifecycleEvents.launched(r, instance));
    scope.log.info('launched instance', { instance: instance.name, providerID: instance.providerID, instanceType: instance.instanceType });
    return { ...o, request: r };
  }
}

const uidOf = (r: NodeRequest): string => r.metadata.uid ?? r.metadata.name;
