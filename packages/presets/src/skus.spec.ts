import { CatalogInvalidError, UnknownSkuError } from './errors.js';
import { computeCapabilityOf, decodeSkuCatalog, deviceMemoryGiB, findSku, getSku, listSkus, totalGpuMemoryGiB } from './skus.js';

describe('GPU SKU catalog', () => {
  it('decodes every entry of the bundled catalog', () => {
    expect(listSkus().length).toBeGreaterThanOrEqual(30);
  });

  it.each([
    // name, gpus, GiB per GPU, product, compute capability, vCPU, RAM GiB
    ['Standard_NC6s_v3', 1, 16, 'Tesla-V100-PCIE-16GB', '7.0', 6, 112],
    ['Standard_NV36ads_A10_v5', 1, 24, 'NVIDIA-A10', '8.6', 36, 440],
    ['Standard_NC24ads_A100_v4', 1, 80, 'NVIDIA-A100-80GB-PCIe', '8.0', 24, 220],
    ['Standard_NC96ads_A100_v4', 4, 80, 'NVIDIA-A100-80GB-PCIe', '8.0', 96, 880],
    ['Standard_NC40ads_H100_v5', 1, 94, 'NVIDIA-H100-NVL', '9.0', 40, 320],
    ['Standard_ND96isr_H100_v5', 8, 80, 'NVIDIA-H100-80GB-HBM3', '9.0', 96, 1900],
    ['p4d.24xlarge', 8, 40, 'NVIDIA-A100-SXM4-40GB', '8.0', 96, 1152],
    ['p5.48xlarge', 8, 80, 'NVIDIA-H100-80GB-HBM3', '9.0', 192, 2048],
    ['g5.12xlarge', 4, 24, 'NVIDIA-A10G', '8.6', 48, 192],
    ['g6.xlarge', 1, 24, 'NVIDIA-L4', '8.9', 4, 16],
  ])('describes %s as %i GPU(s) of %i GiB (%s, CC %s) with %i vCPU and %i GiB RAM', (name, gpus, perGpu, product, cc, vcpu, ram) => {
    expect(findSku(name)).toMatchObject({ gpuCount: gpus, gpuMemoryGiB: perGpu, gpuProduct: product, computeCapability: cc, vcpu, memoryGiB: ram });
  });

  it.each([
    // Kaito's table (kaito-workspace.md §5): total GPU memory per node
    ['Standard_NV72ads_A10_v5', 48],
    ['Standard_NC48ads_A100_v4', 160],
    ['Standard_ND96asr_v4', 320],
    ['Standard_ND96amsr_A100_v4', 640],
    ['Standard_NC80adis_H100_v5', 188],
    ['Standard_ND96isr_H200_v5', 1128],
    ['p4de.24xlarge', 640],
    ['p5e.48xlarge', 1128],
    ['g5.48xlarge', 192],
    ['g6.12xlarge', 96],
  ])('gives %s %i GiB of GPU memory in total, as Kaito does', (name, total) => {
    expect(totalGpuMemoryGiB(getSku(name))).toBe(total);
  });

  it.each([
    ['Standard_NC24ads_A100_v4', true],
    ['Standard_ND96isr_H200_v5', true],
    ['Standard_NV36ads_A10_v5', false],
    ['Standard_ND96asr_v4', false],
    ['Standard_NC6s_v3', false],
  ])('marks NVMe on %s as %s, following Kaito', (name, hasNvme) => {
    expect(getSku(name).nvmeGiB !== undefined).toBe(hasNvme);
  });

  it('finds a SKU whatever the case of its name', () => {
    expect(findSku('standard_nc6S_V3')?.name).toBe('Standard_NC6s_v3');
  });

  it("finds a SKU by Kaito's spelling of its name", () => {
    expect(findSku('Standard_ND96asr_A100_v4')?.name).toBe('Standard_ND96asr_v4');
  });

  it.each([
    // Kaito's spelling, Azure's name
    ['Standard_ND96asr_A100_v4', 'Standard_ND96asr_v4'],
    ['Standard_ND96asr_v4', 'Standard_ND96asr_v4'],
  ])('accepts %s for %s', (name, canonical) => {
    expect(getSku(name).name).toBe(canonical);
  });

  it.each([
    // name, cloud, GPUs, product, vCPU, RAM GiB
    ['gr6.4xlarge', 'aws', 1, 'NVIDIA-L4', 16, 128],
    ['gr6.8xlarge', 'aws', 1, 'NVIDIA-L4', 32, 256],
    ['Standard_NC4_A2', 'azure-local', 1, 'NVIDIA-A2', 4, 8],
    ['Standard_NC8_A2', 'azure-local', 1, 'NVIDIA-A2', 8, 16],
    ['Standard_NC16_A2', 'azure-local', 2, 'NVIDIA-A2', 16, 64],
    ['Standard_NC32_A2', 'azure-local', 2, 'NVIDIA-A2', 32, 128],
    ['Standard_NC4_A16', 'azure-local', 1, 'NVIDIA-A16', 4, 8],
    ['Standard_NC8_A16', 'azure-local', 1, 'NVIDIA-A16', 8, 16],
    ['Standard_NC16_A16', 'azure-local', 2, 'NVIDIA-A16', 16, 64],
    ['Standard_NC32_A16', 'azure-local', 2, 'NVIDIA-A16', 32, 128],
  ])('knows %s (%s): %i x %s, %i vCPU, %i GiB', (name, cloud, gpus, product, vcpu, ram) => {
    expect(getSku(name)).toMatchObject({ cloud, gpuCount: gpus, gpuProduct: product, gpuMemoryGiB: product === 'NVIDIA-L4' ? 24 : 16, vcpu, memoryGiB: ram });
  });

  it('gives on-premises Azure Local sizes no list price', () => {
    expect(getSku('Standard_NC4_A2').pricePerHourUsd).toBeUndefined();
  });

  it.each([
    // GPU memory as the device exposes it to CUDA (nvidia-smi memory.total, MiB / 1024)
    ['Standard_NV36ads_A10_v5', 23028 / 1024],
    ['g5.xlarge', 23028 / 1024],
    ['gr6.4xlarge', 23034 / 1024],
    ['Standard_NC6s_v3', 16160 / 1024],
    ['Standard_NC4as_T4_v3', 15],
    ['Standard_NC24ads_A100_v4', 80],
    ['Standard_ND96isr_H100_v5', 81559 / 1024],
    // no sourced figure: the nominal size
    ['Standard_NC4_A2', 16],
    ['Standard_ND96isr_H200_v5', 141],
  ])('gives %s %f GiB per GPU as CUDA sees it', (name, gib) => {
    expect(deviceMemoryGiB(getSku(name))).toBeCloseTo(gib, 6);
  });

  it('names the source of every measured GPU memory figure', () => {
    for (const s of listSkus().filter((x) => x.cudaMemoryGiB !== undefined)) expect(s.cudaMemorySource).toMatch(/github\.com\//);
  });

  it.each([
    ['gpus.NVIDIA-X: no SKU has this gpuProduct', { skus: [minimal()], gpus: { 'NVIDIA-X': { memoryTotalMiB: 16000, source: 's' } } }],
    ["gpus.X.memoryTotalMiB: expected within 85-102% of Standard_X's nominal 16 GiB, got 1600 MiB", { skus: [minimal()], gpus: { X: { memoryTotalMiB: 1600, source: 's' } } }],
    ['gpus.X.source: expected a non-empty string', { skus: [minimal()], gpus: { X: { memoryTotalMiB: 16000, source: '' } } }],
  ])('rejects a GPU memory table saying "%s"', (message, doc) => {
    expect(() => decodeSkuCatalog(doc)).toThrow(message);
  });

  it('returns undefined for a name it does not know', () => {
    expect(findSku('Standard_D4s_v5')).toBeUndefined();
  });

  it('suggests close names when getSku is given a typo', () => {
    const error = (() => {
      try {
        getSku('Standard_NC6s_v4');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnknownSkuError);
    expect((error as UnknownSkuError).closeMatches).toContain('Standard_NC6s_v3');
  });

  it('reads the compute capability as a number', () => {
    expect(computeCapabilityOf(getSku('Standard_NC6s_v3'))).toBe(7);
  });

  it.each([
    ['skus[0].cloud: is required', { skus: [{ name: 'x' }] }],
    ['skus[0].gpuMemoryGiB: expected a positive number, got -1', { skus: [{ ...minimal(), gpuMemoryGiB: -1 }] }],
    ['skus[0].gpuCount: expected a positive integer, got 1.5', { skus: [{ ...minimal(), gpuCount: 1.5 }] }],
    ['skus[0].computeCapability: expected a compute capability like "8.0"', { skus: [{ ...minimal(), computeCapability: 'ampere' }] }],
    ['skus[1].name: "Standard_X" is already used by skus[0]', { skus: [minimal(), minimal()] }],
  ])('rejects a bad catalog saying "%s"', (message, doc) => {
    expect(() => decodeSkuCatalog(doc)).toThrow(CatalogInvalidError);
    expect(() => decodeSkuCatalog(doc)).toThrow(message);
  });
});

function minimal(): Record<string, unknown> {
  return { name: 'Standard_X', cloud: 'azure', gpuCount: 1, gpuMemoryGiB: 16, gpuProduct: 'X', computeCapability: '8.0', vcpu: 4, memoryGiB: 16, pricePerHourUsd: 1 };
}
