/**
 * Termination: how a request ends (Karpenter v1 `nodeclaim/lifecycle` finalizer path and
 * `termination.go`, for the provider's side). It runs before the other aspects: when it acts, they
 * do not run.
 *
 *     request deleting ─▶ delete its Nodes (by providerID; a crashed launch's by listing the
 *                         provider) → provider.delete until NotFound, polling → drop the Nodes'
 *                         and the request's finalizers
 *     its Node deleting ─▶ delete the request (it finalizes next)
 *
 * The finalizers go only once the provider says the instance is gone, so nothing leaks.
 */
import { hasFinalizer, type Result } from '@kaito-ts/controller-runtime';
import { describeCause, isNotFoundError } from '../cloudprovider/errors.js';
import { belongsTo, instanceRefOf } from '../cloudprovider/types.js';
import { NodeResource } from '../client.js';
import type { Node } from '../codecs/node.js';
import { TERMINATION_FINALIZER } from '../constants.js';
import type { NodeRequest } from '../node-request.js';
import { isDeleting } from '../predicates.js';
import { type AspectDeps, deleteRequest, type Observed, type ReconcileScope } from './context.js';
import { LifecycleEvents } from './events.js';
import { launchIntentRecorded } from './launch.js';

/** The first of the request's Nodes that someone is deleting. */
export function deletedNode(nodes: readonly Node[]): Node | undefined {
  return nodes.find((n) => n.metadata.deletionTimestamp !== undefined);
}

export class Termination {
  readonly name = 'termination';
  readonly #d: AspectDeps;

  constructor(deps: AspectDeps) {
    this.#d = deps;
  }

  /** The result when the request is ending (the other aspects must not run); undefined otherwise. */
  async reconcile(o: Observed, scope: ReconcileScope): Promise<Result | undefined> {
    const r = o.request;
    if (isDeleting(r)) return this.#finalize(r, o.nodes, scope);
    const node = deletedNode(o.nodes);
    if (node === undefined) return undefined;
    this.#d.events.publish(LifecycleEvents.nodeDeleted(r, node.metadata.name));
    scope.log.info('node is being deleted, deleting its request', { node: node.metadata.name });
    await deleteRequest(this.#d.requests, r);
    return {};
  }

  async #finalize(r: NodeRequest, nodes: readonly Node[], scope: ReconcileScope): Promise<Result> {
    if (!hasFinalizer(r, TERMINATION_FINALIZER)) return {};
    const { kube, provider, requests, events, options } = this.#d;
    const all = await this.#nodesOf(r, nodes, scope);
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
      return { requeueAfterMs: options.terminationPollMs };
    } catch (err) {
      if (!isNotFoundError(err)) throw new Error(`deleting the instance of ${r.api} ${r.metadata.name}: ${describeCause(err)}`, { cause: err });
    }
    // The instance is gone: release the Nodes, then the request.
    for (const n of all) {
      const fresh = await kube.find(NodeResource, n.metadata.name);
      if (fresh !== undefined && hasFinalizer(fresh, TERMINATION_FINALIZER)) await kube.removeFinalizer(NodeResource, fresh, TERMINATION_FINALIZER);
    }
    await requests.removeFinalizer(r, TERMINATION_FINALIZER);
    scope.log.info(`deleted ${r.api}`);
    return {};
  }

  /** Every Node that may belong to the request: by providerID, by a crashed launch's instances, by `status.nodeName`. */
  async #nodesOf(r: NodeRequest, nodes: readonly Node[], scope: ReconcileScope): Promise<Node[]> {
    const { provider, reader } = this.#d;
    const all = [...nodes];
    const add = (n: Node): void => {
      if (!all.some((x) => x.metadata.name === n.metadata.name)) all.push(n);
    };
    if (r.status.providerID === undefined && launchIntentRecorded(r)) {
      // A launch that crashed before recording the providerID may have booted an instance whose Node joined.
      for (const i of await provider.list(scope.signal)) {
        if (!belongsTo(i, r) || i.providerID === undefined || i.providerID === '') continue;
        for (const n of await reader.nodesByProviderID(i.providerID)) add(n);
      }
    }
    if (r.status.nodeName !== undefined && !all.some((n) => n.metadata.name === r.status.nodeName)) {
      const byName = await reader.node(r.status.nodeName);
      if (byName !== undefined && (r.status.providerID === undefined || byName.spec?.providerID === r.status.providerID)) all.push(byName);
    }
    return all;
  }
}
