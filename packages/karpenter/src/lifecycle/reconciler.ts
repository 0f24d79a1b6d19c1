/**
 * The provider-side lifecycle of one node request (Karpenter's `nodeclaim/lifecycle` controller),
 * written once for every provisioner and both APIs:
 *
 *     deleting? ─▶ finalize: delete Nodes (by providerID; listed instances' when none was recorded)
 *                → provider.delete until NotFound → drop Node and request finalizers
 *     Node deleted by someone? ─▶ delete the request (it finalizes next)
 *     finalizer ─▶ launch ─▶ register ─▶ initialize ─▶ liveness ─▶ one status write
 *
 * The decisions are pure (launch.ts, registration.ts, liveness.ts); this class does the I/O.
 * Reads come from a `LifecycleReader` (informer caches in a manager, live reads in tests); every
 * write of a list (finalizers, conditions, taints) is guarded by resourceVersion, so a stale read
 * costs a 409 and a requeue, never a lost update.
 */
import { type Clock, type EventRecorder, hasFinalizer, isNotFound, type KubeClient, type Logger, mergePatchFor, type Result } from '@kaito-ts/controller-runtime';
import { instanceRefOf, belongsTo, type CloudProvider, type Instance } from '../cloudprovider/types.js';
import { describeCause, isNotFoundError, TransientError } from '../cloudprovider/errors.js';
import { NodeResource, type NodeRequestClient } from '../client.js';
import type { Node } from '../codecs/node.js';
import { findCondition, setLifecycleCondition } from '../conditions.js';
import { ConditionTypes, TERMINATION_FINALIZER } from '../constants.js';
import type { NodeRequest, NodeRequestStatus } from '../node-request.js';
import { isDeleting, isInitialized, isRegistered } from '../predicates.js';
import { LifecycleEvents } from './events.js';
import { launchedStatus, launchFailedStatus, launchingStatus, launchIntentRecorded, launchLabels, planLaunch } from './launch.js';
import { planLiveness } from './liveness.js';
import { capacityRetryDelayMs, lifecycleOptions, type LifecycleOptions } from './options.js';
import { planInitialization, planRegistration } from './registration.js';

/** Where the lifecycle reads requests and Nodes from. */
export interface LifecycleReader {
  request(name: string): NodeRequest | undefined | Promise<NodeRequest | undefined>;
  nodesByProviderID(providerID: string): readonly Node[] | Promise<readonly Node[]>;
  node(name: string): Node | undefined | Promise<Node | undefined>;
}

export interface LifecycleDeps {
  readonly requests: NodeRequestClient;
  /** For Node writes. */
  readonly kube: KubeClient;
  readonly provider: CloudProvider;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly options?: Partial<LifecycleOptions>;
  /** Default: live reads through `kube` and `requests`. */
  readonly reader?: LifecycleReader;
  /** Which requests this provisioner owns (Karpenter's `IsManaged`). Default: all. */
  readonly isManaged?: (r: NodeRequest) => boolean;
}

export interface ReconcileScope {
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

/** Retry schedule after a transient launch failure (Karpenter's lifecycle limiter: 1 s → 60 s). */
const TRANSIENT_RETRY = { initialMs: 1_000, maxMs: 60_000 };

interface Attempts {
  readonly requestName: string;
  readonly attempts: number;
  readonly nextAttemptAt: number;
}

interface LaunchResult {
  readonly request: NodeRequest;
  readonly done: boolean;
  readonly requeueAfterMs?: number;
  /** The request was deleted; it finalizes next. */
  readonly deleted?: boolean;
}

export function liveReader(kube: KubeClient, requests: NodeRequestClient): LifecycleReader {
  return {
    request: (name) => requests.get(name),
    nodesByProviderID: async (providerID) => (await kube.list(NodeResource)).filter((n) => n.spec?.providerID === providerID),
    node: (name) => kube.find(NodeResource, name),
  };
}

const minDefined = (...values: (number | undefined)[]): number | undefined => {
  const defined = values.filter((v): v is number => v !== undefined && v > 0);
  return defined.length > 0 ? Math.min(...defined) : undefined;
};

export class NodeRequestLifecycle {
  readonly options: LifecycleOptions;
  readonly #d: LifecycleDeps;
  readonly #reader: LifecycleReader;
  /** Instances `create` returned whose status write has not landed yet, by request UID. */
  readonly #launched = new Map<string, Instance>();
  /** Failed launch attempts, by request UID: gates retries so status writes cannot make them hot. */
  readonly #attempts = new Map<string, Attempts>();

