/**
 * The provider-side lifecycle of one node request (Karpenter's `nodeclaim/lifecycle` controller),
 * written once for every provisioner and both APIs. One module per aspect, each holding its plan
 * (pure) and its I/O; this reconciler reads the request and its Nodes and runs them in order:
 *
 *     termination (termination.ts)   request deleting, or its Node deleted? ─▶ that, and stop
 *     finalizer                      persisted before anything exists that it must clean up
 *     launch (launch.ts)             crash-safe create, or adopt; failures recorded with a retry time
 *     registration (registration.ts) sync the Node with the providerID, record it
 *     initialization (initialization.ts) Node Ready, startup taints gone, resources allocatable
 *     liveness (liveness.ts)         not launched / registered in time ─▶ delete
 *
 * Each aspect writes what it decided and hands the stored request and Nodes to the next; one that
 * deletes the request ends the pass. The result is the soonest `requeueAfterMs` any aspect asked
 * for: the work queue is the one retry clock (retry.ts says how failures come back).
 *
 * Reads come from a `LifecycleReader` (informer caches in a manager, live reads in tests); every
 * write of a list (finalizers, conditions, taints) is guarded by resourceVersion, so a stale read
 * costs a 409 and a requeue, never a lost update.
 */
import { type Clock, type EventRecorder, isNotFound, type KubeClient, type Result } from '@kaito-ts/controller-runtime';
import type { CloudProvider } from '../cloudprovider/types.js';
import type { NodeRequestClient } from '../client.js';
import { TERMINATION_FINALIZER } from '../constants.js';
import type { NodeRequest } from '../node-request.js';
import { type AspectDeps, type LifecycleAspect, type LifecycleReader, liveReader, type Observed, type ReconcileScope } from './context.js';
import { Initialization } from './initialization.js';
import { Launch } from './launch.js';
import { Liveness } from './liveness.js';
import { lifecycleOptions, type LifecycleOptions } from './options.js';
import { Registration } from './registration.js';
import { Termination } from './termination.js';

export { type LifecycleReader, liveReader, type ReconcileScope } from './context.js';

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

/** The sooner of two optional waits (a non-positive one counts as none). */
function soonest(a: number | undefined, b: number | undefined): number | undefined {
  const waits = [a, b].filter((ms): ms is number => ms !== undefined && ms > 0);
  return waits.length > 0 ? Math.min(...waits) : undefined;
}

export class NodeRequestLifecycle {
  readonly options: LifecycleOptions;
  readonly #d: AspectDeps;
  readonly #isManaged: ((r: NodeRequest) => boolean) | undefined;
  readonly #termination: Termination;
  readonly #launch: Launch;
  /** In order; each starts from what the one before stored. */
  readonly #aspects: readonly LifecycleAspect[];

  constructor(deps: LifecycleDeps) {
    this.options = lifecycleOptions(deps.options);
    this.#d = {
      requests: deps.requests,
      kube: deps.kube,
      provider: deps.provider,
      events: deps.events,
      clock: deps.clock,
      options: this.options,
      reader: deps.reader ?? liveReader(deps.kube, deps.requests),
    };
    this.#isManaged = deps.isManaged;
    this.#termination = new Termination(this.#d);
    this.#launch = new Launch(this.#d);
    this.#aspects = [this.#launch, new Registration(this.#d), new Initialization(this.#d), new Liveness(this.#d)];
  }

  get api(): NodeRequest['api'] {
    return this.#d.requests.api;
  }

  /** For tests and metrics: instances launched but not yet recorded in status. */
  get pendingLaunches(): number {
    return this.#launch.pending;
  }

  async reconcile(name: string, scope: ReconcileScope): Promise<Result> {
    try {
      return await this.#reconcile(name, scope);
    } catch (err) {
      // The request vanished between the (cached) read and a write: nothing left to do.
      if (isNotFound(err) && (await this.#d.requests.get(name)) === undefined) {
        scope.log.debug('request is gone', { [this.api]: name });
        this.#launch.forget(name);
        return {};
      }
      throw err;
    }
  }

  async #reconcile(name: string, scope: ReconcileScope): Promise<Result> {
    const { reader, requests } = this.#d;
    const found = await reader.request(name);
    if (found === undefined) {
      this.#launch.forget(name);
      return {};
    }
    if (this.#isManaged !== undefined && !this.#isManaged(found)) return {};
    const log = scope.log.child({ [this.api]: name, ...(found.status.providerID ? { providerID: found.status.providerID } : {}) });
    const aspectScope: ReconcileScope = { ...scope, log };
    const nodes = found.status.providerID ? await reader.nodesByProviderID(found.status.providerID) : [];

    const ended = await this.#termination.reconcile({ request: found, nodes }, aspectScope);
    if (ended !== undefined) {
      if (ended.requeueAfterMs === undefined) this.#launch.forget(name, found.metadata.uid);
      return ended;
    }

    let observed: Observed = { request: await requests.addFinalizer(found, TERMINATION_FINALIZER), nodes };
    let requeueAfterMs: number | undefined;
    for (const aspect of this.#aspects) {
      const out = await aspect.reconcile(observed, aspectScope);
      if (out.deleted === true) return {};
      requeueAfterMs = soonest(requeueAfterMs, out.requeueAfterMs);
      observed = { request: out.request, nodes: out.nodes };
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : {};
  }
}
