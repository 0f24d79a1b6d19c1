// The GPU SKU catalog: decoded once from catalog/skus.json.
import { decode, type Issue } from '@kaito-ts/core';
import skuData from './catalog/skus.json' with { type: 'json' };
import { GpuSku, SkuCatalog } from './catalog/sku-codec.js';
import { CatalogInvalidError, UnknownSkuError } from './errors.js';
import { closeMatches } from './levenshtein.js';

export type { GpuSku } from './catalog/sku-codec.js';

/** Decodes a SKU catalog document; throws CatalogInvalidError naming each bad field. */
export function decodeSkuCatalog(value: unknown, source = 'skus catalog'): readonly GpuSku[] {
  const decoded = decode(SkuCatalog, value);
  if (!decoded.ok) throw new CatalogInvalidError(source, decoded.issues);
  const seen = new Map<string, string>();
  const duplicates: Issue[] = [];
  decoded.value.skus.forEach((sku, i) => {
    for (const name of [sku.name, ...(sku.aliases ?? [])]) {
      const key = name.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) duplicates.push({ path: `skus[${i}].name`, message: `"${name}" is already used by ${first}` });
      else seen.set(key, `skus[${i}]`);
    }
  });
  if (duplicates.length > 0) throw new CatalogInvalidError(source, duplicates);
  return Object.freeze(decoded.value.skus.map((s) => Object.freeze(s)));
}

let cache: readonly GpuSku[] | undefined;

/** Every SKU in the catalog, in catalog order. */
export function listSkus(): readonly GpuSku[] {
  cache ??= decodeSkuCatalog(skuData, 'catalog/skus.json');
  return cache;
}

/** The SKU with this exact name (or alias), case-insensitive. */
export function findSku(name: string): GpuSku | undefined {
  const key = name.trim().toLowerCase();
  return listSkus().find((s) => s.name.toLowerCase() === key || (s.aliases ?? []).some((a) => a.toLowerCase() === key));
}

/** Like findSku, but an unknown name throws UnknownSkuError with close matches. */
export function getSku(name: string): GpuSku {
  const sku = findSku(name);
  if (sku !== undefined) return sku;
  throw new UnknownSkuError(name, closeMatches(name, listSkus().map((s) => s.name)));
}

/** GPU memory of one node, all GPUs together. */
export function totalGpuMemoryGiB(sku: GpuSku): number {
  return sku.gpuCount * sku.gpuMemoryGiB;
}

/** Compute capability as a number for comparisons (`'8.6'` → 8.6). */
export function computeCapabilityOf(sku: GpuSku): number {
  return Number(sku.computeCapability);
}
