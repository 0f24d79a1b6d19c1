// Container contract per runtime (catalog/runtimes.json, decoded once).
import { decode } from '@kaito-ts/core';
import runtimeData from './catalog/runtimes.json' with { type: 'json' };
import { RuntimeCatalog } from './catalog/runtime-codec.js';
import type { GpuSku } from './catalog/sku-codec.js';
import type { RuntimeName } from './catalog/model-codec.js';
import { CatalogInvalidError } from './errors.js';

export type { InferenceRuntime, TuningRuntime, ImageRef, RuntimeCatalog } from './catalog/runtime-codec.js';

export function decodeRuntimeCatalog(value: unknown, source = 'runtimes catalog'): RuntimeCatalog {
  const decoded = decode(RuntimeCatalog, value);
  if (!decoded.ok) throw new CatalogInvalidError(source, decoded.issues);
  return decoded.value;
}

let cache: RuntimeCatalog | undefined;

export function runtimeCatalog(): RuntimeCatalog {
  cache ??= decodeRuntimeCatalog(runtimeData, 'catalog/runtimes.json');
  return cache;
}

export function inferenceRuntime(name: RuntimeName): RuntimeCatalog['inference'][RuntimeName] {
  return runtimeCatalog().inference[name];
}

export function tuningRuntime(): RuntimeCatalog['tuning'] {
  return runtimeCatalog().tuning;
}

/** The GPU memory share the runtime may use on this SKU (Kaito lowers it on A10s). */
export function gpuMemoryUtilization(name: RuntimeName, sku: GpuSku): number {
  const rt = inferenceRuntime(name);
  return rt.gpuMemoryUtilizationByProduct[sku.gpuProduct] ?? rt.gpuMemoryUtilization;
}

/** The runtime's per-GPU overhead on this SKU (Kaito measured less on an A10). */
export function inferenceOverheadGiB(name: RuntimeName, sku: GpuSku): number {
  const rt = inferenceRuntime(name);
  return rt.overheadGiBByProduct[sku.gpuProduct] ?? rt.overheadGiBPerGpu;
}