  constructor(deps: LifecycleDeps) {
    this.#d = deps;
    this.options = lifecycleOptions(deps.options);
    this.#reader = deps.reader ?? liveReader(deps.kube, deps.requests);
  }

  get api(): NodeRequest['api'] {
    return this.#d.requests.api;
  }

  async reconcile(name: string, scope: ReconcileScope): Promise<Result> {
    try {
      return await this.#reconcile(name, scope);
    } catch (err) {
      // The request vanished between the (cached) read and a write: nothing left to do.
      if (isNotFound(err) && (await this.#d.requests.get(name)) === undefined) {
        scope.log.debug('request is gone', { [this.api]: name });
        this.#forget(name);
        return {};
      }
      throw err;
    }
  }

  async #reconcile(name: string, scope: ReconcileScope): Promise<Result> {
    const found = await this.#reader.request(name);
    if (found === undefined) {
      this.#forget(name);
      return {};
    }
    if (this.#d.isManaged !== undefined && !this.#d.isManaged(found)) return {};
    const log = scope.log.child({ [this.api]: name, ...(found.status.providerID ? { providerID: found.status.providerID } : {}) });
    const nodes = found.status.providerID ? await this.#reader.nodesByProviderID(found.status.providerID) : [];
    if (isDeleting(found)) return this.#finalize(found, nodes, { ...scope, log });

    const deletedNode = nodes.find((n) => n.metadata.deletionTimestamp !== undefined);
    if (deletedNode !== undefined) {
      this.#d.events.publish(LifecycleEvents.nodeDeleted(found, deletedNode.metadata.name));
      log.info('node is being deleted, deleting its request', { node: deletedNode.metadata.name });
      await this.#d.requests.delete(name, found.metadata.uid !== undefined ? { uid: found.metadata.uid } : {});
      return {};
    }

    // The finalizer goes on before anything exists that it must clean up.
    let r = await this.#d.requests.addFinalizer(found, TERMINATION_FINALIZER);
    const launch = await this.#launch(r, { ...scope, log });
    r = launch.request;
    if (launch.deleted === true) return {};
    if (!launch.done) return this.#liveness(r, log, launch.requeueAfterMs);

    const now = new Date(this.#d.clock.now());
    const g = r.metadata.generation;
    let status: NodeRequestStatus = r.status;
    const wasRegistered = isRegistered(r);
    const wasInitialized = isInitialized(r);

    const reg = planRegistration(r, nodes);
    let conditions = setLifecycleCondition(status.conditions, reg.condition, now, g);
    let node = reg.node;
    if (node !== undefined && reg.desiredNode !== undefined) node = await this.#patchNode(node, reg.desiredNode);
    if (node !== undefined) {
      status = {
        ...status,
        nodeName: node.metadata.name,
        // Providers that learn capacity only from the Node (gpu-provisioner) leave it empty at launch.
        ...(Object.keys(status.capacity).length === 0 && node.status?.capacity ? { capacity: { ...node.status.capacity } } : {}),
        ...(Object.keys(status.allocatable).length === 0 && node.status?.allocatable ? { allocatable: { ...node.status.allocatable } } : {}),
      };
    }

    if (!wasInitialized) {
      const init = planInitialization(r, reg.condition.status === 'True' ? node : undefined);
      conditions = setLifecycleCondition(conditions, init.condition, now, g);
      if (node !== undefined && init.desiredNode !== undefined) node = await this.#patchNode(node, init.desiredNode);
    }

    r = await this.#d.requests.patchStatus(r, { ...status, conditions });
    if (!wasRegistered && isRegistered(r) && node !== undefined) {
      this.#d.events.publish(LifecycleEvents.registered(r, node.metadata.name));
      log.info('registered node', { node: node.metadata.name });
    }
    if (!wasInitialized && isInitialized(r) && node !== undefined) {
      this.#d.events.publish(LifecycleEvents.initialized(r, node.metadata.name));
      log.info('initialized node', { node: node.metadata.name });
    }
    return this.#liveness(r, log, isInitialized(r) ? undefined : this.options.registrationPollMs);
  }

  async #launch(r: NodeRequest, scope: ReconcileScope): Promise<LaunchResult> {
    const { provider, requests, clock } = this.#d;
    const uid = r.metadata.uid ?? r.metadata.name;
    const now = new Date(clock.now());
    const remembered = this.#launched.get(uid);
    const nextAttemptAt = this.#attempts.get(uid)?.nextAttemptAt;
    const step = planLaunch(r, {
      now,
      ...(remembered !== undefined ? { remembered } : {}),
      ...(nextAttemptAt !== undefined ? { nextAttemptAt } : {}),
    });
    switch (step.kind) {
      case 'launched':
        // A crash between the status write and the label write left labels out: the requirement ones can still be added.
        return { request: await requests.patchMetadata(r, { labels: launchLabels(r, { labels: {} }) }), done: true };
      case 'wait':
        return { request: r, done: false, requeueAfterMs: step.retryAfterMs };
      case 'adopt':
        return this.#recordLaunched(r, step.instance, scope);
      case 'link': {
        let instance: Instance;
        try {
          instance = await provider.get(step.providerID, scope.signal);
        } catch (err) {
          if (!isNotFoundError(err)) throw err;
          // Karpenter v1alpha5 deletes a Machine linked to no instance; retrying would leave it stuck with an empty status.
          this.#d.events.publish(LifecycleEvents.linkedInstanceGone(r, step.providerID));
          scope.log.warn('linked instance not found, deleting request', { linked: step.providerID });
          await requests.delete(r.metadata.name, r.metadata.uid !== undefined ? { uid: r.metadata.uid } : {});
          return { request: r, done: false, deleted: true };
        }
        return this.#recordLaunched(r, instance, scope);
      }
      case 'recordIntent':
        r = await requests.patchStatus(r, launchingStatus(r, provider.name, now));
        return this.#create(r, false, scope);
      case 'create':
        return this.#create(r, step.recover, scope);
    }
  }

  async #create(r: NodeRequest, recover: boolean, scope: ReconcileScope): Promise<LaunchResult> {
    const { provider, requests, clock, events } = this.#d;
    const uid = r.metadata.uid ?? r.metadata.name;
    if (recover) {
      // A create may have happened before a crash: adopt what the provider launched for this UID.
      const existing = (await provider.list(scope.signal)).find((i) => belongsTo(i, r) && i.state === 'Running' && i.providerID !== undefined);
      if (existing !== undefined) {
        scope.log.info('found an instance launched before a restart, adopting it', { instance: existing.name, providerID: existing.providerID });
        return this.#recordLaunched(r, existing, scope);
      }
    }
    let instance: Instance;
    try {
      instance = await provider.create(r, scope.signal);
      if (instance.providerID === undefined || instance.providerID === '') {
        throw new TransientError(`instance ${instance.name} has no providerID yet`);
      }
    } catch (err) {
      if (scope.signal?.aborted) throw err;
      const now = new Date(clock.now());
      const outcome = launchFailedStatus(r, err, now);
      const attempts = (this.#attempts.get(uid)?.attempts ?? 0) + 1;
      const delay = capacityRetryDelayMs(attempts, outcome.kind === 'capacity' ? this.options.capacityRetry : TRANSIENT_RETRY);
      this.#attempts.set(uid, { requestName: r.metadata.name, attempts, nextAttemptAt: now.getTime() + delay });
      events.publish(LifecycleEvents.launchFailed(r, outcome.reason, outcome.message));
      scope.log.warn('launch failed', { reason: outcome.reason, error: outcome.message, attempt: attempts, retryInMs: delay });
      const updated = await requests.patchStatus(r, outcome.status);
      if (outcome.kind === 'transient') throw new Error(`launching ${r.api} ${r.metadata.name}: ${outcome.message}`, { cause: err });
      return { request: updated, done: false, requeueAfterMs: delay };
    }
    this.#launched.set(uid, instance);
    this.#attempts.delete(uid);
    return this.#recordLaunched(r, instance, scope);
  }

  async #recordLaunched(r: NodeRequest, instance: Instance, scope: ReconcileScope): Promise<LaunchResult> {
    const uid = r.metadata.uid ?? r.metadata.name;
    let updated = await this.#d.requests.patchStatus(r, launchedStatus(r, instance, new Date(this.#d.clock.now())));
    this.#launched.delete(uid);
    this.#attempts.delete(uid);
    updated = await this.#d.requests.patchMetadata(updated, { labels: launchLabels(updated, instance) });
    this.#d.events.publish(LifecycleEvents.launched(updated, instance));
    scope.log.info('launched instance', { instance: instance.name, providerID: instance.providerID, instanceType: instance.instanceType });
    return { request: updated, done: true };
  }

