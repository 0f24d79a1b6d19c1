/**
 * The tuning reconcile of a Workspace with `tuning` (the thin layer over this folder's pure
 * planners; the inference controller leaves these Workspaces alone). One pass, in order:
 *
 * 1. deleting → delete the node requests, wait for them to go, drop the finalizer (the Job, its
 *    pods, the progress ConfigMap and RBAC go by ownerReference);
 * 2. the finalizer, before anything is created;
 * 3. the tuning plan (preset × method × SKU); a spec that cannot be served → every condition
 *    False, `TerminalError` (no retry until the Workspace changes);
 * 4. a Job of another tuning revision (the spec changed) is deleted; the new one follows;
 * 5. a Job gone after this generation succeeded is not run again (only released nodes are
 *    checked); otherwise, until this revision's Job exists: the pre-flight (creating the default params ConfigMap
 *    when the Workspace names none and it is missing) (`InputsReady`); a failure is reported and re-checked every
 *    `preflightRecheckMs`, and no node is requested;
 * 6. while the Job has not ended: one node request (the inference side's planner and names);
 *    once it ended: the node requests are released unless `keepNodes`;
 * 7. once the node is ready: the progress ConfigMap and its RBAC, then the Job;
 * 8. the status from what was observed, written only when it changed; one Event per transition.
 */
import { lookup } from 'node:dns/promises';
import { ConditionType, Labels, WORKSPACE_FINALIZER, type Workspace, type WorkspaceStatus } from '@kaito-ts/api';
import {
  hasFinalizer,
  ignoreAlreadyExists,
  isBeingDeleted,
  type Controller,
  type EventRecorder,
  type KubeObject,
  type Logger,
  type Manager,
  Resources,
  type Result,
  TerminalError,
  toControllerOwner,
  toLabelledKey,
  watch,
} from '@kaito-ts/controller-runtime';
import { type Node, type NodeRequest, type NodeRequestApi, NodeResource, nodeRequestClient, nodeRequestOf, nodeRequestResource } from '@kaito-ts/karpenter';
import type { V1ConfigMap, V1Job, V1Pod } from '@kubernetes/client-node';
import { resourceReady } from '../workspace/conditions.js';
import { nodeRequestActions } from '../workspace/node-request-actions.js';
import { conditionTransitions, deletingStatus } from '../workspace/plan.js';
import { needsRollout } from '../workspace/revision.js';
import { Workspaces } from '../workspace/resources.js';
import { desiredProgressObjects, desiredTuningJob, PROGRESS_KEY, progressConfigMapName, type TuningJobSettings } from './job.js';
import { defaultParamsConfigMap, tuningConfigMapName } from './params.js';
import { resolveTuningPlan } from './plan.js';
import { inputHosts, preflight, preflightSecretNames, type PreflightSecret, type PreflightVerdict } from './preflight.js';
import { tuningRevision } from './revision.js';
import { blockedTuningStatus, jobOutcome, readProgressReport, tuningStatus } from './status.js';

export const TUNING_CONTROLLER_NAME = 'tuning';
/** Cache index by Workspace key; named apart from the inference controller's, which shares the informers. */
const WORKSPACE_INDEX = 'tuning-workspace';
const DELETION_RECHECK_MS = 30_000;

/** Resolves a host name to its addresses (all of them: one private answer is enough to refuse). */
export type ResolveHost = (host: string) => Promise<readonly string[]>;

const resolveWithDns: ResolveHost = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface TuningControllerOptions {
  readonly api?: NodeRequestApi;
  readonly job: TuningJobSettings;
  /** Keep the node requests after the Job ended. Default false: release them. */
  readonly keepNodes?: boolean;
  /** Let input hosts that resolve to loopback pass the pre-flight (local e2e, the demo). */
  readonly allowLoopbackInputs?: boolean;
  /** How soon a failed pre-flight is checked again. Default 30 s. */
  readonly preflightRecheckMs?: number;
  readonly concurrency?: number;
  readonly events?: EventRecorder;
  readonly namespaces?: readonly string[];
  readonly resolveHost?: ResolveHost;
  readonly now?: () => Date;
}

const labelledKey = toLabelledKey({ name: Labels.workspace, namespace: Labels.workspaceNamespace });
const podKey = toLabelledKey({ name: Labels.workspace });

/** `WorkspaceSucceeded` is True for the Workspace's current generation. */
function succeededBefore(ws: Workspace): boolean {
  const c = ws.status?.conditions?.find((x) => x.type === ConditionType.WorkspaceSucceeded);
  return c?.status === 'True' && c.observedGeneration !== undefined && c.observedGeneration === ws.metadata.generation;
}

