/**
 * The pure decisions of one inference reconcile (observed objects → what to write), so the
 * controller only reads caches and makes calls (see docs/development.md, "observe → plan → act"):
 *
 * - `nodeSource`: node requests or bring-your-own nodes, by the provisioning mode;
 * - `checkInferenceSpec` / `resolveInferencePlan`: the Workspace's preset (or template), SKU and
 *   runtime through `@kaito-ts/presets`, or the spec error (reason + the planner's own
 *   explanation) that stops it;
 * - `plannedRequestNames` / `requestsToCreate`: deterministic node-request names, so a reconcile
 *   that runs again before its cache has seen its own creates asks for the same names (409
 *   AlreadyExists) instead of duplicates;
 * - `serviceNeedsApply` / `statefulSetNeedsApply`: compare before writing;
 * - `blockedStatus` / `deletingStatus`: the status when the spec cannot be served, or while
 *   deletion waits for node requests;
 * - `conditionTransitions`: the Events a status change deserves (news only: failures, recoveries,
 *   the summary's flips);
 * - `onlyMessagesChanged`: a status change that is progress detail, not a transition.
 */
import { isDeepStrictEqual } from 'node:util';
import { Annotations, ConditionType, Reason, setCondition, WorkspaceState, type Condition, type Workspace, type WorkspaceStatus } from '@kaito-ts/api';
import { findSku, getModel, plan, UnknownModelError, UnknownSkuError, type GpuSku, type Plan, type PresetModel, type RuntimeName } from '@kaito-ts/presets';
import type { V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { adapterProblems } from './adapters.js';
import { templateProblem } from './template-workload.js';
import { InvalidWorkloadSpecError, workspaceRuntime } from './inference-workload.js';
import { nodeRequestName } from './node-requests.js';
import { needsRollout, REVISION_HASH_ANNOTATION } from './revision.js';

export type ResolvedPlan =
  | {
      readonly ok: true;
      readonly kind: 'preset';
      readonly plan: Plan;
      readonly model: PresetModel;
      readonly runtime: RuntimeName;
      readonly nodeCount: number;
      readonly gpusPerNode: number;
    }
  /** `inference.template`: the user's pods on `resource.count` nodes; no model to plan. */
  | { readonly ok: true; readonly kind: 'template'; readonly nodeCount: number; readonly gpusPerNode: number }
  | { readonly ok: false; readonly reason: Reason; readonly message: string };

type Failure = Extract<ResolvedPlan, { ok: false }>;
const fail = (reason: Reason, message: string): Failure => ({ ok: false, reason, message });

/**
 * Where a Workspace's nodes come from. `auto` (the default): node requests when
 * `resource.instanceType` is set, else bring-your-own nodes; `byo`: never any node request (nodes
 * come from elsewhere: a cluster autoscaler, a fixed pool), the instance type, when set, being one
 * more requirement on the nodes.
 */
export const ProvisioningModes = ['auto', 'byo'] as const;
export type ProvisioningMode = (typeof ProvisioningModes)[number];

export function nodeSource(ws: Pick<Workspace, 'resource'>, mode: ProvisioningMode): 'requests' | 'byo' {
  const instanceType = ws.resource.instanceType;
  return mode === 'auto' && instanceType !== undefined && instanceType !== '' ? 'requests' : 'byo';
}

const requestedCount = (ws: Pick<Workspace, 'resource'>): number => Math.max(ws.resource.count ?? 1, 1);

/**
 * What can be said of the spec before any node is known: the runtime, the preset, the adapters.
 * Bring-your-own Workspaces report these even while no node matches. Returns the model and
 * runtime of a preset Workspace, or nothing for a template one.
 */
export function checkInferenceSpec(ws: Workspace): Failure | { readonly ok: true; readonly model?: PresetModel; readonly runtime: RuntimeName } {
  const adapters = ws.inference?.adapters ?? [];
  let runtime: RuntimeName;
  try {
    runtime = workspaceRuntime(ws);
  } catch (err) {
    if (err instanceof InvalidWorkloadSpecError) return fail(Reason.InvalidSpec, err.message);
    throw err;
  }
  const preset = ws.inference?.preset;
  if (preset === undefined) {
    if (ws.inference?.template === undefined) return fail(Reason.InvalidSpec, 'inference: exactly one of preset or template must be set, e.g. inference.preset.name: phi-3-mini-4k-instruct');
    if (adapters.length > 0) return fail(Reason.InvalidSpec, 'inference.adapters: adapters need a preset (the runtime loads them); a template Workspace mounts its own volumes');
    const problem = templateProblem(ws.inference.template);
    if (problem !== undefined) return fail(Reason.InvalidSpec, problem);
    return { ok: true, runtime };
  }
  let model: PresetModel;
  try {
    model = getModel(preset.name);
  } catch (err) {
    if (err instanceof UnknownModelError) return fail(Reason.PresetNotFound, `inference.preset.name: ${err.message}`);
    throw err;
  }
  const problem = adapterProblems(adapters, { model, runtime })[0];
  if (problem !== undefined) return fail(Reason.InvalidSpec, `${problem.field}: ${problem.message}`);
  return { ok: true, model, runtime };
}

/**
 * The inference plan of a Workspace on a GPU SKU: its `resource.instanceType` (node requests), or
 * the GPUs of its bring-your-own nodes. The node count is the fewest nodes that fit, up to the
 * Workspace's `resource.count` (default 1): a model that needs more nodes than the user allowed is
 * a misfit whose message says how many would do. A template Workspace runs on `resource.count`
 * nodes, each giving its pod all of its GPUs when the SKU is known.
 */
export function resolveInferencePlan(ws: Workspace, sku?: GpuSku): ResolvedPlan {
  const spec = checkInferenceSpec(ws);
  if (!spec.ok) return spec;
  const instanceType = ws.resource.instanceType;
  const target = sku ?? (instanceType !== undefined && instanceType !== '' ? instanceType : undefined);
  const count = requestedCount(ws);
  if (spec.model === undefined) {
    const known = typeof target === 'string' ? findSku(target) : target;
    return { ok: true, kind: 'template', nodeCount: count, gpusPerNode: known?.gpuCount ?? 0 };
  }
  if (target === undefined) return fail(Reason.InvalidSpec, 'resource.instanceType is not set and no node was chosen to plan on; set resource.instanceType, e.g. Standard_NC6s_v3, or label GPU nodes for resource.labelSelector');
  const name = typeof target === 'string' ? target : target.name;
  let p: Plan;
  try {
    // `kaito.sh/bypass-resource-checks` as the admission webhook reads it (webhook/fit.ts): a memory misfit it admitted is served.
    const bypassMemoryCheck = ws.metadata.annotations?.[Annotations.bypassResourceChecks] !== undefined;
    p = plan(spec.model, target, spec.runtime, { maxNodes: count, requestedNodes: count, bypassMemoryCheck });
  } catch (err) {
    if (err instanceof UnknownSkuError) return fail(Reason.InstanceTypeNotFound, `resource.instanceType: ${err.message}`);
    throw err;
  }
  if (!p.fits) {
    const reason = p.misfitReason === 'TuningNotSupported' ? Reason.TuningNotSupported : Reason.ModelDoesNotFit;
    return fail(reason, `${spec.model.name} on ${name}: ${p.reasons[0] ?? 'does not fit'}`);
  }
  return { ok: true, kind: 'preset', plan: p, model: spec.model, runtime: spec.runtime, nodeCount: p.nodeCount, gpusPerNode: p.gpusPerNode };
}

/** The names of a Workspace's node requests, one per planned node; stable for its UID. */
export function plannedRequestNames(ws: { readonly name: string; readonly namespace: string; readonly uid: string }, count: number): string[] {
  return Array.from({ length: count }, (_, i) => nodeRequestName(ws, `${ws.uid}/${i}`));
}

/**
 * Which planned names to create: none while the live requests (any name: one created by an
 * earlier version or by Kaito counts) already cover the target, else the missing planned names,
 * as many as are short.
 */
export function requestsToCreate(planned: readonly string[], live: readonly { readonly metadata: { readonly name: string } }[]): string[] {
  const short = planned.length - live.length;
  if (short <= 0) return [];
  const taken = new Set(live.map((r) => r.metadata.name));
  return planned.filter((n) => !taken.has(n)).slice(0, short);
}

/** Whether `desired`'s fields are all equal in `observed` (which may carry more: server defaults). */
export function isSubset(desired: unknown, observed: unknown): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) {
    return Array.isArray(observed) && desired.length === observed.length && desired.every((d, i) => isSubset(d, observed[i]));
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof observed !== 'object' || observed === null) return false;
    return Object.entries(desired).every(([k, v]) => isSubset(v, (observed as Record<string, unknown>)[k]));
  }
  return isDeepStrictEqual(desired, observed);
}

