/**
 * The inference reconcile of a Workspace, the thin layer over the pure planners of this folder
 * (plan.ts, node-requests.ts, byo-nodes.ts, inference-workload.ts, template-workload.ts,
 * adapters.ts, conditions.ts). Its nodes come from node requests (provisioning mode `auto` and
 * `resource.instanceType` set) or are brought by the user (`nodeSource`). Order, as Kaito's
 * (`pkg/workspace/controllers/workspace_controller.go`):
 *
 * 1. deleting → delete the StatefulSet and wait (bounded) for its pods to terminate while their
 *    nodes still run them, then delete the node requests, wait for them to go (status says which),
 *    drop the finalizer;
 * 2. the finalizer, before anything is created;
 * 3. plan with `@kaito-ts/presets`; a spec that cannot be served → all conditions False with the
 *    reason and the planner's explanation, then `TerminalError` (no retry until the spec changes);
 * 4. node requests: create the missing ones, exactly the planned count, deterministic names (a
 *    second pass before the cache caught up gets 409 AlreadyExists, never a duplicate);
 *    bring-your-own: choose the matching ready GPU nodes, plan on their GPUs, create nothing;
 * 5. once every node is ready: the StatefulSet and Services, applied only when they differ, all
 *    three at once (StatefulSet first: its pods take longest);
 * 6. the status from what was observed, written only when it changed (with a new StatefulSet, in
 *    the same round as its apply); an Event only for news (plan.ts, `conditionTransitions`); a
 *    change of condition messages alone is held back up to `statusMessageHoldMs`, so a Workspace
 *    moving through its steps gets a write per transition, not one per detail.
 *
 * Every read comes from the manager's caches; watches only enqueue the owning Workspace's key.
 */
