import runtimeData from './catalog/runtimes.json' with { type: 'json' };
import { CatalogInvalidError } from './errors.js';
import { decodeRuntimeCatalog, gpuMemoryUtilization, runtimeCatalog } from './runtimes.js';
import { getSku } from './skus.js';

/** A copy of the catalog with the field at `path` replaced (or deleted when value is undefined). */
function corrupted(path: string[], value: unknown): unknown {
  const doc = structuredClone(runtimeData) as Record<string, unknown>;
  let at = doc;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = path[path.length - 1] ?? '';
  if (value === undefined) delete at[last];
  else at[last] = value;
  return doc;
}

describe('runtime catalog', () => {
  it('decodes the bundled catalog', () => {
    expect(runtimeCatalog().inference.vllm.port).toBe(5000);
  });

  it.each([
    ['inference.vllm.port: expected a port number 1-65535, got 0', ['inference', 'vllm', 'port'], 0],
    ['inference.transformers.gpuMemoryUtilization: expected a number in (0, 1], got 1.2', ['inference', 'transformers', 'gpuMemoryUtilization'], 1.2],
    ['tuning.paths.results: expected a non-empty string, got nothing', ['tuning', 'paths', 'results'], undefined],
    ['tuning.imgae: unknown field', ['tuning', 'imgae'], {}],
  ])('rejects a bad catalog saying "%s"', (message, path, value) => {
    const doc = corrupted(path, value);
    expect(() => decodeRuntimeCatalog(doc)).toThrow(CatalogInvalidError);
    expect(() => decodeRuntimeCatalog(doc)).toThrow(message);
  });

  it.each([
    ['Standard_NV36ads_A10_v5', 0.82],
    ['g5.xlarge', 0.82],
    ['Standard_NC24ads_A100_v4', 0.84],
  ])('lets vLLM use the Kaito share of GPU memory on %s: %f', (sku, util) => {
    expect(gpuMemoryUtilization('vllm', getSku(sku))).toBe(util);
  });
});
