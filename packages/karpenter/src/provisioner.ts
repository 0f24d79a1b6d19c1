/**
 * Wiring a provisioner for one node-request API and one CloudProvider on a controller-runtime
 * `Manager` (shared informer caches, work queue, leader election, events, metrics): the lifecycle
 * controller, and garbage collection as a leader-only periodic task that first waits for the
 * request and Node caches (an empty cache right after a restart would make every live instance
 * look leaked). A provisioner's `main.ts` is this plus its CloudProvider:
 *
 *     const mgr = new Manager({ kubeConfig, logger, name: 'kwok-provisioner', leaderElection: … });
 *     addProvisioner(mgr, { api: 'nodeclaim', provider });
 *     await mgr.start({ handleSignals: true });
 */
import { type Clock, type Controller, type Manager, type Periodic, realClock, watch } from '@kaito-ts/controller-runtime';
import type { CloudProvider } from './cloudprovider/types.js';
import { NodeResource, nodeRequestClient, type NodeRequestObject, nodeRequestOf, nodeRequestResource } from './client.js';
import type { Node } from './codecs/node.js';
import { MACHINE_KIND, NODECLAIM_KIND, type NodeRequestApi } from './constants.js';
import { GarbageCollector } from './gc/collector.js';
import type { GcOptions } from './gc/plan.js';
import type { LifecycleOptions } from './lifecycle/options.js';
import { type LifecycleReader, NodeRequestLifecycle } from './lifecycle/reconciler.js';
import type { NodeRequest } from './node-request.js';

export const PROVIDER_ID_INDEX = 'providerID';
/** Requests and Nodes by the provider's `nodeClaimKey` (only when the provider has one). */
export const CLAIM_KEY_INDEX = 'claimKey';

export interface ProvisionerOptions {
  readonly api: NodeRequestApi;
  readonly provider: CloudProvider;
  readonly lifecycle?: Partial<LifecycleOptions>;
  readonly gc?: Partial<GcOptions>;
  /** Which requests this provisioner owns. Default: all of the API's requests. */
  readonly isManaged?: (r: NodeRequest) => boolean;
  /** Requests reconciled at once; `create` may block for minutes on a real cloud. Default 10. */
  readonly concurrency?: number;
  /** Event source component. Default `<provider>-provisioner`. */
  readonly component?: string;
  readonly clock?: Clock;
}

export interface Provisioner {
  readonly lifecycle: NodeRequestLifecycle;
  readonly gc: GarbageCollector;
  /** What was added to the manager, for tests and logs. */
  readonly controller: Controller;
  readonly gcTask: Periodic;
}

const providerIDOf = (obj: { status?: { providerID?: string } }): string[] => (obj.status?.providerID ? [obj.status.providerID] : []);

/** Adds the lifecycle controller and the GC task, with their caches and indexes, to `mgr` (before `mgr.start`). */
export function addProvisioner(mgr: Manager, o: ProvisionerOptions): Provisioner {
  const resource = nodeRequestResource(o.api);
  const kind = o.api === 'machine' ? MACHINE_KIND : NODECLAIM_KIND;
  const claimKey = o.provider.nodeClaimKey;
  const keyOf = (key: string | undefined): string[] => (key === undefined || key === '' ? [] : [key]);
  const requestCache = mgr.informer(resource, {
    indexers: {
      [PROVIDER_ID_INDEX]: (obj: NodeRequestObject) => providerIDOf(obj),
      ...(claimKey !== undefined ? { [CLAIM_KEY_INDEX]: (obj: NodeRequestObject) => keyOf(claimKey.ofRequest(nodeRequestOf(o.api, obj))) } : {}),
    },
  });
  const nodeCache = mgr.informer(NodeResource, {
    indexers: {
      [PROVIDER_ID_INDEX]: (n: Node) => (n.spec?.providerID ? [n.spec.providerID] : []),
      ...(claimKey !== undefined ? { [CLAIM_KEY_INDEX]: (n: Node) => keyOf(claimKey.ofNode(n)) } : {}),
    },
  });
  const client = nodeRequestClient(mgr.client, o.api);
  const events = mgr.eventRecorder(o.component ?? `${o.provider.name}-provisioner`);
  const clock = o.clock ?? realClock;
  const toRequest = (obj: NodeRequestObject | undefined): NodeRequest | undefined => (obj === undefined ? undefined : nodeRequestOf(o.api, obj));

  const reader: LifecycleReader = {
    request: (name) => toRequest(requestCache.getByKey(name)),
    nodesByProviderID: (providerID) => nodeCache.byIndex(PROVIDER_ID_INDEX, providerID),
    node: (name) => nodeCache.getByKey(name),
    ...(claimKey !== undefined ? { nodesByClaimKey: (key: string) => nodeCache.byIndex(CLAIM_KEY_INDEX, key) } : {}),
  };
  const lifecycle = new NodeRequestLifecycle({
    requests: client,
    kube: mgr.client,
    provider: o.provider,
    events,
    clock,
    reader,
    ...(o.lifecycle !== undefined ? { options: o.lifecycle } : {}),
    ...(o.isManaged !== undefined ? { isManaged: o.isManaged } : {}),
  });
  const gc = new GarbageCollector({
    requests: client,
    kube: mgr.client,
    provider: o.provider,
    events,
    clock,
    reader: {
      requests: () => {
        // Before the first list, an empty cache would make every instance look unclaimed (leaked).
        if (!requestCache.hasSynced || !nodeCache.hasSynced) throw new Error(`garbage collection: the ${kind} and Node caches are not synced yet`);
        return requestCache.list().map((obj) => nodeRequestOf(o.api, obj));
      },
      nodesByProviderID: (providerID) => nodeCache.byIndex(PROVIDER_ID_INDEX, providerID),
    },
    ...(o.gc !== undefined ? { options: o.gc } : {}),
    ...(o.isManaged !== undefined ? { isManaged: o.isManaged } : {}),
  });

  /**
   * A Node maps to the request that lists its providerID, that owns it, or (with a provider's
   * `nodeClaimKey`) whose key it carries: a joining Node wakes a request that has not learnt its
   * providerID yet, instead of leaving it to its retry backoff.
   */
  const nodeToRequests = (node: Node): string[] => {
    const keys = new Set<string>();
    if (node.spec?.providerID) for (const r of requestCache.byIndex(PROVIDER_ID_INDEX, node.spec.providerID)) keys.add(r.metadata.name);
    for (const key of claimKey !== undefined ? keyOf(claimKey.ofNode(node)) : []) for (const r of requestCache.byIndex(CLAIM_KEY_INDEX, key)) keys.add(r.metadata.name);
    for (const ref of node.metadata.ownerReferences ?? []) if (ref.kind === kind && ref.apiVersion === resource.apiVersion) keys.add(ref.name);
    return [...keys];
  };

  const lifecycleController: Controller = {
    name: `${o.api}.lifecycle`,
    concurrency: o.concurrency ?? 10,
    backoff: { baseMs: 1_000, maxMs: 60_000 },
    watches: [watch(resource), watch(NodeResource, { mapToKeys: nodeToRequests })],
    reconcile: (key, ctx) => lifecycle.reconcile(key, { log: ctx.log, signal: ctx.signal }),
  };

  const gcTask: Periodic = {
    name: `${o.api}.garbagecollection`,
    intervalMs: gc.options.intervalMs,
    waitForCaches: [resource, NodeResource],
    run: async (ctx) => {
      await gc.collect(ctx);
    },
  };
  mgr.add(lifecycleController);
  mgr.addPeriodic(gcTask);
  return { lifecycle, gc, controller: lifecycleController, gcTask };
}
