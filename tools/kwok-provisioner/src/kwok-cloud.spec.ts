import { KubeClient, Resources } from '@kaito-ts/controller-runtime';
import { FakeApiServer, FakeClock } from '@kaito-ts/controller-runtime/testing';
import { isInsufficientCapacityError, isNotFoundError, isQuotaExceededError, isSkuUnavailableError, isTransientError, type Node, NodeResource } from '@kaito-ts/karpenter';
import { makeNodeRequest } from '@kaito-ts/karpenter/testing';
import { instanceNameFor } from './instance-record.js';
import { FAULTS_CONFIGMAP, KwokCloudProvider, type KwokCloudOptions } from './kwok-cloud.js';

const SKU = 'Standard_NC24ads_A100_v4';
const NS = 'kwok-cloud';

function setup(options: Partial<KwokCloudOptions> = {}) {
  const clock = new FakeClock(new Date('2025-01-01T00:00:00Z'));
  const server = new FakeApiServer({ clock });
  const kube = new KubeClient(server, { fieldManager: 'kwok-test' });
  const make = () => new KwokCloudProvider({ kube, namespace: NS, launchDelayMs: 10_000, clock, ...options });
  return { clock, server, kube, make, provider: make() };
}

const request = (name = 'ws1', instanceType = SKU) =>
  makeNodeRequest('nodeclaim', { instanceType, metadata: { name, uid: `0000-${name}-uid` } });

