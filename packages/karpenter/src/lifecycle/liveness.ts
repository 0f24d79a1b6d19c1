/**
 * Liveness (Karpenter v1 `liveness.go`, with GPU-sized, configurable timeouts): a request that
 * does not launch, or does not register after launching, in time is deleted, so the instance is
 * released and whoever wants a node can ask again. Capacity failures are exempt from the launch
 * timeout: the request stays with the cloud's reason (see docs/provisioners.md).
 */
import { findCondition } from '../conditions.js';
import { ConditionTypes, Reasons } from '../constants.js';
import type { NodeRequest } from '../node-request.js';
import { hasCapacityFailure } from './launch.js';
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
    if (options.launchTimeoutMs <= 0 || hasCapacityFailure(r)) return { kind: 'alive' };
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
