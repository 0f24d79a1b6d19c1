export type { GpuSku } from './skus.js';
export { listSkus, findSku, getSku, totalGpuMemoryGiB, computeCapabilityOf, decodeSkuCatalog } from './skus.js';
export {
  CatalogInvalidError,
  UnknownModelError,
  UnknownSkuError,
  InvalidCustomModelError,
  isPresetsError,
  type PresetsError,
} from './errors.js';