export function tuningController(mgr: Manager, options: TuningControllerOptions): Controller {
  const api = options.api ?? 'nodeclaim';
  const now = options.now ?? (() => new Date());
  const resolveHost = options.resolveHost ?? resolveWithDns;
  const events = options.events ?? mgr.eventRecorder('workspace-controller');
  const requestResource = nodeRequestResource(api);
  const nodeRequests = nodeRequestActions(nodeRequestClient(mgr.client, api), events);
  const workspaces = mgr.informer(Workspaces);
  const requests = mgr.informer(requestResource, { indexers: { [WORKSPACE_INDEX]: labelledKey } });
  const nodes = mgr.informer(NodeResource);
  const jobs = mgr.informer(Resources.Job);
  const pods = mgr.informer(Resources.Pod, { indexers: { [WORKSPACE_INDEX]: podKey } });
  const configMaps = mgr.informer(Resources.ConfigMap);
  const watched = new Set(options.namespaces ?? []);
  const requestsOf = (key: string): NodeRequest[] => requests.byIndex(WORKSPACE_INDEX, key).map((o) => nodeRequestOf(api, o));

  async function writeStatus(ws: Workspace, status: WorkspaceStatus, log: Logger): Promise<void> {
    const { changed } = await mgr.client.patchStatus(Workspaces, ws, status);
    if (!changed) return;
    log.debug('status written', { state: status.state });
    for (const t of conditionTransitions(ws.status?.conditions, status.conditions)) events.publish({ involvedObject: ws, ...t });
  }

  async function finalize(ws: Workspace, key: string, log: Logger): Promise<Result> {
    if (!hasFinalizer(ws, WORKSPACE_FINALIZER)) return {};
    const owned = requestsOf(key);
    await nodeRequests.release(owned, log);
    if (owned.length > 0) {
      await writeStatus(ws, deletingStatus(ws, owned.map((r) => `${r.api} ${r.metadata.name}`), now()), log);
      return { requeueAfterMs: DELETION_RECHECK_MS };
    }
    await mgr.client.removeFinalizer(Workspaces, ws, WORKSPACE_FINALIZER);
    log.info('finalized workspace');
    return {};
  }

  /** The pre-flight's inputs, read live (Secrets are not cached: the controller needs a handful, not all). */
  async function runPreflight(ws: Workspace, namespace: string, log: Logger): Promise<PreflightVerdict> {
    const cmName = tuningConfigMapName(ws);
    let cm = (await mgr.client.find(Resources.ConfigMap, cmName, namespace)) as V1ConfigMap | undefined;
    if (cm === undefined && ws.tuning !== undefined && ws.tuning.config === undefined) {
      // Kaito's chart installs the default params; a namespace without them gets them here.
      const desired = defaultParamsConfigMap(ws.tuning.method, namespace);
      cm = ((await mgr.client.create(Resources.ConfigMap, desired as unknown as KubeObject).catch(ignoreAlreadyExists)) as V1ConfigMap | undefined) ?? desired;
      log.info('created default tuning params', { configMap: cmName });
    }
    const secrets = new Map<string, PreflightSecret | undefined>();
    for (const name of preflightSecretNames(ws)) {
      const s = (await mgr.client.find(Resources.Secret, name, namespace)) as (KubeObject & PreflightSecret) | undefined;
      secrets.set(name, s === undefined ? undefined : { ...(s.type !== undefined ? { type: s.type } : {}), ...(s.data !== undefined ? { data: s.data } : {}) });
    }
    const resolved = new Map<string, readonly string[] | Error>();
    for (const host of inputHosts(ws)) {
      resolved.set(host, await resolveHost(host).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
    }
    return preflight({
      workspace: ws,
      configMap: cm === undefined ? undefined : { name: cmName, ...(cm.data !== undefined ? { data: cm.data } : {}) },
      resolved,
      secrets,
      allowLoopback: options.allowLoopbackInputs ?? false,
    });
  }

  async function ensureJob(ws: Workspace, job: V1Job, log: Logger): Promise<void> {
    const progress = desiredProgressObjects(ws);
    for (const obj of [progress.serviceAccount, progress.role, progress.roleBinding]) await mgr.client.apply(obj as unknown as KubeObject);
    // Created, never applied: the runner owns its data. Data already there while no Job exists is
    // an earlier run's (its Job was deleted): it must not show as this run's progress.
    const left = configMaps.get(progress.configMap.metadata?.namespace, progress.configMap.metadata?.name ?? '') as V1ConfigMap | undefined;
    if (left !== undefined && Object.keys(left.data ?? {}).length > 0) {
      await mgr.client.delete(Resources.ConfigMap, { name: left.metadata?.name ?? '', namespace: left.metadata?.namespace ?? '' }, left.metadata?.uid !== undefined ? { uid: left.metadata.uid } : {});
    }
    await mgr.client.create(Resources.ConfigMap, progress.configMap as unknown as KubeObject).catch(ignoreAlreadyExists);
    const made = await mgr.client.create(Resources.Job, job as unknown as KubeObject).catch(ignoreAlreadyExists);
    if (made === undefined) return;
    log.info('created tuning job', { job: job.metadata?.name });
    events.publish({ involvedObject: ws, type: 'Normal', reason: 'JobCreated', message: `created tuning Job ${job.metadata?.name ?? ''}` });
  }

  async function reconcile(key: string, log: Logger): Promise<Result> {
    const ws = workspaces.getByKey(key);
    if (ws === undefined || ws.tuning === undefined) return {}; // gone, or an inference Workspace
    if (watched.size > 0 && !watched.has(ws.metadata.namespace ?? '')) return {};
    if (isBeingDeleted(ws)) return finalize(ws, key, log);

    const current = await mgr.client.addFinalizer(Workspaces, ws, WORKSPACE_FINALIZER);
    const { name, namespace, uid } = current.metadata;
    if (namespace === undefined || uid === undefined) throw new Error(`workspace ${key}: read without namespace or uid`);
    const identity = { name, namespace, uid };

    const resolved = resolveTuningPlan(current);
    if (!resolved.ok) {
      await writeStatus(current, blockedTuningStatus(current, resolved.reason, resolved.message, now()), log);
      throw new TerminalError(`workspace ${key}: ${resolved.reason}: ${resolved.message}`);
    }

    const revision = tuningRevision(current);
    const observedJob = jobs.get(namespace, name) as V1Job | undefined;
    if (observedJob !== undefined && needsRollout(observedJob, revision)) {
      if (observedJob.metadata?.deletionTimestamp === undefined) {
        await mgr.client.delete(Resources.Job, { name, namespace }, { propagationPolicy: 'Background', ...(observedJob.metadata?.uid !== undefined ? { uid: observedJob.metadata.uid } : {}) });
        // The last run's progress must not show as the next run's: its ConfigMap is made anew with the Job.
        await mgr.client.delete(Resources.ConfigMap, { name: progressConfigMapName(name), namespace });
        log.info('deleted tuning job of an older revision', { job: name });
        events.publish({ involvedObject: current, type: 'Normal', reason: 'JobReplaced', message: `the tuning spec changed: deleted Job ${name} to run it again` });
      }
      return {}; // the Job's deletion event brings the next pass
    }
    const job = observedJob;
    const jobPods = (pods.byIndex(WORKSPACE_INDEX, key) as unknown as V1Pod[]).filter(
      (p) => p.metadata?.namespace === namespace && p.metadata.labels?.['job-name'] === name && job !== undefined && p.metadata.labels?.['controller-uid'] === job.metadata?.uid,
    );
    const outcome = jobOutcome(job, jobPods);
    const ended = outcome.kind === 'succeeded' || outcome.kind === 'failed';
    const progressCm = configMaps.get(namespace, progressConfigMapName(name)) as V1ConfigMap | undefined;
    const progress = job !== undefined ? readProgressReport(progressCm?.data?.[PROGRESS_KEY]) : undefined;

    if (job === undefined && succeededBefore(current)) {
      // This spec's run already succeeded and its Job is gone (deleted by hand, by a TTL, or by a
      // cleanup tool): the adapter is pushed, so running it again would only spend GPU time and
      // overwrite the image. A changed spec (new generation) runs again, as does a new Workspace.
      if (!(options.keepNodes ?? false)) await nodeRequests.release(requestsOf(key), log);
      log.debug('tuning already succeeded for this generation; its Job is gone, not rerun');
      return {};
    }

    let inputs: PreflightVerdict | undefined;
    if (job === undefined) {
      inputs = await runPreflight(current, namespace, log);
      if (!inputs.ok) {
        log.info('pre-flight refused', { reason: inputs.reason });
        await writeStatus(current, tuningStatus({ workspace: current, inputs, resource: { status: 'False', reason: inputs.reason, message: '', workerNodes: [] }, outcome, progress: undefined, now: now() }), log);
        return { requeueAfterMs: options.preflightRecheckMs ?? 30_000 };
      }
    }

    if (ended && !(options.keepNodes ?? false)) {
      const owned = requestsOf(key);
      await nodeRequests.release(owned, log);
      await writeStatus(current, tuningStatus({ workspace: current, inputs, resource: 'released', outcome, progress, now: now() }), log);
      return {};
    }
    const owned = await nodeRequests.ensure(current, identity, requestsOf(key), { count: 1, gpusPerNode: resolved.plan.gpusPerNode }, log);
    const requestNodes = owned.flatMap((r) => {
      const node = r.status.nodeName !== undefined ? nodes.get(undefined, r.status.nodeName) : undefined;
      return node !== undefined ? [node as Node] : [];
    });
    const resource = resourceReady({ workspace: current, targetNodeCount: 1, requests: owned, nodes: requestNodes });
    if (resource.status === 'True' && job === undefined) {
      await ensureJob(current, desiredTuningJob({ workspace: current, plan: resolved.plan, model: resolved.model, settings: options.job }), log);
    }
    await writeStatus(current, tuningStatus({ workspace: current, inputs, resource, outcome, progress, now: now() }), log);
    return {};
  }

  return {
    name: TUNING_CONTROLLER_NAME,
    concurrency: options.concurrency ?? 4,
    watches: [
      watch(Workspaces),
      watch(requestResource, { mapToKeys: labelledKey }),
      watch(NodeResource, { mapToKeys: labelledKey }),
      watch(Resources.Job, { mapToKeys: toControllerOwner(Workspaces) }),
      watch(Resources.ConfigMap, { mapToKeys: toControllerOwner(Workspaces) }),
      watch(Resources.Pod, { mapToKeys: podKey }),
    ],
    reconcile: (key, ctx) => reconcile(key, ctx.log),
  };
}