const ownerUid = (o: { metadata?: { ownerReferences?: readonly { controller?: boolean; uid: string }[] } } | undefined): string | undefined =>
  o?.metadata?.ownerReferences?.find((r) => r.controller === true)?.uid;

/** A Service is applied when missing, not owned by the Workspace, or its type, ports or selector differ. */
export function serviceNeedsApply(desired: V1Service, observed: V1Service | undefined): boolean {
  if (observed === undefined) return true;
  if (ownerUid(observed) !== ownerUid(desired)) return true;
  const fields = (s: V1Service) => ({ type: s.spec?.type, ports: s.spec?.ports, selector: s.spec?.selector, clusterIP: s.spec?.clusterIP === 'None' ? 'None' : undefined });
  return !isSubset(fields(desired), fields(observed));
}

/**
 * The StatefulSet is applied when missing, not owned by the Workspace, made from another inference
 * revision, or sized for another node count. Its pod template is compared through the revision
 * hash, not field by field: the API server fills the template with defaults, and a model that
 * takes half an hour to load must not restart because of them.
 */
export function statefulSetNeedsApply(desired: V1StatefulSet, observed: V1StatefulSet | undefined): boolean {
  if (observed === undefined) return true;
  if (ownerUid(observed) !== ownerUid(desired)) return true;
  const revision = desired.metadata?.annotations?.[REVISION_HASH_ANNOTATION] ?? '';
  return needsRollout(observed, revision) || observed.spec?.replicas !== desired.spec?.replicas;
}

