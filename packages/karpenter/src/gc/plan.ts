/**
 * Garbage collection, as a pure plan (Karpenter's `nodeclaim.garbagecollection` and
 * gpu-provisioner's `instance.garbagecollection`, combined):
 *
 * - an instance no request claims (no request with its UID, or its name when the provider keeps no
 *   UID, and none that adopted its providerID), older than the instance grace period and not already deleting, is leaked: delete it;
 * - a launched request whose providerID the provider no longer lists is deleted, but only when it
 *   was missing from two lists in a row (a cloud list can lag; gpu-provisioner's single-list GC
 *   deleted live pools after `az aks stop/start`), and only once launched longer than the request
 *   grace period.
 */
import type { Instance } from '../cloudprovider/types.js';
import { belongsTo } from '../cloudprovider/types.js';
import { findCondition } from '../conditions.js';
import { ConditionTypes, KarpenterAnnotations } from '../constants.js';
import type { NodeRequest } from '../node-request.js';
import { isDeleting } from '../predicates.js';

export interface GcOptions {
  /** How often GC runs. Default 2 min (Karpenter's). */
  readonly intervalMs: number;
  /** Instances younger than this are never leaked (their request may not be in the cache yet). Default 30 s. */
  readonly instanceGracePeriodMs: number;
  /** Requests launched more recently than this are never collected. Default 10 s. */
  readonly requestGracePeriodMs: number;
}

export const DEFAULT_GC_OPTIONS: GcOptions = { intervalMs: 120_000, instanceGracePeriodMs: 30_000, requestGracePeriodMs: 10_000 };

export interface GcObserved {
  readonly instances: readonly Instance[];
  /** The requests this provisioner manages. */
  readonly requests: readonly NodeRequest[];
  /**
   * Every request of the API, managed or not (default: `requests`). An instance any of them claims
   * is kept: one this provisioner does not manage (another provisioner's on the same cloud, or one
   * whose labels changed) is not leaked.
   */
  readonly claimants?: readonly NodeRequest[];
  readonly now: Date;
  /** UIDs of requests whose instance was missing in the previous pass. */
  readonly suspects: ReadonlySet<string>;
}

export interface GcPlan {
  readonly leakedInstances: readonly Instance[];
  readonly vanishedRequests: readonly NodeRequest[];
  /** Carry into the next pass. */
  readonly suspects: ReadonlySet<string>;
}

const ageMs = (iso: string | undefined, now: Date): number => {
  const t = iso === undefined || iso === '' ? Number.NaN : Date.parse(iso);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : now.getTime() - t;
};

/**
 * Whether `r` claims `i`: it was launched for `r`, or `r` adopted it by providerID (a v1alpha5
 * `karpenter.sh/linked` Machine adopts an instance launched for another request, whose UID and name
 * it keeps).
 */
function claims(r: NodeRequest, i: Instance): boolean {
  if (belongsTo(i, r)) return true;
  if (i.providerID === undefined || i.providerID === '') return false;
  return r.status.providerID === i.providerID || r.metadata.annotations?.[KarpenterAnnotations.linked] === i.providerID;
}

export function planGarbageCollection(o: GcObserved, options: Pick<GcOptions, 'instanceGracePeriodMs' | 'requestGracePeriodMs'>): GcPlan {
  const leakedInstances = o.instances.filter(
    (i) => i.state !== 'Deleting' && !(o.claimants ?? o.requests).some((r) => claims(r, i)) && ageMs(i.createdAt, o.now) >= options.instanceGracePeriodMs,
  );
  const listed = new Set(o.instances.map((i) => i.providerID).filter((p): p is string => p !== undefined));
  const vanishedRequests: NodeRequest[] = [];
  const suspects = new Set<string>();
  for (const r of o.requests) {
    const providerID = r.status.providerID;
    if (providerID === undefined || isDeleting(r) || listed.has(providerID)) continue;
    const launched = findCondition(r.status.conditions, ConditionTypes.launched);
    if (launched?.status !== 'True' || ageMs(launched.lastTransitionTime, o.now) < options.requestGracePeriodMs) continue;
    const uid = r.metadata.uid ?? r.metadata.name;
    if (o.suspects.has(uid)) vanishedRequests.push(r);
    else suspects.add(uid);
  }
  return { leakedInstances, vanishedRequests, suspects };
}
