import * as t from 'io-ts';
import { NonEmptyString, PositiveInt, PositiveNumber, strictObject, stringWhere } from './codecs.js';

/** A GPU VM size (Azure) or instance type (AWS). Memory figures are GiB; gpuMemoryGiB is per GPU. */
export interface GpuSku {
  name: string;
  /** `azure-local`: Azure Local (AKS enabled by Arc) sizes, on premises: no list price */
  cloud: 'azure' | 'aws' | 'azure-local';
  gpuCount: number;
  /** per GPU, nominal (the vendor's 16, 24, 80, ...), as Kaito's SKU tables */
  gpuMemoryGiB: number;
  /**
   * per GPU, what the device exposes to CUDA (nvidia-smi memory.total, after ECC and firmware
   * reservations: an A10 shows 22.5 GiB). Filled at decode from the catalog's `gpus` table by
   * gpuProduct; absent where no measured figure is known, and then the nominal size is used.
   */
  cudaMemoryGiB?: number;
  /** where cudaMemoryGiB comes from */
  cudaMemorySource?: string;
  /** NVIDIA GPU Feature Discovery product label (`nvidia.com/gpu.product`), e.g. `Tesla-V100-PCIE-16GB` */
  gpuProduct: string;
  vcpu: number;
  memoryGiB: number;
  /** local NVMe usable for model weights; absent when the size has none (or Kaito does not use it) */
  nvmeGiB?: number;
  /** CUDA compute capability, e.g. `7.0` (V100), `8.0` (A100), `9.0` (H100) */
  computeCapability: string;
  /** approximate on-demand list price per node-hour in USD; only used to order suggestions; absent on premises */
  pricePerHourUsd?: number;
  /** other names users write for the same size (Kaito's spelling, for instance) */
  aliases?: string[];
}

export const ComputeCapability = stringWhere('ComputeCapability', 'a compute capability like "8.0"', (s) => /^\d+\.\d+$/.test(s));

export const GpuSku: t.Type<GpuSku, unknown, unknown> = strictObject(
  'GpuSku',
  {
    name: NonEmptyString,
    cloud: t.keyof({ azure: null, aws: null, 'azure-local': null }, '"azure" | "aws" | "azure-local"'),
    gpuCount: PositiveInt,
    gpuMemoryGiB: PositiveNumber,
    gpuProduct: NonEmptyString,
    vcpu: PositiveInt,
    memoryGiB: PositiveNumber,
    computeCapability: ComputeCapability,
  },
  { nvmeGiB: PositiveNumber, aliases: t.array(NonEmptyString), pricePerHourUsd: PositiveNumber },
);

/** One GPU product's memory as the driver reports it, with where the figure was read. */
export const GpuMemoryFact = strictObject('GpuMemoryFact', { memoryTotalMiB: PositiveInt, source: NonEmptyString }, {});
export type GpuMemoryFact = t.TypeOf<typeof GpuMemoryFact>;

export const SkuCatalog = strictObject('SkuCatalog', { skus: t.array(GpuSku) }, { notes: t.array(t.string), gpus: t.record(t.string, GpuMemoryFact) });
export type SkuCatalog = t.TypeOf<typeof SkuCatalog>;
