import * as t from 'io-ts';
import { NonEmptyString, PositiveInt, PositiveNumber, strictObject, stringWhere } from './codecs.js';

/** A GPU VM size (Azure) or instance type (AWS). Memory figures are GiB; gpuMemoryGiB is per GPU. */
export interface GpuSku {
  name: string;
  cloud: 'azure' | 'aws';
  gpuCount: number;
  /** per GPU */
  gpuMemoryGiB: number;
  /** NVIDIA GPU Feature Discovery product label (`nvidia.com/gpu.product`), e.g. `Tesla-V100-PCIE-16GB` */
  gpuProduct: string;
  vcpu: number;
  memoryGiB: number;
  /** local NVMe usable for model weights; absent when the size has none (or Kaito does not use it) */
  nvmeGiB?: number;
  /** CUDA compute capability, e.g. `7.0` (V100), `8.0` (A100), `9.0` (H100) */
  computeCapability: string;
  /** approximate on-demand list price per node-hour in USD; only used to order suggestions */
  pricePerHourUsd: number;
  /** other names users write for the same size (Kaito's spelling, for instance) */
  aliases?: string[];
}

export const ComputeCapability = stringWhere('ComputeCapability', 'a compute capability like "8.0"', (s) => /^\d+\.\d+$/.test(s));

export const GpuSku: t.Type<GpuSku, unknown, unknown> = strictObject(
  'GpuSku',
  {
    name: NonEmptyString,
    cloud: t.keyof({ azure: null, aws: null }, '"azure" | "aws"'),
    gpuCount: PositiveInt,
    gpuMemoryGiB: PositiveNumber,
    gpuProduct: NonEmptyString,
    vcpu: PositiveInt,
    memoryGiB: PositiveNumber,
    computeCapability: ComputeCapability,
    pricePerHourUsd: PositiveNumber,
  },
  { nvmeGiB: PositiveNumber, aliases: t.array(NonEmptyString) },
);

export const SkuCatalog = strictObject('SkuCatalog', { skus: t.array(GpuSku) }, { notes: t.array(t.string) });
export type SkuCatalog = t.TypeOf<typeof SkuCatalog>;
