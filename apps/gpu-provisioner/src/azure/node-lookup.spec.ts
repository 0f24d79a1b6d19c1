import { makeNodeRequest } from '@kaito-ts/karpenter/testing';
import { poolNameFor } from './naming.js';
import { KubeNodeLookup, poolClaimKey, providerIDsByPool } from './node-lookup.js';

const pid = (pool: string) => `azure:///subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-${pool}-12345678-vmss/virtualMachines/0`;
const node = (labels: Record<string, string>, providerID?: string) => ({ metadata: { labels }, ...(providerID !== undefined ? { spec: { providerID } } : {}) });

describe('providerIDsByPool', () => {
  it('maps each pool to its node providerID, by the AKS pool label (or the older agentpool label)', () => {
    expect(providerIDsByPool([node({ 'kubernetes.azure.com/agentpool': 'gpu1' }, pid('gpu1')), node({ agentpool: 'gpu2' }, pid('gpu2'))])).toEqual(
      new Map([
        ['gpu1', pid('gpu1')],
        ['gpu2', pid('gpu2')],
      ]),
    );
  });
  it('skips nodes with no providerID, no pool label, or a providerID naming another pool', () => {
    expect(providerIDsByPool([node({ agentpool: 'gpu1' }), node({}, pid('gpu1')), node({ agentpool: 'gpu1' }, pid('other'))]).size).toBe(0);
  });
});

describe('KubeNodeLookup', () => {
  it('lists only Nodes carrying the ownership label', async () => {
    const list = jest.fn(async () => [node({ agentpool: 'gpu1' }, pid('gpu1'))]);
    const lookup = new KubeNodeLookup({ list } as never);
    expect((await lookup.providerIDs()).get('gpu1')).toBe(pid('gpu1'));
    expect(list).toHaveBeenCalledWith(expect.objectContaining({ kind: 'Node' }), { labelSelector: 'kaito-ts.dev/provisioner=gpu-provisioner' });
  });
});

describe('poolClaimKey (a joining Node → its claim, before the claim knows the providerID)', () => {
  const owned = { 'kaito-ts.dev/provisioner': 'gpu-provisioner' };
  const fullNode = (labels: Record<string, string>) => ({ metadata: { name: 'aks-x-0', labels } });

  it('gives a claim and the Node of its pool the same key, whether the pool is the claim name or its digest', () => {
    for (const name of ['ws0123abcd', 'workspace-with-a-long-name']) {
      const claimKey = poolClaimKey.ofRequest(makeNodeRequest('nodeclaim', { metadata: { name } }));
      expect(claimKey).toBe(poolNameFor(name));
      expect(poolClaimKey.ofNode(fullNode({ ...owned, 'kubernetes.azure.com/agentpool': poolNameFor(name) }))).toBe(claimKey);
    }
    expect(poolClaimKey.ofNode(fullNode({ ...owned, agentpool: 'gpu1' }))).toBe('gpu1');
  });

  it('gives no key to a Node of a pool gpu-provisioner does not own, nor to a claim no pool can be named after', () => {
    expect(poolClaimKey.ofNode(fullNode({ 'kubernetes.azure.com/agentpool': 'nodepool1' }))).toBeUndefined();
    expect(poolClaimKey.ofNode(fullNode(owned))).toBeUndefined();
    expect(poolClaimKey.ofRequest(makeNodeRequest('nodeclaim', { metadata: { name: '' } }))).toBeUndefined();
  });
});
