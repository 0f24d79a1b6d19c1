import { TransportError } from '@kaito-ts/controller-runtime';
import { apiError } from '@kaito-ts/controller-runtime/testing';
import { InvalidRequestError, QuotaExceededError, TransientError } from '../cloudprovider/errors.js';
import { NodeResource, nodeRequestResource, type NodeRequestObject } from '../client.js';
import type { Machine } from '../codecs/machine.js';
import { findCondition } from '../conditions.js';
import { makeNode } from '../testing/factories.js';
import { LifecycleHarness } from '../testing/harness.js';
import { launchedStatus, launchingStatus } from './launch.js';
import type { NodeRequest } from '../node-request.js';
import { liveReader, NodeRequestLifecycle } from './reconciler.js';

const TYPE = 'Standard_NC24ads_A100_v4';
const cond = async (h: LifecycleHarness, name: string, type: string) => findCondition((await h.get(name)).status.conditions, type);

describe.each(['nodeclaim', 'machine'] as const)('lifecycle of a %s', (api) => {
  let h: LifecycleHarness;
  beforeEach(() => {
    h = new LifecycleHarness(api);
  });

  /** Launch, join a Ready GPU node, register and initialize. */
  async function readyRequest(): Promise<string> {
    const name = h.seedRequest();
    await h.reconcile(name);
    await h.joinNode(name);
    await h.reconcile(name);
    return name;
  }

  describe('launch', () => {
    it('persists the finalizer before the instance is created', async () => {
      const name = h.seedRequest();
      let finalizersAtCreate: string[] | undefined;
      h.provider.afterCreate = () => {
        finalizersAtCreate = h.raw(name)?.metadata.finalizers;
      };
      await h.reconcile(name);
      expect(finalizersAtCreate).toEqual(['karpenter.sh/termination']);
    });

    it('records the intent to launch before the instance is created', async () => {
      const name = h.seedRequest();
      let launchedAtCreate: string | undefined;
      h.provider.afterCreate = () => {
        const raw = h.raw(name);
        const c = raw?.status?.conditions?.find((x) => x.type === (api === 'machine' ? 'MachineLaunched' : 'Launched'));
        launchedAtCreate = `${c?.status}/${c?.reason}`;
      };
      await h.reconcile(name);
      expect(launchedAtCreate).toBe('Unknown/Launching');
    });

    it('writes providerID, capacity, allocatable and Launched once the instance exists', async () => {
      const name = h.seedRequest();
      await h.reconcile(name);
      const r = await h.get(name);
      const [instance] = h.provider.instances.values();
      expect(r.status).toMatchObject({ providerID: instance?.providerID, capacity: instance?.capacity, allocatable: instance?.allocatable });
      expect(findCondition(r.status.conditions, 'Launched')).toMatchObject({ status: 'True', reason: 'Launched' });
      expect(h.events.reasons()).toContain('Launched');
    });

    it('merges the instance’s labels into the request without overriding its own', async () => {
      const name = h.seedRequest({ metadata: { labels: { 'topology.kubernetes.io/zone': 'pinned' } } });
      await h.reconcile(name);
      expect((await h.get(name)).metadata.labels).toMatchObject({
        'node.kubernetes.io/instance-type': TYPE,
        'topology.kubernetes.io/zone': 'pinned',
      });
    });

    it('creates no second instance when the process restarts between create and the status write', async () => {
      const name = h.seedRequest();
      h.provider.afterCreate = () => h.server.failNext({ method: 'PATCH', path: `/${name}/status` }, new TransportError('process killed'));
      await expect(h.reconcile(name)).rejects.toThrow('process killed');
      expect((await h.get(name)).status.providerID).toBeUndefined();

      h.restart();
      h.provider.afterCreate = undefined;
      await h.reconcile(name);

      expect(h.provider.createCalls).toHaveLength(1);
      expect(h.provider.instances.size).toBe(1);
      expect((await h.get(name)).status.providerID).toBe([...h.provider.instances.values()][0]?.providerID);
    });

    it('creates no second instance when the status write conflicts and the same process retries', async () => {
      const name = h.seedRequest();
      h.provider.afterCreate = () => h.server.failNext({ method: 'PATCH', path: `/${name}/status` }, apiError(409, 'Conflict', 'the object has been modified'));
      await expect(h.reconcile(name)).rejects.toThrow();
      h.provider.afterCreate = undefined;
      await h.reconcile(name);
      expect(h.provider.createCalls).toHaveLength(1);
      expect(h.provider.listCalls).toHaveLength(0);
      expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'True' });
    });

    it('still labels the request when the process restarted between the status write and the label write', async () => {
      const name = h.seedRequest();
      const instance = h.provider.seed({ requestName: name });
      // What a process that died right after recording the launch leaves behind: status, but not the labels.
      const r = await h.requests.addFinalizer(await h.get(name), 'karpenter.sh/termination');
      await h.requests.patchStatus(r, launchedStatus(r, instance, new Date(h.clock.now())));
      expect((await h.get(name)).metadata.labels?.['node.kubernetes.io/instance-type']).toBeUndefined();
      h.restart();
      await h.reconcile(name);
      expect((await h.get(name)).metadata.labels?.['node.kubernetes.io/instance-type']).toBe(TYPE);
      expect(h.provider.createCalls).toHaveLength(0);
    });

    it('creates exactly one instance when the process restarts after the intent write but before create', async () => {
      const name = h.seedRequest();
      const r = await h.requests.addFinalizer(await h.get(name), 'karpenter.sh/termination');
      await h.requests.patchStatus(r, launchingStatus(r, 'fake', new Date(h.clock.now())));
      h.restart();
      await h.reconcile(name);
      expect(h.provider.listCalls).toHaveLength(1);
      expect(h.provider.createCalls).toHaveLength(1);
      expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'True' });
    });

    it.each([
      ['QuotaExceeded', 'QuotaExceeded'],
      ['InsufficientCapacity', 'InsufficientCapacity'],
      ['SkuUnavailable', 'SkuUnavailable'],
    ] as const)('shows %s on Launched and Ready and keeps the request', async (failure, reason) => {
      h.provider.failures.set(TYPE, failure);
      const name = h.seedRequest();
      expect(await h.reconcile(name)).toEqual({ requeueAfterMs: 30_000 });
      expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'False', reason });
      expect(await cond(h, name, 'Ready')).toMatchObject({ status: 'False', reason });
      expect(h.events.events.find((e) => e.reason === 'LaunchFailed')).toMatchObject({ type: 'Warning', message: expect.stringContaining(reason) });
      expect(h.exists(name)).toBe(true);
    });

    it('does not retry a quota failure hot when the status write triggers another reconcile', async () => {
      h.provider.failures.set(TYPE, 'QuotaExceeded');
      const name = h.seedRequest();
      await h.reconcile(name);
      expect(await h.reconcile(name)).toEqual({ requeueAfterMs: 30_000 });
      expect(h.provider.createCalls).toHaveLength(1);
    });

    it('neither calls create again nor restarts the count when the next reconcile reads a cache that missed the failure', async () => {
      h.provider.failures.set(TYPE, 'QuotaExceeded');
      const name = h.seedRequest();
      const cache: { stale?: NodeRequest | undefined } = {};
      const lifecycle = new NodeRequestLifecycle({
        requests: h.requests,
        kube: h.kube,
        provider: h.provider,
        events: h.events,
        clock: h.clock,
        reader: { ...liveReader(h.kube, h.requests), request: async (n) => cache.stale ?? (await h.requests.get(n)) },
      });
      await lifecycle.reconcile(name, { log: h.log });
      // The reconcile queued by the intent write's event, while create ran: its cache has the intent, not the failure.
      cache.stale = h.provider.createCalls[0];
      expect(cache.stale?.metadata.annotations?.['kaito-ts.dev/launch-retry']).toBeUndefined();
      expect(await lifecycle.reconcile(name, { log: h.log })).toEqual({ requeueAfterMs: 30_000 });
      expect(h.provider.createCalls).toHaveLength(1);
      h.clock.advance(30_000);
      expect(await lifecycle.reconcile(name, { log: h.log })).toEqual({ requeueAfterMs: 60_000 });
      expect(h.provider.createCalls).toHaveLength(2);
    });

    it('does not wait out a retry record further ahead than any backoff (a hand edit, a clock that ran ahead)', async () => {
      h.provider.failures.set(TYPE, 'QuotaExceeded');
      const name = h.seedRequest();
      await h.reconcile(name);
      await h.requests.patchMetadata(await h.get(name), { annotations: { 'kaito-ts.dev/launch-retry': '{"attempt":1,"notBefore":"2026-01-01T00:00:00Z"}' } });
      h.provider.failures.clear();
      await h.reconcile(name);
      expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'True' });
    });

    it('backs off capacity retries, doubling each time', async () => {
      h.provider.failures.set(TYPE, 'InsufficientCapacity');
      const name = h.seedRequest();
      await h.reconcile(name);
      h.clock.advance(30_000);
      expect(await h.reconcile(name)).toEqual({ requeueAfterMs: 60_000 });
      expect(h.provider.createCalls).toHaveLength(2);
    });

    it('launches once the quota is raised', async () => {
      h.provider.failures.set(TYPE, 'QuotaExceeded');
      const name = h.seedRequest();
      await h.reconcile(name);
      h.provider.failures.clear();
      h.clock.advance(30_000);
      await h.reconcile(name);
      expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'True', reason: 'Launched' });
    });

    it('retries a transient failure after a short delay, with the reason on the request', async () => {
      h.provider.nextCreateError = new TransientError('429 too many requests');
      const name = h.seedRequest();
      expect(await h.reconcile(name)).toEqual({ requeueAfterMs: 1_000 });
      expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'Unknown', reason: 'LaunchFailed', message: '429 too many requests' });
      expect(h.events.events.find((e) => e.reason === 'LaunchFailed')).toMatchObject({ type: 'Warning', message: expect.stringContaining('429') });
      expect(await h.reconcile(name)).toEqual({ requeueAfterMs: 1_000 });
      h.clock.advance(1_000);
      await h.reconcile(name);
      expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'True' });
      expect(h.provider.createCalls).toHaveLength(2);
    });

    it('keeps a capacity backoff across a restart', async () => {
      h.provider.failures.set(TYPE, 'QuotaExceeded');
      const name = h.seedRequest();
      await h.reconcile(name);
      h.restart();
      h.clock.advance(10_000);
      expect(await h.reconcile(name)).toEqual({ requeueAfterMs: 20_000 });
      expect(h.provider.createCalls).toHaveLength(1);
    });

    it('records the retry on the request and removes it once launched', async () => {
      h.provider.nextCreateError = new TransientError('throttled');
      const name = h.seedRequest();
      await h.reconcile(name);
      expect(JSON.parse((await h.get(name)).metadata.annotations?.['kaito-ts.dev/launch-retry'] ?? '{}')).toEqual({ attempt: 1, notBefore: '2025-01-01T00:00:01.000Z', at: '2025-01-01T00:00:00.000Z' });
      h.clock.advance(1_000);
      await h.reconcile(name);
      expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'True' });
      expect((await h.get(name)).metadata.annotations?.['kaito-ts.dev/launch-retry']).toBeUndefined();
    });

    it('records no failure for a create the stopping process aborted', async () => {
      const name = h.seedRequest();
      const stop = new AbortController();
      stop.abort();
      h.provider.nextCreateError = new TransientError('aborted');
      await expect(h.lifecycle.reconcile(name, { log: h.log, signal: stop.signal })).rejects.toThrow('aborted');
      expect((await h.get(name)).metadata.annotations?.['kaito-ts.dev/launch-retry']).toBeUndefined();
    });

    describe('a request the provider rejects as invalid (terminal)', () => {
      const reject = () => {
        h.provider.nextCreateError = new Error('PUT agentPool', { cause: new InvalidRequestError('ARM rejected osDiskSizeGB (InvalidParameter)') });
      };

      it('says why on Launched and Ready, records a LaunchFailed event, and asks for no requeue', async () => {
        reject();
        const name = h.seedRequest();
        expect(await h.reconcile(name)).toEqual({});
        expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'False', reason: 'InvalidRequest', message: expect.stringContaining('osDiskSizeGB') });
        expect(await cond(h, name, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidRequest' });
        expect(h.events.events.find((e) => e.reason === 'LaunchFailed')).toMatchObject({ type: 'Warning', message: expect.stringContaining('InvalidRequest') });
      });

      it('never calls create again while the request is unchanged: not on its own events, not after a restart, not after the launch timeout', async () => {
        reject();
        const name = h.seedRequest();
        await h.reconcile(name);
        expect(await h.reconcile(name)).toEqual({});
        h.restart();
        h.clock.advance(60 * 60_000);
        expect(await h.reconcile(name)).toEqual({});
        expect(h.provider.createCalls).toHaveLength(1);
        expect((await h.get(name)).metadata.deletionTimestamp).toBeUndefined();
      });

      it('launches again when its retry record is removed by hand', async () => {
        reject();
        const name = h.seedRequest();
        await h.reconcile(name);
        await h.requests.patchMetadata(await h.get(name), { annotations: { 'kaito-ts.dev/launch-retry': null } });
        await h.reconcile(name);
        expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'True' });
        expect(h.provider.createCalls).toHaveLength(2);
      });

      it('launches again when its spec changes (a new generation)', async () => {
        reject();
        const name = h.seedRequest();
        await h.reconcile(name);
        const resource = nodeRequestResource(api);
        const raw = h.raw(name) as NodeRequestObject;
        await h.kube.replace(resource, { ...raw, spec: { ...raw.spec, taints: [{ key: 'team', value: 'a', effect: 'NoSchedule' }] } } as NodeRequestObject);
        expect((await h.get(name)).metadata.generation).toBe(2);
        await h.reconcile(name);
        expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'True' });
      });

      it('is finalized without calling the provider’s create when deleted', async () => {
        reject();
        const name = h.seedRequest();
        await h.reconcile(name);
        await h.requests.delete(name);
        await h.reconcile(name);
        expect(h.exists(name)).toBe(false);
        expect(h.provider.createCalls).toHaveLength(1);
      });
    });

    it('finds a quota error wrapped by the provider', async () => {
      h.provider.nextCreateError = new Error('PUT agentPool failed', { cause: new QuotaExceededError('NCSv3 family quota') });
      const name = h.seedRequest();
      await h.reconcile(name);
      expect(await cond(h, name, 'Launched')).toMatchObject({ status: 'False', reason: 'QuotaExceeded' });
    });
  });

  describe('registration and initialization', () => {
    it('registers the node with the providerID: labels, taints, finalizer, owner and nodeName', async () => {
      const name = h.seedRequest();
      await h.reconcile(name);
      const joined = await h.joinNode(name, { ready: 'False' });
      await h.reconcile(name);
      const node = h.node(joined.metadata.name);
      const r = await h.get(name);
      expect(node?.metadata.labels).toMatchObject({ 'karpenter.sh/registered': 'true', 'kaito.sh/workspace': 'ws-test', 'node.kubernetes.io/instance-type': TYPE });
      expect(node?.spec?.taints).toEqual([{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }]);
      expect(node?.metadata.finalizers).toEqual(['karpenter.sh/termination']);
      expect(node?.metadata.ownerReferences?.[0]).toMatchObject({ name, uid: r.metadata.uid, kind: api === 'machine' ? 'Machine' : 'NodeClaim' });
      expect(r.status.nodeName).toBe(joined.metadata.name);
      expect(findCondition(r.status.conditions, 'Registered')).toMatchObject({ status: 'True' });
      expect(findCondition(r.status.conditions, 'Initialized')).toMatchObject({ status: 'Unknown', reason: 'NodeNotReady' });
      expect(h.events.reasons()).toContain('Registered');
    });

    it('waits for the GPU to become allocatable before initializing', async () => {
      const name = h.seedRequest();
      await h.reconcile(name);
      await h.joinNode(name, { allocatable: { cpu: '24', 'nvidia.com/gpu': '0' } });
      expect(await h.reconcile(name)).toEqual({ requeueAfterMs: 30_000 });
      expect(await cond(h, name, 'Initialized')).toMatchObject({ status: 'Unknown', reason: 'ResourcesNotAllocatable' });
    });

    it('initializes a Ready node with nvidia.com/gpu allocatable and marks the request Ready', async () => {
      const name = await readyRequest();
      const r = await h.get(name);
      expect(findCondition(r.status.conditions, 'Initialized')).toMatchObject({ status: 'True' });
      expect(findCondition(r.status.conditions, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
      expect(h.node(r.status.nodeName ?? '')?.metadata.labels?.['karpenter.sh/initialized']).toBe('true');
      expect(h.events.reasons()).toEqual(expect.arrayContaining(['Launched', 'Registered', 'Initialized']));
    });

    it('writes nothing when reconciling a Ready request again', async () => {
      const name = await readyRequest();
      const before = h.server.writes().length;
      expect(await h.reconcile(name)).toEqual({});
      expect(h.server.writes()).toHaveLength(before);
    });

    it('refuses to register while two nodes claim the providerID', async () => {
      const name = h.seedRequest();
      await h.reconcile(name);
      await h.joinNode(name);
      await h.joinNode(name);
      await h.reconcile(name);
      expect(await cond(h, name, 'Registered')).toMatchObject({ status: 'Unknown', reason: 'MultipleNodesFound' });
    });
  });

  describe('termination', () => {
    it('deletes the node, calls delete until the instance is gone, then drops the finalizers', async () => {
      const name = await readyRequest();
      const nodeName = (await h.get(name)).status.nodeName ?? '';
      await h.requests.delete(name);

      expect(await h.reconcile(name)).toEqual({ requeueAfterMs: 5_000 });
      expect(h.node(nodeName)?.metadata.deletionTimestamp).toBeDefined();
      expect(h.provider.instances.size).toBe(0);
      expect(h.exists(name)).toBe(true);

      expect(await h.reconcile(name)).toEqual({});
      expect(h.provider.deleteCalls).toHaveLength(2);
      expect(h.node(nodeName)).toBeUndefined();
      expect(h.exists(name)).toBe(false);
    });

    it('finalizes a request deleted before launching without creating anything', async () => {
      const name = h.seedRequest({ metadata: { finalizers: ['karpenter.sh/termination'] } });
      await h.requests.delete(name);
      await h.reconcile(name);
      expect(h.provider.createCalls).toHaveLength(0);
      expect(h.exists(name)).toBe(false);
    });

    it('deletes the instance a crashed launch left behind when its request is deleted', async () => {
      const name = h.seedRequest();
      h.provider.afterCreate = () => h.server.failNext({ method: 'PATCH', path: `/${name}/status` }, new TransportError('process killed'));
      await expect(h.reconcile(name)).rejects.toThrow();
      h.restart();
      await h.requests.delete(name);
      await h.reconcile(name);
      await h.reconcile(name);
      expect(h.provider.instances.size).toBe(0);
      expect(h.exists(name)).toBe(false);
    });

    it('deletes the node of an instance whose providerID was never recorded when its request is deleted', async () => {
      const name = h.seedRequest();
      h.provider.afterCreate = (i) => {
        // The instance boots and its Node joins, but the process dies before recording the providerID.
        h.server.seed(makeNode({ metadata: { name: 'orphan-node' }, providerID: i.providerID ?? '', taints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }] }));
        h.server.failNext({ method: 'PATCH', path: `/${name}/status` }, new TransportError('process killed'));
      };
      await expect(h.reconcile(name)).rejects.toThrow('process killed');
      h.restart();
      await h.requests.delete(name);
      await h.reconcile(name);
      await h.reconcile(name);
      expect(h.provider.instances.size).toBe(0);
      expect(h.exists(name)).toBe(false);
      expect(h.node('orphan-node')).toBeUndefined();
    });

    it('deletes the request when someone deletes its node', async () => {
      const name = await readyRequest();
      const nodeName = (await h.get(name)).status.nodeName ?? '';
      await h.kube.delete(NodeResource, { name: nodeName });
      await h.reconcile(name);
      expect((await h.get(name)).metadata.deletionTimestamp).toBeDefined();
      expect(h.events.reasons()).toContain('NodeDeleted');
      await h.reconcile(name);
      await h.reconcile(name);
      expect(h.exists(name)).toBe(false);
      expect(h.node(nodeName)).toBeUndefined();
      expect(h.provider.instances.size).toBe(0);
    });

    it('retries when the provider fails to delete', async () => {
      const name = await readyRequest();
      await h.requests.delete(name);
      h.provider.nextDeleteError = new TransientError('ARM 503');
      await expect(h.reconcile(name)).rejects.toThrow('ARM 503');
      expect(h.exists(name)).toBe(true);
    });
  });

  describe('liveness', () => {
    it('deletes a launched request whose node does not register in time', async () => {
      const name = h.seedRequest();
      await h.reconcile(name);
      h.clock.advance(30 * 60_000);
      await h.reconcile(name);
      expect((await h.get(name)).metadata.deletionTimestamp).toBeDefined();
      expect(h.events.reasons()).toContain('RegistrationTimeout');
    });

    it('keeps a request that failed with quota past the launch timeout', async () => {
      h.provider.failures.set(TYPE, 'QuotaExceeded');
      const name = h.seedRequest();
      await h.reconcile(name);
      h.clock.advance(60 * 60_000);
      await h.reconcile(name);
      expect((await h.get(name)).metadata.deletionTimestamp).toBeUndefined();
    });

    it('deletes a request that keeps failing transiently past the launch timeout', async () => {
      const name = h.seedRequest();
      h.provider.nextCreateError = new TransientError('throttled');
      await h.reconcile(name);
      expect((await h.get(name)).metadata.deletionTimestamp).toBeUndefined();
      h.clock.advance(20 * 60_000);
      h.provider.nextCreateError = new TransientError('throttled');
      await h.reconcile(name);
      expect((await h.get(name)).metadata.deletionTimestamp).toBeDefined();
      expect(h.events.reasons()).toContain('LaunchTimeout');
    });
  });

  it('leaves requests it does not manage alone', async () => {
    h = new LifecycleHarness(api, { isManaged: (r) => r.metadata.labels?.['team'] === 'a' });
    const name = h.seedRequest({ metadata: { labels: { team: 'b' } } });
    await h.reconcile(name);
    expect(h.server.writes()).toHaveLength(0);
    expect(h.provider.createCalls).toHaveLength(0);
  });
});

