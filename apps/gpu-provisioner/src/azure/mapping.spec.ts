import { InvalidRequestError, KarpenterAnnotations, SkuUnavailableError } from '@kaito-ts/karpenter';
import { makeNodeRequest } from '@kaito-ts/karpenter/testing';
import { agentPoolFor, allowedVmSizes, instanceOf, instanceStateOf, InvalidClaimError, isOwnedPool, nodeLabelsFor, osDiskSizeGBFor, osSkuFor, taintString, vmSizeFor } from './mapping.js';
import { OWNER_LABEL, PoolTags } from './naming.js';

const A100 = 'Standard_NC24ads_A100_v4';
const now = new Date('2026-01-02T03:04:05.000Z');
const withSizes = (...values: string[]) =>
  makeNodeRequest('nodeclaim', { spec: { requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values }] } });

describe('vmSizeFor', () => {
  it('takes the only allowed size', () => expect(vmSizeFor(withSizes(A100))).toBe(A100));
  it('prefers the cheapest known Azure size, whatever the order the claim lists them in', () => {
    const a = vmSizeFor(withSizes('Standard_NC96ads_A100_v4', A100, 'Standard_NC48ads_A100_v4'));
    const b = vmSizeFor(withSizes(A100, 'Standard_NC48ads_A100_v4', 'Standard_NC96ads_A100_v4'));
    expect(a).toBe(A100);
    expect(b).toBe(a);
  });
  it('puts sizes outside the catalog last, by name', () => expect(allowedVmSizes(withSizes('Standard_Zz', 'Standard_Aa', A100))).toEqual([A100, 'Standard_Aa', 'Standard_Zz']));
  it('refuses a claim that allows no size', () => expect(() => vmSizeFor(makeNodeRequest('nodeclaim', { spec: { requirements: [] } }))).toThrow(SkuUnavailableError));
});

describe('osSkuFor', () => {
  const annotated = (family?: string) => makeNodeRequest('nodeclaim', family === undefined ? {} : { metadata: { annotations: { [KarpenterAnnotations.nodeImageFamily]: family } } });
  it.each([
    [undefined, undefined],
    ['ubuntu', 'Ubuntu'],
    ['AzureLinux', 'AzureLinux'],
  ])('%s → %s', (family, sku) => expect(osSkuFor(annotated(family))).toBe(sku));
  it('refuses an unknown family, naming the annotation and the choices', () => expect(() => osSkuFor(annotated('windows'))).toThrow(/kaito\.sh\/node-image-family: expected one of ubuntu, azurelinux/));
});

describe('osDiskSizeGBFor', () => {
  const storage = (requests: Record<string, string>) => makeNodeRequest('nodeclaim', { spec: { resources: { requests } } });
  it.each([
    [{ storage: '120Gi' }, 120],
    [{ storage: '100G' }, 94],
    [{ 'ephemeral-storage': '256Gi' }, 256],
    [{ cpu: '4' }, undefined],
  ])('%j → %s GiB', (requests, gb) => expect(osDiskSizeGBFor(storage(requests))).toBe(gb));
  it.each([
    [{ storage: '10Gi' }, /30-2048 GiB, got "10Gi"/],
    [{ storage: '4Ti' }, /got "4Ti"/],
    [{ storage: 'lots' }, /requests\.storage: expected a quantity like 120Gi, got "lots"/],
  ])('refuses %j', (requests, message) => {
    expect(() => osDiskSizeGBFor(storage(requests))).toThrow(InvalidClaimError);
    expect(() => osDiskSizeGBFor(storage(requests))).toThrow(InvalidRequestError);
    expect(() => osDiskSizeGBFor(storage(requests))).toThrow(message);
  });
});

describe('agentPoolFor', () => {
  it('asks for one node of the size, with the claim labels, taints, ownership tags and creation time', () => {
    const r = makeNodeRequest('nodeclaim', { metadata: { name: 'ws1', uid: 'u-1', labels: { team: 'a', 'kubernetes.io/os': 'linux' } }, instanceType: A100 });
    const pool = agentPoolFor(r, { clusterName: 'aks1', now });
    expect(pool).toMatchObject({ count: 1, vmSize: A100, mode: 'User', osType: 'Linux', enableAutoScaling: false });
    expect(pool.nodeLabels).toMatchObject({ team: 'a', 'kaito.sh/workspace': 'ws-test', [OWNER_LABEL]: 'gpu-provisioner' });
    // AKS refuses labels in the kubernetes.io domains: they never reach nodeLabels.
    expect(Object.keys(pool.nodeLabels ?? {}).filter((k) => k.includes('kubernetes.io'))).toEqual([]);
    expect(pool.nodeTaints).toEqual(r.spec.taints.map(taintString));
    expect(pool.tags).toEqual({
      [PoolTags.owner]: 'gpu-provisioner',
      [PoolTags.cluster]: 'aks1',
      [PoolTags.requestName]: 'ws1',
      [PoolTags.requestUID]: 'u-1',
      [PoolTags.createdAt]: '2026-01-02T03:04:05.000Z',
    });
    expect(isOwnedPool(pool, 'aks1')).toBe(true);
    expect(isOwnedPool(pool, 'other-cluster')).toBe(false);
    expect(isOwnedPool({ tags: { team: 'a' } }, 'aks1')).toBe(false);
  });

  it('writes taints as key=value:Effect, and key:Effect without a value', () => {
    expect(taintString({ key: 'sku', value: 'gpu', effect: 'NoSchedule' })).toBe('sku=gpu:NoSchedule');
    expect(taintString({ key: 'dedicated', effect: 'NoExecute' })).toBe('dedicated:NoExecute');
  });

  it('takes labels from single-value requirements', () => {
    const r = makeNodeRequest('nodeclaim', { spec: { requirements: [{ key: 'kaito.sh/machine-type', operator: 'In', values: ['gpu'] }] } });
    expect(nodeLabelsFor(r)).toMatchObject({ 'kaito.sh/machine-type': 'gpu' });
  });
});

describe('instanceOf', () => {
  const pool = { name: 'ws1', vmSize: A100, provisioningState: 'Succeeded', tags: { [PoolTags.requestName]: 'ws1', [PoolTags.requestUID]: 'u-1', [PoolTags.createdAt]: now.toISOString() } };
  it('maps a pool and its node to an Instance with the SKU capacity', () => {
    const i = instanceOf(pool, 'eastus', 'azure:///x');
    expect(i).toMatchObject({ name: 'ws1', providerID: 'azure:///x', requestName: 'ws1', requestUID: 'u-1', instanceType: A100, state: 'Running', createdAt: now.toISOString() });
    expect(i.capacity).toMatchObject({ 'nvidia.com/gpu': '1', cpu: '24' });
    expect(i.labels).toMatchObject({ 'node.kubernetes.io/instance-type': A100, 'topology.kubernetes.io/region': 'eastus', 'karpenter.sh/capacity-type': 'on-demand' });
  });
  it('has no providerID before the node joins', () => expect(instanceOf(pool, 'eastus', undefined).providerID).toBeUndefined());
  it.each([
    ['Succeeded', 'Running'],
    ['Creating', 'Creating'],
    ['Scaling', 'Creating'],
    ['Failed', 'Creating'],
    ['Deleting', 'Deleting'],
    [undefined, 'Creating'],
  ] as const)('provisioningState %s → %s', (state, expected) => expect(instanceStateOf(state)).toBe(expected));
});
