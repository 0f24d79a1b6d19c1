/**
 * `resource.instanceType` against the catalog, on CREATE of an inference Workspace that names
 * one (nodes are provisioned):
 *
 * - the SKU is in the catalog; an Azure `Standard_N*`/`Standard_D*` size that is not is admitted
 *   with a warning, as Kaito admits it, since its fit cannot be checked;
 * - the preset fits it: the planner's own explanation is the message (its numbers, the cheapest
 *   SKUs that fit and the node count that would), the same plan the controller makes, within
 *   `resource.count` nodes. `kaito.sh/bypass-resource-checks` turns a memory misfit into a fit, as
 *   in Kaito;
 * - `resource.partition` (GPU sharing) is for bring-your-own nodes only.
 */
import { Annotations } from '@kaito-ts/api';
import { UnknownSkuError, type GpuSku } from '@kaito-ts/presets';
import { presetModel, runtimeOf } from './preset.js';
import { error, type Finding, warning, type WorkspaceRule } from './types.js';

const PATH = 'resource.instanceType';
/** Kaito admits any Azure size with these prefixes even when its SKU table does not list it. */
const ADMITTED_PREFIXES = ['Standard_N', 'Standard_D'] as const;

export const instanceTypeRules: WorkspaceRule = ({ operation, workspace: ws, catalog }) => {
  const instanceType = ws.resource.instanceType ?? '';
  if (operation !== 'CREATE' || ws.inference === undefined || instanceType === '') return [];
  const out: Finding[] = [];
  if (ws.resource.partition !== undefined) {
    out.push(error('resource.partition', 'GPU partitioning is for bring-your-own nodes only: remove resource.partition, or remove resource.instanceType and label your nodes'));
  }
  let sku: GpuSku;
  try {
    sku = catalog.getSku(instanceType);
  } catch (err) {
    if (!(err instanceof UnknownSkuError)) throw err;
    if (ADMITTED_PREFIXES.some((p) => instanceType.startsWith(p))) {
      return [...out, warning(PATH, `${err.message}: admitted as an Azure size, but whether the model fits it was not checked`)];
    }
    return [...out, error(PATH, `${err.message}; choose a GPU size from the catalog (list them: npm run presets -- skus), e.g. Standard_NC24ads_A100_v4`)];
  }
  const found = presetModel(ws, catalog);
  const runtime = runtimeOf(ws);
  // An unknown preset or runtime is reported by preset.ts / annotations.ts; there is nothing to plan.
  if (found === undefined || !('model' in found) || runtime === undefined || !found.model.runtimes.includes(runtime)) return out;
  const count = Math.max(ws.resource.count ?? 1, 1);
  const bypass = ws.metadata.annotations?.[Annotations.bypassResourceChecks] !== undefined;
  const p = catalog.plan(found.model, sku, runtime, { maxNodes: count, requestedNodes: count, bypassMemoryCheck: bypass });
  if (!p.fits) {
    const nodes = p.suggestion?.nodes !== undefined ? ` (to allow ${p.suggestion.nodes} nodes, set resource.count: ${p.suggestion.nodes})` : '';
    out.push(error(PATH, `${p.misfitReason ?? 'ModelDoesNotFit'}: ${found.model.name} on ${sku.name}: ${p.reasons[0] ?? 'does not fit'}${nodes}`));
  }
  return out;
};