describe('lifecycle of a Machine', () => {
  it('writes Machine condition names in the knative shape', async () => {
    const h = new LifecycleHarness('machine');
    const name = h.seedRequest();
    await h.reconcile(name);
    const raw = h.raw(name) as Machine;
    expect(raw.status?.conditions?.map((c) => c.type)).toEqual(['MachineLaunched', 'MachineRegistered', 'MachineInitialized', 'Ready']);
    expect(raw.status?.conditions?.[0]).toEqual({ type: 'MachineLaunched', status: 'True', reason: 'Launched', lastTransitionTime: '2025-01-01T00:00:00.000Z' });
  });

  it('adopts the instance named by karpenter.sh/linked instead of creating one', async () => {
    const h = new LifecycleHarness('machine');
    const existing = h.provider.seed({ requestName: 'old-machine' });
    const name = h.seedRequest({ metadata: { annotations: { 'karpenter.sh/linked': existing.providerID ?? '' } } });
    await h.reconcile(name);
    expect(h.provider.createCalls).toHaveLength(0);
    expect((await h.get(name)).status.providerID).toBe(existing.providerID);
  });
});

describe('lifecycle of a Machine linked to an instance that does not exist', () => {
  it('deletes the Machine (as Karpenter v1alpha5 does) instead of retrying forever with an empty status', async () => {
    const h = new LifecycleHarness('machine');
    const name = h.seedRequest({ metadata: { annotations: { 'karpenter.sh/linked': 'fake:///gone' } } });
    await expect(h.reconcile(name)).resolves.toEqual({});
    expect((await h.get(name)).metadata.deletionTimestamp).toBeDefined();
    expect(h.events.events.find((e) => e.reason === 'InstanceNotFound')).toMatchObject({ type: 'Warning', message: expect.stringContaining('fake:///gone') });
    await h.reconcile(name);
    expect(h.exists(name)).toBe(false);
    expect(h.provider.createCalls).toHaveLength(0);
  });
});

describe('lifecycle reading a stale cache', () => {
  it('finishes quietly when the request is already gone by the time it writes', async () => {
    const h = new LifecycleHarness('nodeclaim');
    const name = h.seedRequest({ metadata: { finalizers: ['karpenter.sh/termination'] } });
    await h.requests.delete(name);
    const stale = await h.get(name);
    await h.reconcile(name);
    expect(h.exists(name)).toBe(false);
    const lc = new NodeRequestLifecycle({
      requests: h.requests,
      kube: h.kube,
      provider: h.provider,
      events: h.events,
      clock: h.clock,
      reader: { request: () => stale, nodesByProviderID: () => [], node: () => undefined },
    });
    await expect(lc.reconcile(name, { log: h.log })).resolves.toEqual({});
  });
});
