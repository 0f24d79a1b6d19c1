import { randomUUID } from 'node:crypto';
import { ConditionType, Reason, WORKSPACE_FINALIZER, type Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { type Controller, type KubeObject, Manager, Resources, type ResourceType, TerminalError } from '@kaito-ts/controller-runtime';
import { FakeApiServer, FakeEventRecorder, silentLogger } from '@kaito-ts/controller-runtime/testing';
import { MachineResource, type NodeRequestApi, NodeClaimResource, NodeResource, nodeRequestClient, nodeRequestResource } from '@kaito-ts/karpenter';
import { makeNode } from '@kaito-ts/karpenter/testing';
import { makePod } from '../../testing/pods.js';
import { workspaceController } from './controller.js';
import type { ProvisioningMode } from './plan.js';
import { Workspaces } from './resources.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const KEY = 'default/workspace-phi-3';
const SKU = 'Standard_NC6s_v3';

/** Polls `fn` (real time: real informers run on the fake API server). */
async function until(fn: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A manager whose caches run on a FakeApiServer, with the controller built but driven by hand. */
class World {
  readonly server = new FakeApiServer({
    resources: [
      { resource: Workspaces, status: true },
      { resource: NodeClaimResource, status: true },
      { resource: MachineResource, status: true },
    ],
  });
  readonly events = new FakeEventRecorder();
  readonly mgr = new Manager({ transport: this.server, logger: silentLogger(), metricsPort: false, healthPort: false, processMetrics: false });
  readonly controller: Controller;
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;
  /** The controller's clock: NOW until a test moves it. */
  now = NOW;

  /** `statusMessageHoldMs` 0 unless a test is about the hold: the other tests read each message as soon as it is known. */
  constructor(
    readonly api: NodeRequestApi = 'nodeclaim',
    provisioning: ProvisioningMode = 'auto',
    statusMessageHoldMs = 0,
  ) {
    this.controller = workspaceController(this.mgr, { api, events: this.events, now: () => this.now, provisioning, statusMessageHoldMs });
  }

  statusWrites(): number {
    return this.server.writes().filter((w) => w.path.endsWith('/workspaces/workspace-phi-3/status')).length;
  }

  get requestResource(): ResourceType {
    return nodeRequestResource(this.api) as unknown as ResourceType;
  }

  async start(): Promise<void> {
    this.#running = this.mgr.start({ signal: this.#stop.signal });
    await this.synced();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  /** Waits until every cache the controller reads holds exactly what the server holds. */
  async synced(): Promise<void> {
    const resources = [Workspaces, this.requestResource, NodeResource, Resources.StatefulSet, Resources.Service, Resources.Pod] as ResourceType[];
    const fingerprint = (objs: readonly KubeObject[]) =>
      objs
        .map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}@${o.metadata.resourceVersion ?? ''}`)
        .sort()
        .join(',');
    await until(() => resources.every((r) => fingerprint(this.mgr.informer(r).list()) === fingerprint(this.server.list(r))), 'the caches to catch up');
  }

  async reconcile(): Promise<void> {
    await this.controller.reconcile(KEY, {
      controller: 'workspace',
      key: KEY,
      namespace: 'default',
      name: 'workspace-phi-3',
      reconcileID: randomUUID(),
      log: silentLogger(),
      signal: this.#stop.signal,
    });
  }

  /** Reconcile on caches that have caught up with the last pass's writes. */
  async settle(): Promise<void> {
    await this.synced();
    await this.reconcile();
  }

  workspace(): Workspace {
    const ws = this.server.get<Workspace>(Workspaces, 'workspace-phi-3', 'default');
    if (ws === undefined) throw new Error('workspace is gone');
    return ws;
  }

  condition(type: string) {
    return this.workspace().status?.conditions?.find((c) => c.type === type);
  }

  requests(): KubeObject[] {
    return this.server.list(this.requestResource);
  }

  /** What a provisioner does: the request launches, its Ready GPU node registers. */
  async provision(instanceType = SKU): Promise<void> {
    const client = nodeRequestClient(this.mgr.client, this.api);
    for (const obj of this.requests()) {
      const name = obj.metadata.name;
      const current = await client.get(name);
      if (current === undefined) continue;
      const cond = (type: string) => ({ type, status: 'True' as const, reason: type, message: '', lastTransitionTime: NOW.toISOString() });
      this.server.seed(makeNode({ metadata: { name: `node-${name}`, labels: { ...obj.metadata.labels } }, providerID: `fake:///${name}`, instanceType }));
      await client.patchStatus(current, {
        ...current.status,
        providerID: `fake:///${name}`,
        nodeName: `node-${name}`,
        conditions: ['Launched', 'Registered', 'Initialized', 'Ready'].map(cond),
      });
    }
  }
}

function seedWorkspace(world: World, overrides: Parameters<typeof makeInferenceWorkspace>[0] = {}): Workspace {
  return world.server.seed(makeInferenceWorkspace({ inference: { preset: { name: 'phi-3-mini-4k-instruct' } }, ...overrides }) as unknown as KubeObject) as unknown as Workspace;
}

let world: World;
afterEach(async () => {
  await world.stop();
});

describe('workspaceController: the inference reconcile', () => {
  it('persists the finalizer before it creates a node request', async () => {
    world = new World();
    seedWorkspace(world);
    await world.start();
    await world.reconcile();

    const writes = world.server.writes().map((w) => `${w.method} ${w.path}`);
    const finalizer = writes.findIndex((w) => w.startsWith('PATCH') && w.includes('/workspaces/workspace-phi-3') && !w.endsWith('/status'));
    const create = writes.findIndex((w) => w.startsWith('POST') && w.includes('/nodeclaims'));
    expect(finalizer).toBeGreaterThanOrEqual(0);
    expect(create).toBeGreaterThan(finalizer);
    expect(world.workspace().metadata.finalizers).toEqual([WORKSPACE_FINALIZER]);
  });

  it.each(['nodeclaim', 'machine'] as const)('creates the planned %s once, even when reconciled twice before its cache saw the first', async (api) => {
    world = new World(api);
    seedWorkspace(world, { metadata: { finalizers: [WORKSPACE_FINALIZER] } });
    await world.start();
    // Two passes on the same cache state: the second cannot have seen the first one's create.
    await Promise.all([world.reconcile(), world.reconcile()]);
    await world.settle();

    const requests = world.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.metadata.labels).toMatchObject({ 'kaito.sh/workspace': 'workspace-phi-3', 'kaito.sh/workspacenamespace': 'default' });
    expect(world.condition(ConditionType.ResourceReady)).toMatchObject({ status: 'False', reason: Reason.NodeNotLaunched });
    expect(world.workspace().status?.targetNodeCount).toBe(1);
  });

  it('creates no StatefulSet until the nodes are ready, then the StatefulSet and both Services', async () => {
    world = new World();
    seedWorkspace(world);
    await world.start();
    await world.reconcile();
    await world.settle();
    expect(world.server.list(Resources.StatefulSet)).toEqual([]);
    expect(world.server.list(Resources.Service)).toEqual([]);

    await world.provision();
    await world.settle();

    const sts = world.server.get<KubeObject & { spec?: { replicas?: number } }>(Resources.StatefulSet, 'workspace-phi-3', 'default');
    expect(sts?.spec?.replicas).toBe(1);
    expect(sts?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Workspace', name: 'workspace-phi-3', controller: true });
    const service = world.server.get<KubeObject & { spec?: { ports?: unknown[] } }>(Resources.Service, 'workspace-phi-3', 'default');
    expect(service?.spec?.ports).toEqual([{ name: 'http', port: 80, targetPort: 5000, protocol: 'TCP' }]);
    expect(world.server.get(Resources.Service, 'workspace-phi-3-headless', 'default')).toBeDefined();
    expect(world.condition(ConditionType.ResourceReady)).toMatchObject({ status: 'True', reason: Reason.NodesReady });
    expect(world.condition(ConditionType.InferenceReady)).toMatchObject({ status: 'False', reason: Reason.InferencePending });
    expect(world.workspace().status?.workerNodes).toEqual([`node-${world.requests()[0]?.metadata.name ?? ''}`]);
  });

  it('reports Ready once the pod is Ready, with an Event for that news only', async () => {
    world = new World();
    seedWorkspace(world);
    await world.start();
    await world.reconcile();
    await world.provision();
    await world.settle();
    const pod = makePod();
    world.server.seed({ ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata, name: 'workspace-phi-3-0', namespace: 'default' } } as unknown as KubeObject);
    await world.settle();

    expect(world.condition(ConditionType.InferenceReady)).toMatchObject({ status: 'True', reason: Reason.InferenceReady, observedGeneration: 1 });
    expect(world.condition(ConditionType.WorkspaceReady)).toMatchObject({ status: 'True', reason: Reason.WorkspaceReady });
    expect(world.workspace().status?.state).toBe('Ready');
    // The expected steps of a new Workspace (pending, nodes ready, StatefulSet created, pods
    // ready) are not news; the summary speaks once, when it flips. Kaito emits the node request's.
    expect(world.events.reasons()).toEqual(['NodeRequestCreated', Reason.WorkspaceReady]);
  });

  it('holds back a change of condition messages alone, and writes it with the next transition or once the hold has passed', async () => {
    world = new World('nodeclaim', 'auto', 10_000);
    seedWorkspace(world, { resource: { count: 2, instanceType: 'Standard_NC24ads_A100_v4' }, inference: { preset: { name: 'falcon-40b-instruct' } } });
    await world.start();
    await world.reconcile();
    await world.provision('Standard_NC24ads_A100_v4');
    await world.settle();
    await world.settle();
    const pending = world.condition(ConditionType.InferenceReady);
    expect(pending).toMatchObject({ status: 'False', reason: Reason.InferencePending, message: '0/2 inference pods ready; 2 pod(s) not created yet' });
    const writes = world.statusWrites();

    const pod = makePod();
    const seedPod = (name: string) => world.server.seed({ ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata, name, namespace: 'default' } } as unknown as KubeObject);
    seedPod('workspace-phi-3-0');
    await world.settle();
    expect([world.statusWrites(), world.condition(ConditionType.InferenceReady)?.message]).toEqual([writes, pending?.message]);

    world.now = new Date(NOW.getTime() + 10_000);
    await world.settle();
    expect([world.statusWrites(), world.condition(ConditionType.InferenceReady)?.message]).toEqual([writes + 1, '1/2 inference pods ready; 1 pod(s) not created yet']);

    // A transition is written at once, whatever is held.
    seedPod('workspace-phi-3-1');
    await world.settle();
    expect(world.condition(ConditionType.InferenceReady)).toMatchObject({ status: 'True', message: '2/2 inference pods ready' });
  });

  it('does not write a status again, nor repeat its Events, when reconciled before its cache saw the write', async () => {
    world = new World();
    seedWorkspace(world, { metadata: { finalizers: [WORKSPACE_FINALIZER] } });
    await world.start();
    await world.reconcile();
    await world.provision();
    await world.settle();
    const pod = makePod();
    world.server.seed({ ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata, name: 'workspace-phi-3-0', namespace: 'default' } } as unknown as KubeObject);
    await world.synced();
    const writes = world.statusWrites();
    // The second pass runs on the cache the first one read: it has not seen the Ready status.
    const release = world.server.delayWatchEvents();
    await world.reconcile();
    await world.reconcile();
    release();
    await world.settle();
    expect(world.statusWrites()).toBe(writes + 1);
    expect(world.events.reasons().filter((r) => r === Reason.WorkspaceReady)).toHaveLength(1);
  });

  it('writes nothing on a steady second pass', async () => {
    world = new World();
    seedWorkspace(world);
    await world.start();
    await world.reconcile();
    await world.provision();
    await world.settle();
    await world.settle(); // everything in place, the caches current
    const before = world.server.writes().length;
    const events = world.events.events.length;
    await world.settle();
    expect(world.server.writes().slice(before)).toEqual([]);
    expect(world.events.events).toHaveLength(events);
  });

  it('rolls the StatefulSet to a changed inference spec', async () => {
    world = new World();
    seedWorkspace(world);
    await world.start();
    await world.reconcile();
    await world.provision();
    await world.settle();
    type Sts = KubeObject & { spec?: { template?: { spec?: { volumes?: { name: string; configMap?: { name: string } }[] } } } };
    const sts = () => world.server.get<Sts>(Resources.StatefulSet, 'workspace-phi-3', 'default');
    const first = sts()?.metadata.annotations?.['workspace.kaito.io/hash'];

    await world.mgr.client.mergePatch(Workspaces, { name: 'workspace-phi-3', namespace: 'default' }, { inference: { config: 'my-inference-params' } });
    await world.settle();

    const second = sts()?.metadata.annotations?.['workspace.kaito.io/hash'];
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(sts()?.spec?.template?.spec?.volumes).toContainEqual(expect.objectContaining({ configMap: expect.objectContaining({ name: 'my-inference-params' }) }));
    expect(world.events.reasons()).toContain('WorkloadUpdated');
  });

  it('refuses a model that does not fit with the planner’s explanation, terminally, creating nothing', async () => {
    world = new World();
    seedWorkspace(world, { inference: { preset: { name: 'falcon-40b-instruct' } } });
    await world.start();
    await expect(world.reconcile()).rejects.toBeInstanceOf(TerminalError);

    const resource = world.condition(ConditionType.ResourceReady);
    expect(resource).toMatchObject({ status: 'False', reason: Reason.ModelDoesNotFit });
    expect(resource?.message).toMatch(/^falcon-40b-instruct on Standard_NC6s_v3: /);
    expect(world.condition(ConditionType.WorkspaceReady)?.message).toMatch(/^ModelDoesNotFit: /);
    expect(world.requests()).toEqual([]);
  });

  it('names the unknown preset with close matches', async () => {
    world = new World();
    seedWorkspace(world, { inference: { preset: { name: 'phi-3-mini-4k-instruc' } } });
    await world.start();
    await expect(world.reconcile()).rejects.toBeInstanceOf(TerminalError);
    expect(world.condition(ConditionType.ResourceReady)).toMatchObject({ reason: Reason.PresetNotFound });
    expect(world.condition(ConditionType.ResourceReady)?.message).toContain('did you mean "phi-3-mini-4k-instruct"');
  });

  it('on deletion deletes the StatefulSet and waits for its pods before it deletes the node requests', async () => {
    world = new World();
    seedWorkspace(world);
    await world.start();
    await world.reconcile();
    await world.provision();
    await world.settle();
    const pod = makePod();
    world.server.seed({ ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata, name: 'workspace-phi-3-0', namespace: 'default' } } as unknown as KubeObject);
    await world.settle();
    expect(world.server.get(Resources.StatefulSet, 'workspace-phi-3', 'default')).toBeDefined();

    await world.mgr.client.delete(Workspaces, { name: 'workspace-phi-3', namespace: 'default' });
    await world.settle();
    expect(world.server.get(Resources.StatefulSet, 'workspace-phi-3', 'default')).toBeUndefined();
    expect(world.requests().map((r) => r.metadata.deletionTimestamp)).toEqual([undefined]);
    expect(world.condition(ConditionType.WorkspaceReady)).toMatchObject({ status: 'False', reason: Reason.Deleting, message: expect.stringContaining('Pod workspace-phi-3-0') });

    // The pod terminated on its node (the fake server has no garbage collector: the test plays it).
    await world.mgr.client.delete(Resources.Pod, { name: 'workspace-phi-3-0', namespace: 'default' });
    await world.settle();
    expect(world.requests()).toEqual([]);
    await world.settle();
    expect(world.server.get(Workspaces, 'workspace-phi-3', 'default')).toBeUndefined();
  });

  it('on deletion deletes the node requests, waits for them to go, then drops the finalizer', async () => {
    world = new World();
    seedWorkspace(world);
    await world.start();
    await world.reconcile();
    await world.synced();
    // A provisioner's finalizer holds the request until its instance is gone.
    const [request] = world.requests();
    const name = request?.metadata.name ?? '';
    await world.mgr.client.mergePatch(NodeClaimResource, { name }, { metadata: { finalizers: ['karpenter.sh/termination'] } });
    await world.mgr.client.delete(Workspaces, { name: 'workspace-phi-3', namespace: 'default' });
    await world.settle();

    expect(world.server.get<KubeObject>(NodeClaimResource, name)?.metadata.deletionTimestamp).toBeDefined();
    expect(world.workspace().metadata.finalizers).toEqual([WORKSPACE_FINALIZER]);
    expect(world.condition(ConditionType.WorkspaceReady)).toMatchObject({ status: 'False', reason: Reason.Deleting });
    expect(world.condition(ConditionType.WorkspaceReady)?.message).toContain(`nodeclaim ${name}`);

    await world.mgr.client.mergePatch(NodeClaimResource, { name }, { metadata: { finalizers: null } });
    await world.settle();
    expect(world.requests()).toEqual([]);
    expect(world.server.get(Workspaces, 'workspace-phi-3', 'default')).toBeUndefined();
  });
});

