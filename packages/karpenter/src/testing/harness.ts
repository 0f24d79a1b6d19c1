/**
 * A lifecycle under test: the real `NodeRequestLifecycle` and `KubeClient` against the controller
 * runtime's `FakeApiServer`, a `FakeCloudProvider`, a fake clock and recorded events. `restart()`
 * replaces the lifecycle with a fresh one (a new process: memory lost, cluster and cloud kept), so
 * tests can crash it at any point.
 */
import { KubeClient } from '@kaito-ts/controller-runtime';
import { FakeApiServer, FakeClock, FakeEventRecorder, silentLogger } from '@kaito-ts/controller-runtime/testing';
import { NodeResource, nodeRequestClient, nodeRequestOf, type NodeRequestObject, nodeRequestResource } from '../client.js';
import type { Node } from '../codecs/node.js';
import type { NodeRequestApi } from '../constants.js';
import { GarbageCollector } from '../gc/collector.js';
import type { GcOptions } from '../gc/plan.js';
import type { LifecycleOptions } from '../lifecycle/options.js';
import { NodeRequestLifecycle } from '../lifecycle/reconciler.js';
import type { NodeRequest } from '../node-request.js';
import { FakeCloudProvider } from './fake-cloud-provider.js';
import { makeMachine, makeNode, makeNodeClaim, type NodeOptions } from './factories.js';

export interface LifecycleHarnessOptions {
  readonly lifecycle?: Partial<LifecycleOptions>;
  readonly gc?: Partial<GcOptions>;
  readonly isManaged?: (r: NodeRequest) => boolean;
}

export type RequestOverrides = Parameters<typeof makeNodeClaim>[0] & Parameters<typeof makeMachine>[0];

export class LifecycleHarness {
  readonly api: NodeRequestApi;
  readonly clock = new FakeClock(new Date('2025-01-01T00:00:00Z'));
  readonly server = new FakeApiServer({ clock: this.clock });
  readonly kube = new KubeClient(this.server, { fieldManager: 'lifecycle-test' });
  readonly provider = new FakeCloudProvider({ now: () => this.clock.now() });
  readonly events = new FakeEventRecorder();
  readonly log = silentLogger();
  readonly #options: LifecycleHarnessOptions;
  #lifecycle: NodeRequestLifecycle;
  #gc: GarbageCollector;

  constructor(api: NodeRequestApi, options: LifecycleHarnessOptions = {}) {
    this.api = api;
    this.#options = options;
    this.#lifecycle = this.#newLifecycle();
    this.#gc = this.#newGc();
  }

  get requests() {
    return nodeRequestClient(this.kube, this.api);
  }

  get lifecycle(): NodeRequestLifecycle {
    return this.#lifecycle;
  }

  /** A new process: in-memory state is lost; the API server and the cloud keep theirs. */
  restart(): void {
    this.#lifecycle = this.#newLifecycle();
    this.#gc = this.#newGc();
  }

  reconcile(name: string) {
    return this.#lifecycle.reconcile(name, { log: this.log });
  }

  collectGarbage() {
    return this.#gc.collect({ log: this.log });
  }

  /** Stores a request (as `kubectl apply` would) and returns its name. */
  seedRequest(overrides: RequestOverrides = {}): string {
    const obj = this.api === 'machine' ? makeMachine(overrides) : makeNodeClaim(overrides);
    return this.server.seed(obj as NodeRequestObject).metadata.name;
  }

  async get(name: string): Promise<NodeRequest> {
    const r = await this.requests.get(name);
    if (r === undefined) throw new Error(`${this.api} ${name} not found`);
    return r;
  }

  /** The request as stored, in its API's own shape. */
  raw(name: string): NodeRequestObject | undefined {
    return this.server.get<NodeRequestObject>(nodeRequestResource(this.api), name);
  }

  exists(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  /** A Node joins for the request's instance (providerID from its status), with the unregistered taint by default. */
  async joinNode(name: string, options: NodeOptions = {}): Promise<Node> {
    const r = await this.get(name);
    const providerID = r.status.providerID;
    if (providerID === undefined) throw new Error(`${name} has no providerID yet`);
    return this.server.seed(makeNode({ providerID, taints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }], ...options }));
  }

  node(name: string): Node | undefined {
    return this.server.get<Node>(NodeResource, name);
  }

  nodes(): Node[] {
    return this.server.list<Node>(NodeResource);
  }

  nodeRequest(obj: NodeRequestObject): NodeRequest {
    return nodeRequestOf(this.api, obj);
  }

  #newLifecycle(): NodeRequestLifecycle {
    return new NodeRequestLifecycle({
      requests: this.requests,
      kube: this.kube,
      provider: this.provider,
      events: this.events,
      clock: this.clock,
      ...(this.#options.lifecycle !== undefined ? { options: this.#options.lifecycle } : {}),
      ...(this.#options.isManaged !== undefined ? { isManaged: this.#options.isManaged } : {}),
    });
  }

  #newGc(): GarbageCollector {
    return new GarbageCollector({
      requests: this.requests,
      kube: this.kube,
      provider: this.provider,
      events: this.events,
      clock: this.clock,
      ...(this.#options.gc !== undefined ? { options: this.#options.gc } : {}),
      ...(this.#options.isManaged !== undefined ? { isManaged: this.#options.isManaged } : {}),
    });
  }
}