import { Labels, Reason, WORKSPACE_FINALIZER, WorkspaceState, type Workspace, type WorkspaceStatus } from '@kaito-ts/api';
import {
  hasFinalizer,
  isBeingDeleted,
  type Controller,
  type EventRecorder,
  type KubeObject,
  type Logger,
  type Manager,
  objectKey,
  Resources,
  type Result,
  TerminalError,
  toControllerOwner,
  toLabelledKey,
  watch,
} from '@kaito-ts/controller-runtime';
import { type Node, type NodeRequest, type NodeRequestApi, NodeResource, nodeRequestClient, nodeRequestOf, nodeRequestResource } from '@kaito-ts/karpenter';
import type { V1Pod, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { byoResourceReady, isEmptySelector, matchesSelector, sanitizedSelector, selectByoNodes } from './byo-nodes.js';
import { inferenceStatus, resourceReady, type ResourceVerdict } from './conditions.js';
import { desiredInferenceWorkload, type ByoPlacement, type InferenceWorkload } from './inference-workload.js';
import {
  blockedStatus,
  checkInferenceSpec,
  conditionTransitions,
  deletingStatus,
  nodeSource,
  onlyMessagesChanged,
  type ProvisioningMode,
  type ResolvedPlan,
  resolveInferencePlan,
  serviceNeedsApply,
  statefulSetNeedsApply,
} from './plan.js';
import { registerWorkspaceMetrics } from './metrics.js';
import { nodeRequestActions } from './node-request-actions.js';
import { Workspaces } from './resources.js';
import { REVISION_HASH_ANNOTATION } from './revision.js';
import { desiredTemplateWorkload } from './template-workload.js';

export const CONTROLLER_NAME = 'workspace';
/** Cache index of node requests, Pods and Nodes by the Workspace key their labels name. */
const WORKSPACE_INDEX = 'workspace';
/** While deletion waits on node requests: look again even if no event comes. */
const DELETION_RECHECK_MS = 30_000;
/**
 * How long deletion waits for the inference pods to terminate before it releases their nodes
 * anyway: a pod whose node died never finishes terminating (until the node is gone), so the wait
 * must end. Releasing the nodes first instead would leave every pod Terminating on a Node that no
 * longer exists until the pod garbage collector's 40 s quarantine passes, and kill the model
 * server without its graceful shutdown.
 */
const DRAIN_TIMEOUT_MS = 60_000;
/** Default of `statusMessageHoldMs`. */
const STATUS_MESSAGE_HOLD_MS = 10_000;

export interface WorkspaceControllerOptions {
  /** The node-request API: NodeClaim (`karpenter.sh/v1`, default) or Machine (`karpenter.sh/v1alpha5`). */
  readonly api?: NodeRequestApi;
  /** Image registry override for the runtime images (a mirror of mcr.microsoft.com/aks/kaito). */
  readonly registry?: string;
  /** Reconciles at once, of different Workspaces. Default 4. */
  readonly concurrency?: number;
  /** Default: `mgr.eventRecorder('workspace-controller')`. */
  readonly events?: EventRecorder;
  /** Reconcile only Workspaces in these namespaces; empty or absent: all. */
  readonly namespaces?: readonly string[];
  /** `auto` (default): node requests when `resource.instanceType` is set, else bring-your-own nodes; `byo`: never a node request. */
  readonly provisioning?: ProvisioningMode;
  /** Image of the adapter pullers (default Kaito's skopeo image). */
  readonly pullerImage?: string;
  /**
   * How long a status change made only of condition messages (progress detail: a pod Pending, then
   * Running; a restart count) may wait to be written, so that a transition coming meanwhile is
   * written with it. Status and reason changes are written at once. Default 10 s.
   */
  readonly statusMessageHoldMs?: number;
  /** Extra annotations on the inference pods of preset Workspaces (`--inference-pod-annotation`). */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  readonly now?: () => Date;
}

/** Sooner of two outcomes: a requeue after the shorter delay, if either asks for one. */
function sooner(a: Result, b: Result): Result {
  const delays = [a.requeueAfterMs, b.requeueAfterMs].filter((d) => d !== undefined);
  return delays.length > 0 ? { requeueAfterMs: Math.min(...delays) } : {};
}

/** `namespace/name` of the Workspace an object's `kaito.sh/workspace{,namespace}` labels name. */
const labelledKey = toLabelledKey({ name: Labels.workspace, namespace: Labels.workspaceNamespace });
/** Pods carry only `kaito.sh/workspace` (the StatefulSet's selector) and live in its namespace. */
const podKey = toLabelledKey({ name: Labels.workspace });

export function workspaceController(mgr: Manager, options: WorkspaceControllerOptions = {}): Controller {
  const api = options.api ?? 'nodeclaim';
  const now = options.now ?? (() => new Date());
  const events = options.events ?? mgr.eventRecorder('workspace-controller');
  const requestResource = nodeRequestResource(api);
  const nodeRequests = nodeRequestActions(nodeRequestClient(mgr.client, api), events);
  const workspaces = mgr.informer(Workspaces);
  const requests = mgr.informer(requestResource, { indexers: { [WORKSPACE_INDEX]: labelledKey } });
  const nodes = mgr.informer(NodeResource);
  const statefulSets = mgr.informer(Resources.StatefulSet);
  const services = mgr.informer(Resources.Service);
  const pods = mgr.informer(Resources.Pod, { indexers: { [WORKSPACE_INDEX]: podKey } });

  const provisioning = options.provisioning ?? 'auto';
  const watched = new Set(options.namespaces ?? []);
  const isByo = (ws: Workspace): boolean => ws.inference !== undefined && nodeSource(ws, provisioning) === 'byo';
  /** A Node's change concerns the Workspace its labels name, and every bring-your-own Workspace it matches. */
  const metrics = registerWorkspaceMetrics(
    mgr.metrics.registry,
    () => workspaces.list().filter((ws) => watched.size === 0 || watched.has(ws.metadata.namespace ?? '')),
    (ws) => (isByo(ws) ? 'byo' : 'requests'),
  );
  const nodeKeys = (node: KubeObject): string[] => [
    ...labelledKey(node),
    ...workspaces
      .list()
      .filter((ws) => isByo(ws) && matchesSelector(node.metadata.labels, sanitizedSelector(ws.resource.labelSelector)))
      .map((ws) => objectKey(ws.metadata.namespace ?? '', ws.metadata.name)),
  ];
  const requestsOf = (key: string): NodeRequest[] => requests.byIndex(WORKSPACE_INDEX, key).map((o) => nodeRequestOf(api, o));

  const holdMs = options.statusMessageHoldMs ?? STATUS_MESSAGE_HOLD_MS;
  /**
   * The status this controller last wrote to each Workspace, with the resourceVersion it was
   * written over. A reconcile that runs before the cache has seen that write (the write's own watch
   * event is what brings the key back) would otherwise compare with the older status, write the
   * same status again and repeat its Events.
   */
  const written = new Map<string, { readonly uid: string; readonly over: string; readonly status: WorkspaceStatus }>();
  /** When a messages-only status change was first held back, per key. */
  const heldSince = new Map<string, number>();

  /** The Workspace with the status last written, while the cache still holds what that write replaced. */
  function withWrittenStatus(key: string, ws: Workspace): Workspace {
    const w = written.get(key);
    if (w === undefined) return ws;
    if (w.uid === ws.metadata.uid && w.over === ws.metadata.resourceVersion) return { ...ws, status: w.status };
    written.delete(key); // the cache has moved past the write
    return ws;
  }

  async function writeStatus(key: string, observed: Workspace, status: WorkspaceStatus, log: Logger): Promise<Result> {
    const ws = withWrittenStatus(key, observed);
    if (onlyMessagesChanged(ws.status, status)) {
      const t = now().getTime();
      const since = heldSince.get(key) ?? t;
      heldSince.set(key, since);
      if (t - since < holdMs) return { requeueAfterMs: since + holdMs - t };
    }
    heldSince.delete(key);
    const { changed, object } = await mgr.client.patchStatus(Workspaces, ws, status);
    if (!changed) return {};
    if (ws.metadata.uid !== undefined && ws.metadata.resourceVersion !== undefined) {
      written.set(key, { uid: ws.metadata.uid, over: ws.metadata.resourceVersion, status: object.status ?? status });
    }
    log.debug('status written', { state: status.state });
    const transitions = conditionTransitions(ws.status?.conditions, status.conditions);
    for (const t of transitions) events.publish({ involvedObject: ws, ...t });
    const firstReady = ws.status?.state !== WorkspaceState.Ready && ws.status?.state !== WorkspaceState.NotReady && status.state === WorkspaceState.Ready;
    if (firstReady) metrics.becameReady(ws, isByo(ws) ? 'byo' : 'requests', now());
    return {};
  }

  /** Deletes the Workspace's StatefulSet; what is still terminating (none once the drain timed out). */
  async function drainWorkload(ws: Workspace, key: string, log: Logger): Promise<string[]> {
    const ns = ws.metadata.namespace ?? '';
    const sts = statefulSets.get(ns, ws.metadata.name);
    const owned = sts?.metadata.ownerReferences?.some((o) => o.uid === ws.metadata.uid) === true ? sts : undefined;
    if (owned !== undefined && !isBeingDeleted(owned)) {
      await mgr.client.delete(Resources.StatefulSet, { name: ws.metadata.name, namespace: ns }, owned.metadata.uid !== undefined ? { uid: owned.metadata.uid } : {});
      log.info('deleted statefulset', { statefulSet: ws.metadata.name });
    }
    const since = Date.parse(ws.metadata.deletionTimestamp ?? '');
    if (Number.isFinite(since) && now().getTime() - since >= DRAIN_TIMEOUT_MS) return [];
    const left = pods.byIndex(WORKSPACE_INDEX, key).filter((p) => p.metadata.namespace === ns);
    return [...(owned !== undefined ? [`StatefulSet ${ws.metadata.name}`] : []), ...left.map((p) => `Pod ${p.metadata.name}`)];
  }

  async function finalize(ws: Workspace, key: string, log: Logger): Promise<Result> {
    if (!hasFinalizer(ws, WORKSPACE_FINALIZER)) return {};
    const draining = await drainWorkload(ws, key, log);
    if (draining.length > 0) {
      const written = await writeStatus(key, ws, deletingStatus(ws, draining, now(), 'workload'), log);
      // Pod and StatefulSet events bring the key back sooner; this ends the drain on time.
      return sooner(written, { requeueAfterMs: DRAIN_TIMEOUT_MS });
    }
    const owned = requestsOf(key);
    await nodeRequests.release(owned, log);
    if (owned.length > 0) {
      const written = await writeStatus(key, ws, deletingStatus(ws, owned.map((r) => `${r.api} ${r.metadata.name}`), now()), log);
      return sooner(written, { requeueAfterMs: DELETION_RECHECK_MS });
    }
    await mgr.client.removeFinalizer(Workspaces, ws, WORKSPACE_FINALIZER);
    log.info('finalized workspace');
    return {};
  }

  function desiredWorkload(ws: Workspace, resolved: Extract<ResolvedPlan, { ok: true }>, byo?: ByoPlacement): InferenceWorkload {
    const placement = byo !== undefined ? { byo } : {};
    if (resolved.kind === 'template') return desiredTemplateWorkload({ workspace: ws, nodeCount: resolved.nodeCount, ...placement });
    return desiredInferenceWorkload({
      workspace: ws,
      plan: resolved.plan,
      model: resolved.model,
      ...placement,
      ...(options.registry !== undefined ? { registry: options.registry } : {}),
      ...(options.pullerImage !== undefined ? { pullerImage: options.pullerImage } : {}),
      ...(options.podAnnotations !== undefined ? { podAnnotations: options.podAnnotations } : {}),
    });
  }

  async function block(ws: Workspace, key: string, reason: Reason, message: string, log: Logger): Promise<never> {
    await writeStatus(key, ws, blockedStatus(ws, reason, message, now()), log);
    throw new TerminalError(`workspace ${key}: ${reason}: ${message}`);
  }

  /**
   * What differs of the workload, as writes to make at once (the StatefulSet first: its pods take
   * longest), and the revision an existing StatefulSet is being updated to, for the status.
   */
  function workloadWrites(ws: Workspace, workload: InferenceWorkload, log: Logger): { writes: (() => Promise<void>)[]; rollingTo?: string } {
    const ns = ws.metadata.namespace ?? '';
    const sts = statefulSets.get(ns, ws.metadata.name) as V1StatefulSet | undefined;
    const writes: (() => Promise<void>)[] = [];
    let rollingTo: string | undefined;
    if (statefulSetNeedsApply(workload.statefulSet, sts)) {
      const revision = workload.statefulSet.metadata?.annotations?.[REVISION_HASH_ANNOTATION];
      if (sts !== undefined) rollingTo = revision;
      writes.push(async () => {
        await mgr.client.apply(workload.statefulSet as unknown as KubeObject);
        log.info(sts === undefined ? 'created statefulset' : 'updated statefulset', { revision });
        // A new StatefulSet is an expected step (the status says where its pods are); a rollout is news.
        if (sts !== undefined) events.publish({ involvedObject: ws, type: 'Normal', reason: 'WorkloadUpdated', message: `updated StatefulSet ${ws.metadata.name} to revision ${revision ?? '(none)'}` });
      });
    }
    for (const svc of [workload.service, workload.headlessService]) {
      const observed = services.get(ns, svc.metadata?.name ?? '') as V1Service | undefined;
      if (serviceNeedsApply(svc, observed)) {
        writes.push(async () => {
          await mgr.client.apply(svc as unknown as KubeObject);
          log.info('applied service', { service: svc.metadata?.name });
        });
      }
    }
    return { writes, ...(rollingTo !== undefined ? { rollingTo } : {}) };
  }

  /**
   * Applies what differs of the workload and writes the status `statusOf` makes. Without a rollout
   * the status does not depend on the writes (it says what was observed), so it goes in the same
   * round; a rollout's status says the StatefulSet was updated, so it waits for that to be true.
   */
  async function applyWorkloadAndStatus(key: string, ws: Workspace, workload: InferenceWorkload | undefined, statusOf: (rolledTo?: string) => WorkspaceStatus, log: Logger): Promise<Result> {
    const { writes, rollingTo } = workload !== undefined ? workloadWrites(ws, workload, log) : { writes: [] };
    if (rollingTo !== undefined) {
      await Promise.all(writes.map((w) => w()));
      return writeStatus(key, ws, statusOf(rollingTo), log);
    }
    const [result] = await Promise.all([writeStatus(key, ws, statusOf(), log), ...writes.map((w) => w())]);
    return result;
  }

  const statefulSetOf = (ws: Workspace): { statefulSet?: V1StatefulSet } => {
    const sts = statefulSets.get(ws.metadata.namespace ?? '', ws.metadata.name) as V1StatefulSet | undefined;
    return sts !== undefined ? { statefulSet: sts } : {};
  };

  async function reconcile(key: string, log: Logger): Promise<Result> {
    const ws = workspaces.getByKey(key);
    if (ws === undefined) {
      written.delete(key);
      heldSince.delete(key);
      return {}; // gone; its children go by ownerReference
    }
    if (ws.inference === undefined) return {}; // tuning Workspaces are another controller's
    if (watched.size > 0 && !watched.has(ws.metadata.namespace ?? '')) return {};
    if (isBeingDeleted(ws)) return finalize(ws, key, log);

    const current = await mgr.client.addFinalizer(Workspaces, ws, WORKSPACE_FINALIZER);
    const { name, namespace, uid } = current.metadata;
    if (namespace === undefined || uid === undefined) throw new Error(`workspace ${key}: read without namespace or uid`);

    const identity = { name, namespace, uid };
    const workloadPods = (): V1Pod[] => pods.byIndex(WORKSPACE_INDEX, key).filter((p) => p.metadata.namespace === namespace) as unknown as V1Pod[];
    if (isByo(current)) return reconcileByo(current, key, workloadPods, log);

    const resolved = resolveInferencePlan(current);
    if (!resolved.ok) return block(current, key, resolved.reason, resolved.message, log);
    const owned = await nodeRequests.ensure(current, identity, requestsOf(key), { count: resolved.nodeCount, gpusPerNode: resolved.gpusPerNode }, log);
    const requestNodes = owned.flatMap((r) => {
      const node = r.status.nodeName !== undefined ? nodes.get(undefined, r.status.nodeName) : undefined;
      return node !== undefined ? [node as Node] : [];
    });
    const observed = { workspace: current, targetNodeCount: resolved.nodeCount, requests: owned, nodes: requestNodes };
    const workload = resourceReady(observed).status === 'True' ? desiredWorkload(current, resolved) : undefined;
    const statusOf = (rolledTo?: string): WorkspaceStatus =>
      inferenceStatus({ ...observed, pods: workloadPods(), now: now(), ...statefulSetOf(current), ...(rolledTo !== undefined ? { rolledTo } : {}) });
    return applyWorkloadAndStatus(key, current, workload, statusOf, log);
  }

  /**
   * Bring-your-own nodes: spec errors first (they need no node), then the matching ready GPU nodes,
   * the plan on their GPUs, and the workload once enough of them are there. No node request.
   */
  async function reconcileByo(ws: Workspace, key: string, workloadPods: () => V1Pod[], log: Logger): Promise<Result> {
    const spec = checkInferenceSpec(ws);
    if (!spec.ok) return block(ws, key, spec.reason, spec.message, log);
    if (isEmptySelector(sanitizedSelector(ws.resource.labelSelector))) {
      return block(ws, key, Reason.InvalidSpec, 'resource.labelSelector: bring-your-own nodes are chosen by it, and it selects every node; name labels of your GPU nodes, e.g. matchLabels: {apps: llm}', log);
    }
    const selection = selectByoNodes(ws.resource.labelSelector, nodes.list() as Node[], ws.resource.instanceType || undefined);
    const requested = Math.max(ws.resource.count ?? 1, 1);
    let resolved: Extract<ResolvedPlan, { ok: true }> | undefined;
    if (spec.model === undefined || selection.gpus !== undefined) {
      const r = resolveInferencePlan(ws, selection.gpus?.sku);
      if (!r.ok) return block(ws, key, r.reason, r.message, log);
      resolved = r;
    }
    const target = resolved?.nodeCount ?? requested;
    const resource: ResourceVerdict = byoResourceReady(selection, target);
    let workload: InferenceWorkload | undefined;
    if (resolved !== undefined && resource.status === 'True') {
      const hardwareLabel = resolved.kind === 'preset' ? selection.gpus?.hardwareLabel : undefined;
      workload = desiredWorkload(ws, resolved, hardwareLabel !== undefined ? { hardwareLabel } : {});
    }
    const observed = { workspace: ws, targetNodeCount: target, requests: [], nodes: [], resource, pods: workloadPods(), now: now(), ...statefulSetOf(ws) };
    return applyWorkloadAndStatus(key, ws, workload, (rolledTo) => inferenceStatus({ ...observed, ...(rolledTo !== undefined ? { rolledTo } : {}) }), log);
  }

  return {
    name: CONTROLLER_NAME,
    concurrency: options.concurrency ?? 4,
    watches: [
      watch(Workspaces),
      watch(requestResource, { mapToKeys: labelledKey }),
      watch(NodeResource, { mapToKeys: nodeKeys }),
      watch(Resources.StatefulSet, { mapToKeys: toControllerOwner(Workspaces) }),
      watch(Resources.Service, { mapToKeys: toControllerOwner(Workspaces) }),
      watch(Resources.Pod, { mapToKeys: podKey }),
    ],
    reconcile: (key, ctx) => reconcile(key, ctx.log),
  };
}
