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
  const problems: Issue[] = [];
  decoded.value.skus.forEach((sku, i) => {
    for (const name of [sku.name, ...(sku.aliases ?? [])]) {
      const key = name.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) problems.push({ path: `skus[${i}].name`, message: `"${name}" is already used by ${first}` });
      else seen.set(key, `skus[${i}]`);
    }
  });
  const gpus = decoded.value.gpus ?? {};
  for (const [product, fact] of Object.entries(gpus)) {
    const users = decoded.value.skus.filter((s) => s.gpuProduct === product);
    if (users.length === 0) problems.push({ path: `gpus.${product}`, message: 'no SKU has this gpuProduct' });
    // ECC and firmware take a few percent; more than 15% off the nominal size is a typo
    for (const s of users) {
      const nominalMiB = s.gpuMemoryGiB * 1024;
      if (fact.memoryTotalMiB > nominalMiB * 1.02 || fact.memoryTotalMiB < nominalMiB * 0.85)
        problems.push({ path: `gpus.${product}.memoryTotalMiB`, message: `expected within 85-102% of ${s.name}'s nominal ${s.gpuMemoryGiB} GiB, got ${fact.memoryTotalMiB} MiB` });
    }
  }
  if (problems.length > 0) throw new CatalogInvalidError(source, problems);
  return Object.freeze(
    decoded.value.skus.map((s) => {
      const fact = gpus[s.gpuProduct];
      return Object.freeze(fact === undefined ? s : { ...s, cudaMemoryGiB: fact.memoryTotalMiB / 1024, cudaMemorySource: fact.source });
    }),
  );
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

/** One GPU's memory as CUDA sees it (nvidia-smi memory.total), else the nominal size. */
export function deviceMemoryGiB(sku: GpuSku): number {
  return sku.cudaMemoryGiB ?? sku.gpuMemoryGiB;
}

/** GPU memory of one node, all GPUs together, nominal (as Kaito's SKU tables). */
export function totalGpuMemoryGiB(sku: GpuSku): number {
  return sku.gpuCount * sku.gpuMemoryGiB;
}

/** Compute capability as a number for comparisons (`'8.6'` → 8.6). */
export function computeCapabilityOf(sku: GpuSku): number {
  return Number(sku.computeCapability);
}
