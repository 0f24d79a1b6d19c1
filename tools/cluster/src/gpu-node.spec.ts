import { findSku } from '@kaito-ts/presets';
import {
  defaultNodeName,
  FAKE_GPU_NODE_LABEL,
  gpuNodeManifest,
  KWOK_NODE_ANNOTATION,
  parseTaint,
  poolHash,
  PROCESS_KUBELET_LABEL,
  skuOrThrow,
} from './gpu-node.js';

const nc6 = skuOrThrow('Standard_NC6s_v3');

describe('gpuNodeManifest', () => {
  it('gives a Standard_NC6s_v3 node one V100 with 16 GiB and the VM size as capacity and allocatable', () => {
    const node = gpuNodeManifest(nc6);
    for (const field of ['capacity', 'allocatable'] as const) {
      expect(node.status?.[field]).toEqual({
        cpu: '6',
        memory: '112Gi',
        'ephemeral-storage': '256Gi',
        'nvidia.com/gpu': '1',
        pods: '110',
      });
    }
    expect(node.metadata?.labels).toMatchObject({
      'node.kubernetes.io/instance-type': 'Standard_NC6s_v3',
      accelerator: 'nvidia',
      'nvidia.com/gpu.product': 'Tesla-V100-PCIE-16GB',
      'nvidia.com/gpu.count': '1',
      'nvidia.com/gpu.memory': '16384',
      'kubernetes.io/os': 'linux',
      [FAKE_GPU_NODE_LABEL]: 'true',
    });
  });

  it('marks the node for kwok and gives it a providerID', () => {
    const node = gpuNodeManifest(nc6);
    expect(node.metadata?.annotations?.[KWOK_NODE_ANNOTATION]).toBe('fake');
    expect(node.spec?.providerID).toMatch(/^azure:\/\/\/subscriptions\/.+\/virtualMachines\/kwok-gpu-standard-nc6s-v3-0$/);
  });

  it('names a pool node AKS-style and labels it with agentpool and kubernetes.azure.com/agentpool', () => {
    const node = gpuNodeManifest(nc6, { pool: 'gpupool', index: 2 });
    expect(node.metadata?.name).toBe(`aks-gpupool-${poolHash('gpupool')}-vmss000002`);
    expect(node.metadata?.labels).toMatchObject({ agentpool: 'gpupool', 'kubernetes.azure.com/agentpool': 'gpupool' });
    expect(node.spec?.providerID).toMatch(/virtualMachineScaleSets\/aks-gpupool-\d{8}-vmss\/virtualMachines\/2$/);
  });

  it('has no agentpool labels outside a pool', () => {
    const labels = gpuNodeManifest(nc6).metadata?.labels ?? {};
    expect(labels).not.toHaveProperty('agentpool');
    expect(labels).not.toHaveProperty('kubernetes.azure.com/agentpool');
  });

  it.each([
    ['Standard_NC24ads_A100_v4', '1', '81920'],
    ['Standard_ND96isr_H100_v5', '8', '81920'],
    ['p4d.24xlarge', '8', '40960'],
  ])('takes GPU count and per-GPU memory of %s from the catalog', (name, count, mib) => {
    const sku = skuOrThrow(name);
    const node = gpuNodeManifest(sku);
    expect(node.status?.capacity?.['nvidia.com/gpu']).toBe(count);
    expect(node.metadata?.labels?.['nvidia.com/gpu.memory']).toBe(String(sku.gpuMemoryGiB * 1024));
    expect(String(sku.gpuMemoryGiB * 1024)).toBe(mib);
  });

  it('uses the SKU NVMe size as ephemeral storage when it has one, and an explicit size over both', () => {
    const a100 = findSku('Standard_NC24ads_A100_v4');
    expect(a100?.nvmeGiB).toBeDefined();
    expect(gpuNodeManifest(a100!).status?.capacity?.['ephemeral-storage']).toBe(`${a100!.nvmeGiB}Gi`);
    expect(gpuNodeManifest(nc6, { ephemeralStorageGiB: 500 }).status?.capacity?.['ephemeral-storage']).toBe('500Gi');
  });

  it('gives AWS instance types an aws:/// providerID and a node group label', () => {
    const node = gpuNodeManifest(skuOrThrow('g5.xlarge'), { pool: 'gpu' });
    expect(node.spec?.providerID).toMatch(/^aws:\/\/\/us-west-2a\/i-0[0-9]{16}$/);
    expect(node.metadata?.labels?.['eks.amazonaws.com/nodegroup']).toBe('gpu');
    expect(node.metadata?.labels).not.toHaveProperty('agentpool');
  });

  it('applies extra labels and taints', () => {
    const node = gpuNodeManifest(nc6, {
      labels: { 'kaito.sh/workspace': 'ws' },
      taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }],
    });
    expect(node.metadata?.labels?.['kaito.sh/workspace']).toBe('ws');
    expect(node.spec?.taints).toEqual([{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }]);
  });
});

describe('defaultNodeName', () => {
  it('is a valid DNS name for every catalog SKU', () => {
    const sku = skuOrThrow('p5.48xlarge');
    expect(defaultNodeName(sku, undefined, 0)).toBe('kwok-gpu-p5-48xlarge-0');
  });
});

describe('skuOrThrow', () => {
  it('names the known SKUs when the SKU is unknown', () => {
    expect(() => skuOrThrow('Standard_Nope')).toThrow(/unknown GPU SKU "Standard_Nope"; use one of: .*Standard_NC6s_v3/);
  });
});

describe('parseTaint', () => {
  it.each([
    ['sku=gpu:NoSchedule', { key: 'sku', value: 'gpu', effect: 'NoSchedule' }],
    ['nvidia.com/gpu:NoExecute', { key: 'nvidia.com/gpu', effect: 'NoExecute' }],
  ])('parses %s', (text, taint) => {
    expect(parseTaint(text)).toEqual(taint);
  });

  it('rejects a taint without an effect', () => {
    expect(() => parseTaint('sku=gpu')).toThrow(/expected key=value:NoSchedule/);
  });
});

describe('gpuNodeManifest with runPods', () => {
  it('labels the node for the process kubelet and keeps kwok off it', () => {
    const node = gpuNodeManifest(skuOrThrow('Standard_NC6s_v3'), { runPods: 'default' });
    expect(node.metadata?.labels?.[PROCESS_KUBELET_LABEL]).toBe('default');
    expect(node.metadata?.annotations?.[KWOK_NODE_ANNOTATION]).toBe('process-kubelet');
    expect(node.status?.nodeInfo?.kubeletVersion).toBe('process-kubelet');
  });
});
