/**
 * What every aspect of the lifecycle (launch, registration, initialization, liveness, termination)
 * is given and hands back. The reconciler (reconciler.ts) reads the request and its Nodes once,
 * then passes them through the aspects in order; each aspect plans with pure functions, does its
 * own writes, and returns what is now stored, so the next aspect starts from it.
 */
import type { Clock, EventRecorder, KubeClient, Logger } from '@kaito-ts/controller-runtime';
import type { CloudProvider } from '../cloudprovider/types.js';
import { NodeResource, type NodeRequestClient } from '../client.js';
import type { Node } from '../codecs/node.js';
import type { NodeRequest } from '../node-request.js';
import type { LifecycleOptions } from './options.js';

/** Where the lifecycle reads requests and Nodes from. */
export interface LifecycleReader {
  request(name: string): NodeRequest | undefined | Promise<NodeRequest | undefined>;
  nodesByProviderID(providerID: string): readonly Node[] | Promise<readonly Node[]>;
  node(name: string): Node | undefined | Promise<Node | undefined>;
  /** Nodes whose `provider.nodeClaimKey.ofNode` is `key` (absent: the reader cannot tell, and launch waits out its backoff). */
  nodesByClaimKey?(key: string): readonly Node[] | Promise<readonly Node[]>;
}

/** Live reads through the API (tests, tools); a manager passes its informer caches instead. */
export function liveReader(kube: KubeClient, requests: NodeRequestClient): LifecycleReader {
  return {
    request: (name) => requests.get(name),
    nodesByProviderID: async (providerID) => (await kube.list(NodeResource)).filter((n) => n.spec?.providerID === providerID),
    node: (name) => kube.find(NodeResource, name),
  };
}

/** What the aspects share: clients, the provider, events, the clock and the settings. */
export interface AspectDeps {
  readonly requests: NodeRequestClient;
  /** For Node writes. */
  readonly kube: KubeClient;
  readonly provider: CloudProvider;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly options: LifecycleOptions;
  readonly reader: LifecycleReader;
}

export interface ReconcileScope {
  readonly log: Logger;
  /** Aborted when the process stops: a provider call in flight gives up. */
  readonly signal?: AbortSignal;
}

/** The request and the Nodes that carry its providerID, as last read or written. */
export interface Observed {
  readonly request: NodeRequest;
  readonly nodes: readonly Node[];
}

export interface AspectResult extends Observed {
  /**
   * When this aspect wants to look again. The work queue is the lifecycle's only clock: nothing
   * sleeps or keeps a timer; the reconciler returns the soonest of these as `requeueAfterMs`.
   */
  readonly requeueAfterMs?: number;
  /** The request was deleted: the aspects after this one do not run (it finalizes next). */
  readonly deleted?: boolean;
}

export interface LifecycleAspect {
  /** For logs: `launch`, `registration`, `initialization`, `liveness`. */
  readonly name: string;
  reconcile(observed: Observed, scope: ReconcileScope): Promise<AspectResult>;
}

/** Deletes the request, guarded by its UID so a newer object of the same name is never hit. */
export function deleteRequest(requests: NodeRequestClient, r: NodeRequest): Promise<boolean> {
  return requests.delete(r.metadata.name, r.metadata.uid !== undefined ? { uid: r.metadata.uid } : {});
}
