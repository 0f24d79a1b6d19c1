/** Runs the garbage-collection plan against the provider and the API server; `addProvisioner` runs a pass every `intervalMs`. */
import { type Clock, type EventRecorder, hasFinalizer, type KubeClient, type Logger } from '@kaito-ts/controller-runtime';
import { describeCause, isNotFoundError } from '../cloudprovider/errors.js';
import type { CloudProvider } from '../cloudprovider/types.js';
import { NodeResource, type NodeRequestClient } from '../client.js';
import type { Node } from '../codecs/node.js';
import { TERMINATION_FINALIZER } from '../constants.js';
import { LifecycleEvents } from '../lifecycle/events.js';
import type { NodeRequest } from '../node-request.js';
import { DEFAULT_GC_OPTIONS, type GcOptions, planGarbageCollection } from './plan.js';

export interface GcReader {
  requests(): readonly NodeRequest[] | Promise<readonly NodeRequest[]>;
  nodesByProviderID(providerID: string): readonly Node[] | Promise<readonly Node[]>;
}

export interface GarbageCollectorDeps {
  readonly requests: NodeRequestClient;
  readonly kube: KubeClient;
  readonly provider: CloudProvider;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly options?: Partial<GcOptions>;
  readonly reader?: GcReader;
  readonly isManaged?: (r: NodeRequest) => boolean;
}

export interface GcReport {
  readonly deletedInstances: readonly string[];
  readonly deletedRequests: readonly string[];
  /** The provider's reason the pass was skipped (nothing listed, nothing deleted). */
  readonly paused?: string;
}

export class GarbageCollector {
  readonly options: GcOptions;
  readonly #d: GarbageCollectorDeps;
  readonly #reader: GcReader;
  #suspects: ReadonlySet<string> = new Set();

  constructor(deps: GarbageCollectorDeps) {
    this.#d = deps;
    this.options = { ...DEFAULT_GC_OPTIONS, ...deps.options };
    this.#reader = deps.reader ?? {
      requests: () => deps.requests.list(),
      nodesByProviderID: async (providerID) => (await deps.kube.list(NodeResource)).filter((n) => n.spec?.providerID === providerID),
    };
  }

  /** One pass. Errors deleting one thing are logged and do not stop the others; the first is rethrown at the end. */
  async collect(scope: { log: Logger; signal?: AbortSignal }): Promise<GcReport> {
    const { provider, requests, kube, events, clock } = this.#d;
    // Before listing: a paused pass must not count as one of the two misses a vanished request needs either.
    const paused = await provider.garbageCollectionPause?.(scope.signal);
    if (paused !== undefined) {
      scope.log.info('garbage collection paused', { reason: paused });
      return { deletedInstances: [], deletedRequests: [], paused };
    }
    const instances = await provider.list(scope.signal);
    const all = await this.#reader.requests();
    const managed = this.#d.isManaged === undefined ? all : all.filter(this.#d.isManaged);
    const plan = planGarbageCollection({ instances, requests: managed, claimants: all, now: new Date(clock.now()), suspects: this.#suspects }, this.options);
    this.#suspects = plan.suspects;
    const deletedInstances: string[] = [];
    const deletedRequests: string[] = [];
    let firstError: unknown;

    for (const instance of plan.leakedInstances) {
      try {
        await provider.delete(instance, scope.signal).catch((err: unknown) => {
          if (!isNotFoundError(err)) throw err;
        });
        if (instance.providerID !== undefined) {
          for (const node of await this.#reader.nodesByProviderID(instance.providerID)) {
            const fresh = await kube.find(NodeResource, node.metadata.name);
            if (fresh === undefined) continue;
            if (hasFinalizer(fresh, TERMINATION_FINALIZER)) await kube.removeFinalizer(NodeResource, fresh, TERMINATION_FINALIZER);
            await kube.delete(NodeResource, { name: node.metadata.name });
          }
        }
        deletedInstances.push(instance.name);
        scope.log.info('deleted leaked instance', { instance: instance.name, providerID: instance.providerID, request: instance.requestName });
      } catch (err) {
        firstError ??= err;
        scope.log.error('could not delete leaked instance', { instance: instance.name, error: describeCause(err) });
      }
    }

    for (const r of plan.vanishedRequests) {
      try {
        events.publish(LifecycleEvents.instanceGone(r));
        await requests.delete(r.metadata.name, r.metadata.uid !== undefined ? { uid: r.metadata.uid } : {});
        deletedRequests.push(r.metadata.name);
        scope.log.info('deleted request whose instance is gone', { [r.api]: r.metadata.name, providerID: r.status.providerID });
      } catch (err) {
        firstError ??= err;
        scope.log.error('could not delete request', { [r.api]: r.metadata.name, error: describeCause(err) });
      }
    }
    if (firstError !== undefined) throw firstError;
    return { deletedInstances, deletedRequests };
  }
}
