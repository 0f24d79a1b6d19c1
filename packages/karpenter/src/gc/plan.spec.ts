import type { Instance } from '../cloudprovider/types.js';
import { makeNodeRequest } from '../testing/factories.js';
import { planGarbageCollection } from './plan.js';

const now = new Date('2025-01-01T01:00:00Z');
const options = { instanceGracePeriodMs: 30_000, requestGracePeriodMs: 10_000 };
const old = '2025-01-01T00:00:00Z';
const inst = (over: Partial<Instance>): Instance => ({
  name: 'i',
  providerID: 'fake:///i',
  requestName: 'ws1',
  requestUID: 'uid-ws1',
  instanceType: 't',
  state: 'Running',
  labels: {},
  capacity: {},
  allocatable: {},
  createdAt: old,
  ...over,
});
const launched = (name: string, providerID: string) =>
  makeNodeRequest('nodeclaim', {
    metadata: { name, uid: `uid-${name}` },
    status: { providerID, conditions: [{ type: 'Launched', status: 'True', reason: 'Launched', message: '', lastTransitionTime: old }] },
  });

describe('planGarbageCollection', () => {
  it('collects an instance no request claims', () => {
    const plan = planGarbageCollection({ instances: [inst({ requestUID: 'uid-gone' })], requests: [], now, suspects: new Set() }, options);
    expect(plan.leakedInstances.map((i) => i.name)).toEqual(['i']);
  });

  it('collects an instance of an older request that had the same name', () => {
    const plan = planGarbageCollection({ instances: [inst({ requestUID: 'uid-old' })], requests: [launched('ws1', 'fake:///other')], now, suspects: new Set() }, options);
    expect(plan.leakedInstances).toHaveLength(1);
  });

  it('keeps an instance younger than the grace period', () => {
    const plan = planGarbageCollection({ instances: [inst({ requestUID: 'uid-gone', createdAt: '2025-01-01T00:59:50Z' })], requests: [], now, suspects: new Set() }, options);
    expect(plan.leakedInstances).toEqual([]);
  });

  it('keeps an instance its request claims', () => {
    const plan = planGarbageCollection({ instances: [inst({})], requests: [launched('ws1', 'fake:///i')], now, suspects: new Set() }, options);
    expect(plan.leakedInstances).toEqual([]);
  });

  it('keeps an instance a request adopted by providerID (v1alpha5 karpenter.sh/linked), though launched for another request', () => {
    const adopted = inst({ requestName: 'old-machine', requestUID: 'uid-old-machine' });
    const plan = planGarbageCollection({ instances: [adopted], requests: [launched('ws1', 'fake:///i')], now, suspects: new Set() }, options);
    expect(plan.leakedInstances).toEqual([]);
  });

  it('keeps the instance a request links to before its providerID is recorded', () => {
    const adopted = inst({ requestName: 'old-machine', requestUID: 'uid-old-machine' });
    const linking = makeNodeRequest('machine', { metadata: { name: 'ws1', uid: 'uid-ws1', annotations: { 'karpenter.sh/linked': 'fake:///i' } } });
    const plan = planGarbageCollection({ instances: [adopted], requests: [linking], now, suspects: new Set() }, options);
    expect(plan.leakedInstances).toEqual([]);
  });

  it('only suspects a request whose instance vanished on the first pass', () => {
    const plan = planGarbageCollection({ instances: [], requests: [launched('ws1', 'fake:///i')], now, suspects: new Set() }, options);
    expect(plan.vanishedRequests).toEqual([]);
    expect([...plan.suspects]).toEqual(['uid-ws1']);
  });

  it('collects a request whose instance is missing from two lists in a row', () => {
    const plan = planGarbageCollection({ instances: [], requests: [launched('ws1', 'fake:///i')], now, suspects: new Set(['uid-ws1']) }, options);
    expect(plan.vanishedRequests.map((r) => r.metadata.name)).toEqual(['ws1']);
  });

  it('clears a suspicion when the instance is listed again', () => {
    const plan = planGarbageCollection({ instances: [inst({})], requests: [launched('ws1', 'fake:///i')], now, suspects: new Set(['uid-ws1']) }, options);
    expect(plan.vanishedRequests).toEqual([]);
    expect(plan.suspects.size).toBe(0);
  });
});
