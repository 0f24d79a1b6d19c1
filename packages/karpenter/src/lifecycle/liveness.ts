/**
 * Liveness (Karpenter v1 `liveness.go`, with GPU-sized, configurable timeouts): a request that
 * does not launch, or does not register after launching, in time is deleted, so the instance is
 * released and whoever wants a node can ask again. Capacity failures are exempt from the launch
 * timeout, and so are terminal ones (InvalidRequest): the request stays with the reason (see
 * docs/provisioners.md); deleting it would only have Kaito recreate the same request. Runs last, on
 * what the aspects before it left; `planLiveness` decides, `Liveness` deletes or says when to
 * look again.
 */
import { findCondition } from '../conditions.js';
import { ConditionTypes, Reasons } from '../constants.js';
import type { NodeRequest } from '../node-request.js';
import { type AspectDeps, type AspectResult, deleteRequest, type LifecycleAspect, type Observed, type ReconcileScope } from './context.js';
import { LifecycleEvents } from './events.js';
import { hasCapacityFailure, hasTerminalFailure } from './launch.js';
import type { LifecycleOptions } from './options.js';

export type LivenessVerdict =
  | { readonly kind: 'alive'; readonly checkAgainInMs?: number }
  | { readonly kind: 'expired'; readonly reason: string; readonly message: string };

const since = (iso: string | undefined, now: Date): number | undefined => {
  if (iso === undefined || iso === '') return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : now.getTime() - t;
};

export function planLiveness(r: NodeRequest, now: Date, options: Pick<LifecycleOptions, 'launchTimeoutMs' | 'registrationTimeoutMs'>): LivenessVerdict {
  const launched = findCondition(r.status.conditions, ConditionTypes.launched);
  if (launched?.status !== 'True') {
    if (options.launchTimeoutMs <= 0 || hasCapacityFailure(r) || hasTerminalFailure(r)) return { kind: 'alive' };
    // From creation, or from when launching resumed after a capacity failure (Launched flipped to Unknown).
    const created = since(r.metadata.creationTimestamp, now);
    const resumed = launched?.status === 'Unknown' ? since(launched.lastTransitionTime, now) : undefined;
    const age = created === undefined ? resumed : resumed === undefined ? created : Math.min(created, resumed);
    if (age === undefined) return { kind: 'alive' };
    if (age >= options.launchTimeoutMs) {
      return { kind: 'expired', reason: Reasons.launchTimeout, message: `not launched within ${Math.round(options.launchTimeoutMs / 1000)}s; deleting it` };
    }
    return { kind: 'alive', checkAgainInMs: options.launchTimeoutMs - age };
  }
  const registered = findCondition(r.status.conditions, ConditionTypes.registered);
  if (registered?.status === 'True' || options.registrationTimeoutMs <= 0) return { kind: 'alive' };
  const sinceLaunch = since(launched.lastTransitionTime, now);
  if (sinceLaunch === undefined) return { kind: 'alive' };
  if (sinceLaunch >= options.registrationTimeoutMs) {
    return {
      kind: 'expired',
      reason: Reasons.registrationTimeout,
      message: `no node registered within ${Math.round(options.registrationTimeoutMs / 1000)}s of launch; deleting it`,
    };
  }
  return { kind: 'alive', checkAgainInMs: options.registrationTimeoutMs - sinceLaunch };
}

/** The liveness aspect: deletes a request that ran out of time, or asks to be woken at its deadline. */
export class Liveness implements LifecycleAspect {
  readonly name = 'liveness';
  readonly #d: AspectDeps;

  constructor(deps: AspectDeps) {
    this.#d = deps;
  }

  async reconcile(o: Observed, scope: ReconcileScope): Promise<AspectResult> {
    const r = o.request;
    const verdict = planLiveness(r, new Date(this.#d.clock.now()), this.#d.options);
    if (verdict.kind === 'alive') return verdict.checkAgainInMs !== undefined ? { ...o, requeueAfterMs: verdict.checkAgainInMs } : o;
    this.#d.events.publish(LifecycleEvents.expired(r, verdict.reason, verdict.message));
    scope.log.warn('liveness timeout, deleting request', { reason: verdict.reason });
    await deleteRequest(this.#d.requests, r);
    return { ...o, deleted: true };
  }
}