function nextState(previous: string | undefined): WorkspaceState {
  return previous === WorkspaceState.Ready || previous === WorkspaceState.NotReady ? WorkspaceState.NotReady : WorkspaceState.Pending;
}

/** The status of a Workspace whose spec cannot be served: every condition False with the reason. */
export function blockedStatus(ws: Workspace, reason: Reason, message: string, now: Date): WorkspaceStatus {
  const previous = ws.status ?? {};
  const opts = { observedGeneration: ws.metadata.generation, now };
  let conditions = setCondition(previous.conditions, { type: ConditionType.ResourceReady, status: 'False', reason, message }, opts);
  conditions = setCondition(conditions, { type: ConditionType.InferenceReady, status: 'False', reason: Reason.InferencePending, message: `not started: ${reason}` }, opts);
  conditions = setCondition(conditions, { type: ConditionType.WorkspaceReady, status: 'False', reason: Reason.WorkspaceNotReady, message: `${reason}: ${message}` }, opts);
  return { ...previous, conditions, state: nextState(previous.state) };
}

/** The status while deletion waits for the workload (`workload`) or the node requests (`nodes`) to go: `WorkspaceReady` says which. */
export function deletingStatus(ws: Workspace, waitingFor: readonly string[], now: Date, stage: 'workload' | 'nodes' = 'nodes'): WorkspaceStatus {
  const previous = ws.status ?? {};
  const message =
    waitingFor.length === 0
      ? 'removing the finalizer'
      : stage === 'workload'
        ? `waiting for the inference workload to terminate before its nodes are released: ${waitingFor.join(', ')} (see docs/troubleshooting.md#deleting)`
        : `waiting for ${waitingFor.length} node request(s) to be deleted: ${waitingFor.join(', ')}; their provisioner must release the nodes (see docs/troubleshooting.md#deleting)`;
  const conditions = setCondition(
    previous.conditions,
    { type: ConditionType.WorkspaceReady, status: 'False', reason: Reason.Deleting, message },
    { observedGeneration: ws.metadata.generation, now },
  );
  return { ...previous, conditions };
}