describe('KwokCloudProvider', () => {
  it('launches a fake GPU node of the SKU after the launch delay', async () => {
    const { clock, server, provider } = setup();
    const r = request();
    const creating = provider.create(r);
    await clock.advanceAsync(9_000);
    expect(server.list(NodeResource)).toHaveLength(0);
    await clock.advanceAsync(1_000);
    const instance = await creating;

    const node = server.get<Node>(NodeResource, instance.name);
    expect(instance).toMatchObject({ providerID: `kwok://${instance.name}`, instanceType: SKU, state: 'Running', requestName: 'ws1', requestUID: r.metadata.uid });
    expect(instance.capacity['nvidia.com/gpu']).toBe('1');
    expect(node?.spec?.providerID).toBe(instance.providerID);
    expect(node?.status?.allocatable?.['nvidia.com/gpu']).toBe('1');
    expect(node?.metadata.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect(node?.metadata.labels).toMatchObject({ 'kaito-ts.dev/fake-gpu-node': 'kwok-provisioner', 'kwok.kaito-ts.dev/cloud': NS, 'nvidia.com/gpu.product': 'NVIDIA-A100-80GB-PCIe' });
    expect(node?.spec?.taints).toEqual([
      { key: 'sku', value: 'gpu', effect: 'NoSchedule' },
      { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
    ]);
  });

  it('resumes an interrupted create instead of launching a second instance', async () => {
    const { clock, server, make, provider } = setup();
    const r = request();
    const crash = new AbortController();
    const first = provider.create(r, crash.signal);
    await clock.advanceAsync(4_000);
    crash.abort(new Error('provisioner killed'));
    await expect(first).rejects.toThrow('provisioner killed');
    expect(await provider.list()).toMatchObject([{ state: 'Creating', requestUID: r.metadata.uid }]);

    const restarted = make();
    const resumed = restarted.create(r);
    await clock.advanceAsync(6_000);
    const instance = await resumed;
    expect(instance.name).toBe(instanceNameFor(r));
    expect(await restarted.list()).toHaveLength(1);
    expect(server.list(NodeResource)).toHaveLength(1);
  });

  it('returns the running instance when create is called again for the same request', async () => {
    const { clock, provider } = setup({ launchDelayMs: 0 });
    const a = await provider.create(request());
    await clock.advanceAsync(1);
    const b = await provider.create(request());
    expect(b.providerID).toBe(a.providerID);
    expect(await provider.list()).toHaveLength(1);
  });

  it.each([
    ['an instance type outside the catalog', { }, 'Standard_NOPE', isSkuUnavailableError],
    ['a simulated stock-out', { unavailable: [SKU] }, SKU, isInsufficientCapacityError],
    ['a quota of zero', { quotas: { [SKU]: 0 } }, SKU, isQuotaExceededError],
  ] as const)('refuses %s with a typed error and creates nothing', async (_name, options, instanceType, is) => {
    const { provider } = setup(options);
    const err = await provider.create(request('ws1', instanceType)).catch((e: unknown) => e);
    expect(is(err)).toBe(true);
    expect(await provider.list()).toEqual([]);
  });

  it('counts the quota across requests, not against the same request', async () => {
    const { provider } = setup({ launchDelayMs: 0, quotas: { [SKU]: 1 } });
    await provider.create(request('ws1'));
    await expect(provider.create(request('ws1'))).resolves.toMatchObject({ requestName: 'ws1' });
    const err = await provider.create(request('ws2')).catch((e: unknown) => e);
    expect(isQuotaExceededError(err)).toBe(true);
    expect((err as Error).message).toContain('limit 1 instances, in use 1');
  });

  it.each([
    ['QuotaExceeded', isQuotaExceededError],
    ['InsufficientCapacity', isInsufficientCapacityError],
    ['SkuUnavailable', isSkuUnavailableError],
    ['Transient', isTransientError],
  ] as const)('injects %s from the fault ConfigMap at run time', async (fault, is) => {
    const { provider, kube } = setup();
    await kube.create(Resources.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: FAULTS_CONFIGMAP, namespace: NS }, data: { [SKU]: fault } } as never);
    expect(is(await provider.create(request()).catch((e: unknown) => e))).toBe(true);
  });

  it('deletes the instance and its node, then answers NotFound', async () => {
    const { server, provider } = setup({ launchDelayMs: 0 });
    const instance = await provider.create(request());
    await provider.delete({ requestName: 'ws1', providerID: instance.providerID ?? '' });
    expect(server.list(NodeResource)).toHaveLength(0);
    expect(await provider.list()).toEqual([]);
    expect(isNotFoundError(await provider.delete({ requestName: 'ws1', providerID: instance.providerID ?? '' }).catch((e: unknown) => e))).toBe(true);
  });

  it('finds an instance to delete by its request when the providerID was never recorded', async () => {
    const { provider } = setup({ launchDelayMs: 0 });
    const r = request();
    await provider.create(r);
    await provider.delete({ requestName: 'ws1', ...(r.metadata.uid !== undefined ? { requestUID: r.metadata.uid } : {}) });
    expect(await provider.list()).toEqual([]);
  });

  it('takes the delete delay to delete, reporting the instance as Deleting meanwhile', async () => {
    const { clock, provider } = setup({ launchDelayMs: 0, deleteDelayMs: 20_000 });
    const instance = await provider.create(request());
    await provider.delete(instance);
    expect(await provider.list()).toMatchObject([{ state: 'Deleting' }]);
    await provider.delete(instance);
    expect(await provider.list()).toHaveLength(1);
    clock.advance(20_000);
    await provider.delete(instance);
    expect(await provider.list()).toEqual([]);
  });

  it('finishes a delayed delete by itself once the delay has passed, without another delete call', async () => {
    // The garbage collector calls delete once and skips instances already Deleting: the cloud must finish on its own.
    const { clock, server, provider } = setup({ launchDelayMs: 0, deleteDelayMs: 20_000 });
    const instance = await provider.create(request());
    await provider.delete(instance);
    clock.advance(20_000);
    expect(await provider.list()).toEqual([]);
    expect(server.list(Resources.ConfigMap)).toEqual([]);
    expect(server.list(NodeResource)).toHaveLength(0);
    expect(isNotFoundError(await provider.get(instance.providerID ?? '').catch((e: unknown) => e))).toBe(true);
  });

  it.each([
    ['an alias of the catalog name', 'Standard_ND96asr_A100_v4'],
    ['another spelling of the catalog name', 'standard_nd96asr_v4'],
  ])('applies the quota to a request naming the SKU by %s', async (_name, spelling) => {
    const { provider } = setup({ launchDelayMs: 0, quotas: { Standard_ND96asr_v4: 1 } });
    await provider.create(request('ws1', spelling));
    const err = await provider.create(request('ws2', spelling)).catch((e: unknown) => e);
    expect(isQuotaExceededError(err)).toBe(true);
    expect(await provider.list()).toHaveLength(1);
  });

  it('applies a stock-out to a request naming the SKU by an alias', async () => {
    const { provider } = setup({ unavailable: ['Standard_ND96asr_v4'] });
    expect(isInsufficientCapacityError(await provider.create(request('ws1', 'Standard_ND96asr_A100_v4')).catch((e: unknown) => e))).toBe(true);
  });

  it('gets an instance by providerID', async () => {
    const { provider } = setup({ launchDelayMs: 0 });
    const instance = await provider.create(request());
    await expect(provider.get(instance.providerID ?? '')).resolves.toMatchObject({ name: instance.name });
    expect(isNotFoundError(await provider.get('kwok://nope').catch((e: unknown) => e))).toBe(true);
  });
});

describe('instanceNameFor', () => {
  it('is the request name plus 8 hex characters of its UID', () => {
    expect(instanceNameFor({ metadata: { name: 'ws0a1b2c3d4', uid: 'ab12cd34-0000-0000-0000-000000000000' } })).toBe('ws0a1b2c3d4-ab12cd34');
  });

  it('differs for a re-created request of the same name', () => {
    expect(instanceNameFor({ metadata: { name: 'x', uid: '11111111-a' } })).not.toBe(instanceNameFor({ metadata: { name: 'x', uid: '22222222-a' } }));
  });
});
