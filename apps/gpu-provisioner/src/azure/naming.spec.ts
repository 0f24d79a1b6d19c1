import { classifyLaunchError } from '@kaito-ts/karpenter';
import { parseProviderID, poolNameFor, POOL_NAME_PATTERN } from './naming.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const pid = (vmss: string, i = '0', rest = `subscriptions/${SUB}/resourceGroups/mc_rg_aks_eastus/providers/Microsoft.Compute/virtualMachineScaleSets`) =>
  `azure:///${rest}/${vmss}/virtualMachines/${i}`;

describe('poolNameFor', () => {
  it.each([
    ['ws0a1b2c3d4e', 'ws0a1b2c3d4e'],
    ['gpu', 'gpu'],
  ])('keeps a claim name AKS accepts: %s', (name, pool) => expect(poolNameFor(name)).toBe(pool));

  it.each(['conf-no-abc123-1', 'Workspace1', '1abc', 'abcdefghijklm', 'ws.a'])('hashes a name AKS refuses (%s) into a valid, stable pool name', (name) => {
    const pool = poolNameFor(name);
    expect(pool).toMatch(POOL_NAME_PATTERN);
    expect(pool).toMatch(/^kt/);
    expect(poolNameFor(name)).toBe(pool);
  });

  it('gives different names different pools', () => {
    const names = Array.from({ length: 500 }, (_, i) => `conf-no-run-${i}`);
    expect(new Set(names.map(poolNameFor)).size).toBe(names.length);
  });

  it('refuses an empty name with the terminal InvalidRequest reason', () => {
    expect(() => poolNameFor('')).toThrow(/empty name/);
    let thrown: unknown;
    try {
      poolNameFor('');
    } catch (err) {
      thrown = err;
    }
    expect(classifyLaunchError(thrown)).toEqual({ reason: 'InvalidRequest', kind: 'terminal' });
  });
});

describe('parseProviderID', () => {
  it('recovers the pool, node resource group and instance from an AKS VMSS providerID', () => {
    expect(parseProviderID(pid('aks-gpu1-12345678-vmss', '3'))).toEqual({ subscriptionId: SUB, nodeResourceGroup: 'mc_rg_aks_eastus', pool: 'gpu1', instance: '3' });
  });

  it.each([
    ['empty', ''],
    ['another cloud', 'aws:///us-east-1a/i-0123456789abcdef0'],
    ['kwok', 'kwok://node-1'],
    ['a standalone VM', `azure:///subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`],
    ['no instance', pid('aks-gpu1-12345678-vmss').replace(/\/virtualMachines\/0$/, '')],
    ['a non-numeric instance', pid('aks-gpu1-12345678-vmss', 'x')],
    ['a VMSS not named by AKS', pid('myscaleset', '0')],
    ['a pool name AKS would refuse', pid('aks-GPU-12345678-vmss')],
    ['a pool name too long', pid('aks-abcdefghijklm-12345678-vmss')],
    ['extra segments', `${pid('aks-gpu1-12345678-vmss')}/extra`],
    ['a wrong provider', pid('aks-gpu1-12345678-vmss', '0', `subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualMachineScaleSets`)],
    ['an empty subscription', pid('aks-gpu1-12345678-vmss', '0', 'subscriptions//resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets')],
    ['a huge string', `azure:///${'a/'.repeat(2000)}`],
  ])('returns undefined for %s', (_what, providerID) => expect(parseProviderID(providerID)).toBeUndefined());
});