  async #liveness(r: NodeRequest, log: Logger, requeueAfterMs: number | undefined): Promise<Result> {
    const verdict = planLiveness(r, new Date(this.#d.clock.now()), this.options);
    if (verdict.kind === 'expired') {
      this.#d.events.publish(LifecycleEvents.expired(r, verdict.reason, verdict.message));
      log.warn('liveness timeout, deleting request', { reason: verdict.reason });
      await this.#d.requests.delete(r.metadata.name, r.metadata.uid !== undefined ? { uid: r.metadata.uid } : {});
      return {};
    }
    const after = minDefined(requeueAfterMs, verdict.checkAgainInMs);
    return after !== undefined ? { requeueAfterMs: after } : {};
  }

  async #finalize(r: NodeRequest, nodes: readonly Node[], scope: ReconcileScope): Promise<Result> {
    if (!hasFinalizer(r, TERMINATION_FINALIZER)) return {};
    const { kube, provider, requests, events } = this.#d;
    const all = [...nodes];
    if (r.status.providerID === undefined && launchIntentRecorded(r)) {
      // A launch that crashed before recording the providerID may have booted an instance whose Node joined.
      for (const i of await provider.list(scope.signal)) {
        if (!belongsTo(i, r) || i.providerID === undefined || i.providerID === '') continue;
        for (const n of await this.#reader.nodesByProviderID(i.providerID)) if (!all.some((x) => x.metadata.name === n.metadata.name)) all.push(n);
      }
    }
    if (r.status.nodeName !== undefined && !all.some((n) => n.metadata.name === r.status.nodeName)) {
      const byName = await this.#reader.node(r.status.nodeName);
      if (byName !== undefined && (r.status.providerID === undefined || byName.spec?.providerID === r.status.providerID)) all.push(byName);
    }
    events.publish(LifecycleEvents.terminating(r));
    for (const n of all) {
      if (n.metadata.deletionTimestamp === undefined) {
        await kube.delete(NodeResource, { name: n.metadata.name }, n.metadata.uid !== undefined ? { uid: n.metadata.uid } : {});
        scope.log.info('deleted node', { node: n.metadata.name });
      }
    }
    try {
      await provider.delete(instanceRefOf(r), scope.signal);
      scope.log.debug('instance deletion in progress');
      return { requeueAfterMs: this.options.terminationPollMs };
    } catch (err) {
      if (!isNotFoundError(err)) throw new Error(`deleting the instance of ${r.api} ${r.metadata.name}: ${describeCause(err)}`, { cause: err });
    }
    // The instance is gone: release the Nodes, then the request.
    for (const n of all) {
      const fresh = await kube.find(NodeResource, n.metadata.name);
      if (fresh !== undefined && hasFinalizer(fresh, TERMINATION_FINALIZER)) await kube.removeFinalizer(NodeResource, fresh, TERMINATION_FINALIZER);
    }
    await requests.removeFinalizer(r, TERMINATION_FINALIZER);
    this.#forget(r.metadata.name, r.metadata.uid);
    scope.log.info(`deleted ${r.api}`);
    return {};
  }

  /** Writes the difference between `node` and `desired` (labels, annotations, finalizers, owners, taints), guarded by resourceVersion. */
  async #patchNode(node: Node, desired: Node): Promise<Node> {
    const pick = (n: Node) => ({
      metadata: {
        labels: n.metadata.labels ?? {},
        annotations: n.metadata.annotations ?? {},
        finalizers: n.metadata.finalizers ?? [],
        ownerReferences: n.metadata.ownerReferences ?? [],
      },
      spec: { taints: n.spec?.taints ?? [] },
    });
    const patch = mergePatchFor(pick(node), pick(desired)) as { metadata?: Record<string, unknown> } | undefined;
    if (patch === undefined) return node;
    const body = { ...patch, metadata: { ...patch.metadata, resourceVersion: node.metadata.resourceVersion } };
    return this.#d.kube.mergePatch(NodeResource, { name: node.metadata.name }, body);
  }

  #forget(name: string, uid?: string): void {
    for (const [key, instance] of this.#launched) if (key === uid || instance.requestName === name) this.#launched.delete(key);
    for (const [key, a] of this.#attempts) if (key === uid || a.requestName === name) this.#attempts.delete(key);
  }

  /** For tests and metrics: instances launched but not yet recorded in status. */
  get pendingLaunches(): number {
    return this.#launched.size;
  }
}

/** The Launched condition's reason, for logs. */
export function launchReason(r: NodeRequest): string | undefined {
  return findCondition(r.status.conditions, ConditionTypes.launched)?.reason;
}