export interface Transition {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * Reasons that say "in progress", not "something is wrong": a condition that appears with one of
 * them, or moves between them, is not news (every new Workspace goes through them). NodeNotLaunched
 * also carries a provider's transient failure, which the provider retries: the condition's message
 * says so, and when it is news (a condition lost True, say) its Event is a Warning.
 */
const PROGRESS_REASONS: ReadonlySet<string> = new Set([
  Reason.NodesPending,
  Reason.NodeClaimCreated,
  Reason.NodeNotLaunched,
  Reason.NodeNotRegistered,
  Reason.NodeNotInitialized,
  Reason.InferencePending,
  Reason.InferenceUpdating,
  Reason.JobPending,
  Reason.NodesReleased,
  Reason.Deleting,
]);
const WARNING_EXEMPT: ReadonlySet<string> = new Set([...PROGRESS_REASONS].filter((r) => r !== Reason.NodeNotLaunched));

/** Conditions that sum the others up: they speak when they flip, not when their reason moves. */
const SUMMARY_CONDITIONS: ReadonlySet<string> = new Set([ConditionType.WorkspaceReady]);
/** Outcomes: a condition that only turns True once the work is done (a tuning run succeeded). */
const OUTCOME_CONDITIONS: ReadonlySet<string> = new Set([ConditionType.WorkspaceSucceeded]);

const isFailure = (c: Pick<Condition, 'status' | 'reason'>): boolean => c.status === 'False' && !PROGRESS_REASONS.has(c.reason);

/**
 * The Events a status change deserves (see docs/troubleshooting.md, "Events"): news, not the
 * expected steps every Workspace goes through. A condition whose status and reason did not change
 * (a message-only change) is never news. Otherwise an Event for
 * - every failure (a False condition with a failure reason, first appearance included): Warning;
 * - `WorkspaceReady`, the summary, when its status flips or it first appears True (a flip to False
 *   is a Warning unless the Workspace is being deleted);
 * - a condition recovering from a failure, or leaving True (a rollout, a lost node): Normal;
 * - an outcome turning True (`WorkspaceSucceeded`): Normal.
 * Not news: a condition's first appearance in progress or True, moving between in-progress
 * reasons, or turning True after them (`ResourceReady` NodesReady, `InferenceReady` on the way to
 * Ready): `WorkspaceReady` turning True says it once for all.
 */
export function conditionTransitions(before: readonly Condition[] | undefined, after: readonly Condition[] | undefined): Transition[] {
  return (after ?? []).flatMap((c): Transition[] => {
    const old = (before ?? []).find((b) => b.type === c.type);
    if (old !== undefined && old.status === c.status && old.reason === c.reason) return [];
    const event = { type: c.status === 'True' || WARNING_EXEMPT.has(c.reason) ? 'Normal' : 'Warning', reason: c.reason, message: `${c.type} ${c.status}: ${c.message}` } as const;
    if (SUMMARY_CONDITIONS.has(c.type)) return (old === undefined ? c.status === 'True' : old.status !== c.status) ? [event] : [];
    if (isFailure(c)) return [event];
    if (old === undefined) return [];
    if (isFailure(old) || old.status === 'True') return [event];
    return c.status === 'True' && OUTCOME_CONDITIONS.has(c.type) ? [event] : [];
  });
}

/**
 * Whether `next` differs from `previous` only in condition messages (each condition keeps its
 * status and reason, every other field is equal): progress detail such as "pod is Pending" →
 * "pod is Running", or a restart count. The controller holds such a write back briefly, so that
 * a Workspace moving through its steps gets one status write per transition, not one per detail.
 */
export function onlyMessagesChanged(previous: WorkspaceStatus | undefined, next: WorkspaceStatus): boolean {
  const before = previous?.conditions ?? [];
  const after = next.conditions ?? [];
  if (before.length !== after.length) return false;
  const strip = (cs: readonly Condition[]) => cs.map(({ message: _message, ...rest }) => rest);
  if (!isDeepStrictEqual(strip(before), strip(after))) return false;
  if (isDeepStrictEqual(before, after)) return false;
  const { conditions: _a, ...restBefore } = previous ?? {};
  const { conditions: _b, ...restAfter } = next;
  return isDeepStrictEqual(JSON.parse(JSON.stringify(restBefore)), JSON.parse(JSON.stringify(restAfter)));
}
