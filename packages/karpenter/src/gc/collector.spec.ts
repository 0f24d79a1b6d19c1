import { TransientError } from '../cloudprovider/errors.js';
import { makeNode } from '../testing/factories.js';
import { LifecycleHarness } from '../testing/harness.js';

describe.each(['nodeclaim', 'machine'] as const)('garbage collection of %s instances', (api) => {
  let h: LifecycleHarness;
  beforeEach(() => {
    h = new LifecycleHarness(api);
  });

  it('deletes an instance no request claims, and its node', async () => {
    const leaked = h.provider.seed({ requestName: 'gone', requestUID: 'uid-gone', createdAt: '2024-12-31T23:00:00Z' });
    h.server.seed(makeNode({ metadata: { name: 'leaked-node', finalizers: ['karpenter.sh/termination'] }, providerID: leaked.providerID ?? '' }));
    const report = await h.collectGarbage();
    expect(report.deletedInstances).toEqual([leaked.name]);
    expect(h.provider.instances.size).toBe(0);
    expect(h.node('leaked-node')).toBeUndefined();
  });

  it('deletes nothing while the provider pauses it (a stopped cluster), and collects once it no longer does', async () => {
    const leaked = h.provider.seed({ requestName: 'gone', requestUID: 'uid-gone', createdAt: '2024-12-31T23:00:00Z' });
    h.provider.gcPause = 'managed cluster aks is Stopped';
    expect(await h.collectGarbage()).toEqual({ deletedInstances: [], deletedRequests: [], paused: 'managed cluster aks is Stopped' });
    expect(h.provider.listCalls).toHaveLength(0);
    h.provider.gcPause = undefined;
    expect((await h.collectGarbage()).deletedInstances).toEqual([leaked.name]);
  });

  it('keeps an instance created moments ago (its request may not be visible yet)', async () => {
    h.provider.seed({ requestName: 'new', requestUID: 'uid-new', createdAt: new Date(h.clock.now() - 5_000).toISOString() });
    expect((await h.collectGarbage()).deletedInstances).toEqual([]);
  });

  it('keeps the instances of live requests', async () => {
    const name = h.seedRequest();
    await h.reconcile(name);
    h.clock.advance(10 * 60_000);
    expect(await h.collectGarbage()).toEqual({ deletedInstances: [], deletedRequests: [] });
    expect(h.provider.instances.size).toBe(1);
  });

  it('keeps the instance of a request it does not manage (any more)', async () => {
    h = new LifecycleHarness(api, { isManaged: (r) => r.metadata.labels?.['owner'] !== 'other' });
    const name = h.seedRequest();
    await h.reconcile(name);
    await h.requests.patchMetadata(await h.get(name), { labels: { owner: 'other' } });
    h.clock.advance(10 * 60_000);
    expect((await h.collectGarbage()).deletedInstances).toEqual([]);
    expect(h.provider.instances.size).toBe(1);
  });

  it('deletes a request whose instance vanished, on the second pass', async () => {
    const name = h.seedRequest();
    await h.reconcile(name);
    h.provider.instances.clear();
    h.clock.advance(60_000);
    expect((await h.collectGarbage()).deletedRequests).toEqual([]);
    h.clock.advance(120_000);
    expect((await h.collectGarbage()).deletedRequests).toEqual([name]);
    expect((await h.get(name)).metadata.deletionTimestamp).toBeDefined();
    expect(h.events.reasons()).toContain('InstanceNotFound');
  });

  it('deletes the other leaks when one deletion fails, then reports the failure', async () => {
    h.provider.seed({ name: 'a', requestName: 'gone-a', requestUID: 'ua', createdAt: '2024-12-31T23:00:00Z' });
    h.provider.seed({ name: 'b', requestName: 'gone-b', requestUID: 'ub', createdAt: '2024-12-31T23:00:00Z' });
    h.provider.nextDeleteError = new TransientError('throttled');
    await expect(h.collectGarbage()).rejects.toThrow('throttled');
    expect([...h.provider.instances.keys()]).toEqual(['a']);
  });
});

describe('garbage collection of adopted Machine instances', () => {
  it('keeps the instance a Machine adopted through karpenter.sh/linked', async () => {
    const h = new LifecycleHarness('machine');
    const existing = h.provider.seed({ requestName: 'old-machine', requestUID: 'uid-old-machine' });
    const name = h.seedRequest({ metadata: { annotations: { 'karpenter.sh/linked': existing.providerID ?? '' } } });
    await h.reconcile(name);
    h.clock.advance(10 * 60_000);
    expect(await h.collectGarbage()).toEqual({ deletedInstances: [], deletedRequests: [] });
    expect(h.provider.instances.has(existing.name)).toBe(true);
  });
});