/** A bring-your-own GPU node labelled `apps: phi-3` (the factory Workspace's selector). */
function byoNode(name: string, o: { gpus?: string; instanceType?: string } = {}): KubeObject {
  return makeNode({
    metadata: { name, labels: { apps: 'phi-3' } },
    instanceType: o.instanceType ?? SKU,
    allocatable: { cpu: '6', memory: '100Gi', 'nvidia.com/gpu': o.gpus ?? '1', pods: '110' },
  }) as unknown as KubeObject;
}

/** The factory Workspace without an instance type: bring-your-own nodes in provisioning mode auto. */
function seedByoWorkspace(world: World): void {
  const ws = makeInferenceWorkspace({ inference: { preset: { name: 'phi-3-mini-4k-instruct' } } });
  world.server.seed({ ...ws, resource: { labelSelector: ws.resource.labelSelector } } as unknown as KubeObject);
}

type Sts = KubeObject & { spec?: { replicas?: number; template?: { spec?: { containers?: { name: string; image?: string }[]; initContainers?: { name: string }[]; affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: unknown[] } } } } } } };

describe('workspaceController: bring-your-own nodes', () => {
  it('says which matching node lacks what, creates no node request, then serves once a GPU node is there', async () => {
    world = new World();
    seedByoWorkspace(world);
    world.server.seed(byoNode('gpu-a', { gpus: '0' }));
    await world.start();
    await world.reconcile();
    await world.settle();

    expect(world.condition(ConditionType.ResourceReady)).toMatchObject({
      status: 'False',
      reason: Reason.NodesNotFound,
      message: '0 of 1 nodes matching apps=phi-3: gpu-a has no nvidia.com/gpu allocatable',
    });
    expect(world.condition(ConditionType.WorkspaceReady)?.message).toBe('NodesNotFound: 0 of 1 nodes matching apps=phi-3: gpu-a has no nvidia.com/gpu allocatable');
    expect(world.server.list(Resources.StatefulSet)).toEqual([]);

    world.server.seed(byoNode('gpu-b'));
    await world.settle();
    expect(world.condition(ConditionType.ResourceReady)).toMatchObject({ status: 'True', reason: Reason.NodesReady, message: '1/1 nodes ready, matching apps=phi-3: gpu-b; not chosen: gpu-a has no nvidia.com/gpu allocatable' });
    expect(world.workspace().status?.workerNodes).toEqual(['gpu-b']);
    const sts = world.server.get<Sts>(Resources.StatefulSet, 'workspace-phi-3', 'default');
    expect(sts?.spec?.template?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: 'apps', operator: 'In', values: ['phi-3'] },
          { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [SKU] },
        ],
      },
    ]);
    expect(world.requests()).toEqual([]);
    expect(world.server.writes().filter((w) => w.method !== 'WATCH' && w.path.includes('/nodeclaims'))).toEqual([]);
  });

  it('enqueues a bring-your-own Workspace when a node matching its selector changes', async () => {
    world = new World();
    seedByoWorkspace(world);
    await world.start();
    const watch = world.controller.watches.find((w) => w.resource === NodeResource);
    expect(watch?.mapToKeys(byoNode('gpu-a'))).toEqual([KEY]);
    expect(watch?.mapToKeys({ ...byoNode('gpu-b'), metadata: { name: 'gpu-b', labels: { apps: 'other' } } })).toEqual([]);
  });

  it('in provisioning mode byo creates no node request even with an instance type, and requires that type', async () => {
    world = new World('nodeclaim', 'byo');
    seedWorkspace(world);
    world.server.seed(byoNode('gpu-a', { instanceType: 'Standard_NC12s_v3' }));
    await world.start();
    await world.reconcile();
    await world.settle();
    expect(world.requests()).toEqual([]);
    expect(world.condition(ConditionType.ResourceReady)).toMatchObject({
      reason: Reason.NodesNotFound,
      message: '0 of 1 nodes matching apps=phi-3: gpu-a is instance type Standard_NC12s_v3, not Standard_NC6s_v3',
    });
  });

  it('refuses a selector made only of reserved labels, which would take every node', async () => {
    world = new World();
    const ws = makeInferenceWorkspace({ metadata: { name: 'workspace-phi-3' } });
    world.server.seed({ ...ws, resource: { labelSelector: { matchLabels: { 'kaito.sh/workspace': 'x' } } } } as unknown as KubeObject);
    await world.start();
    await expect(world.reconcile()).rejects.toBeInstanceOf(TerminalError);
    expect(world.condition(ConditionType.ResourceReady)).toMatchObject({ reason: Reason.InvalidSpec });
    expect(world.condition(ConditionType.ResourceReady)?.message).toContain('selects every node');
  });
});

