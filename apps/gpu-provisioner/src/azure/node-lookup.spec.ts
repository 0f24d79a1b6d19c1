import { KubeNodeLookup, providerIDsByPool } from './node-lookup.js';

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