describe('workspaceController: several nodes, templates, adapters, updates', () => {
  it('creates two node requests and a two-pod StatefulSet for a model that needs two nodes, Ready only when both pods are', async () => {
    world = new World();
    seedWorkspace(world, { resource: { count: 2, instanceType: 'Standard_NC24ads_A100_v4' }, inference: { preset: { name: 'falcon-40b-instruct' } } });
    await world.start();
    await world.reconcile();
    await world.settle();
    expect(world.requests()).toHaveLength(2);
    expect(world.workspace().status?.targetNodeCount).toBe(2);

    await world.provision('Standard_NC24ads_A100_v4');
    await world.settle();
    expect(world.server.get<Sts>(Resources.StatefulSet, 'workspace-phi-3', 'default')?.spec?.replicas).toBe(2);
    expect(world.condition(ConditionType.ResourceReady)).toMatchObject({ status: 'True', message: '2/2 nodes ready' });

    const pod = makePod();
    world.server.seed({ ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata, name: 'workspace-phi-3-0', namespace: 'default' } } as unknown as KubeObject);
    await world.settle();
    expect(world.condition(ConditionType.InferenceReady)).toMatchObject({ status: 'False', reason: Reason.InferencePending, message: '1/2 inference pods ready; 1 pod(s) not created yet' });
    world.server.seed({ ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata, name: 'workspace-phi-3-1', namespace: 'default' } } as unknown as KubeObject);
    await world.settle();
    expect(world.condition(ConditionType.InferenceReady)).toMatchObject({ status: 'True', message: '2/2 inference pods ready' });
  });

  it('runs a template Workspace’s own container on its node, with the SKU’s GPUs requested for the node', async () => {
    world = new World();
    const ws = makeInferenceWorkspace();
    world.server.seed({ ...ws, inference: { template: { spec: { containers: [{ name: 'server', image: 'example.com/llm:1' }] } } } } as unknown as KubeObject);
    await world.start();
    await world.reconcile();
    await world.settle();
    expect(world.requests()).toHaveLength(1);
    await world.provision();
    await world.settle();
    const sts = world.server.get<Sts>(Resources.StatefulSet, 'workspace-phi-3', 'default');
    expect(sts?.spec?.template?.spec?.containers).toEqual([{ name: 'server', image: 'example.com/llm:1' }]);
    expect(world.condition(ConditionType.ResourceReady)).toMatchObject({ status: 'True' });
  });

  it('renders an adapter Workspace’s puller init container', async () => {
    world = new World();
    seedWorkspace(world, { inference: { preset: { name: 'phi-3-mini-4k-instruct' }, adapters: [{ source: { name: 'sql', image: 'example.com/sql:1' } }] } });
    await world.start();
    await world.reconcile();
    await world.provision();
    await world.settle();
    expect(world.server.get<Sts>(Resources.StatefulSet, 'workspace-phi-3', 'default')?.spec?.template?.spec?.initContainers?.map((c) => c.name)).toEqual(['puller-sql']);
  });

  it('exports its Workspaces by state and node source on the manager’s registry', async () => {
    world = new World();
    seedWorkspace(world);
    await world.start();
    await world.reconcile();
    await world.settle();
    expect(await world.mgr.metrics.registry.metrics()).toContain('kaito_inference_workspaces{state="Pending",nodes="requests"} 1');
  });

  it('reports InferenceUpdating while a changed spec rolls out, even with the old pods Ready', async () => {
    world = new World();
    seedWorkspace(world);
    await world.start();
    await world.reconcile();
    await world.provision();
    await world.settle();
    const pod = makePod();
    world.server.seed({ ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata, name: 'workspace-phi-3-0', namespace: 'default' } } as unknown as KubeObject);
    await world.settle();
    expect(world.condition(ConditionType.InferenceReady)).toMatchObject({ status: 'True' });

    await world.mgr.client.mergePatch(Workspaces, { name: 'workspace-phi-3', namespace: 'default' }, { inference: { config: 'my-inference-params' } });
    await world.settle();
    expect(world.condition(ConditionType.InferenceReady)).toMatchObject({ status: 'False', reason: Reason.InferenceUpdating });
    expect(world.workspace().status?.state).toBe('NotReady');

    // What the StatefulSet controller reports while it replaces the pods, then once it is done.
    const sts = world.server.get<Sts>(Resources.StatefulSet, 'workspace-phi-3', 'default');
    const rolling = { observedGeneration: sts?.metadata.generation ?? 1, replicas: 1, currentRevision: 'r1', updateRevision: 'r2', updatedReplicas: 0 };
    await world.mgr.client.patchStatus(Resources.StatefulSet, sts as KubeObject, rolling);
    await world.settle();
    expect(world.condition(ConditionType.InferenceReady)).toMatchObject({ status: 'False', reason: Reason.InferenceUpdating, message: 'StatefulSet workspace-phi-3 is replacing its pods: 0/1 on the new revision' });
    await world.mgr.client.patchStatus(Resources.StatefulSet, world.server.get<Sts>(Resources.StatefulSet, 'workspace-phi-3', 'default') as KubeObject, { ...rolling, currentRevision: 'r2', updatedReplicas: 1 });
    await world.settle();
    expect(world.condition(ConditionType.InferenceReady)).toMatchObject({ status: 'True', reason: Reason.InferenceReady });
  });
});
