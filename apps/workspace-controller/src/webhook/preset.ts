/**
 * Rules on `inference.preset` and `inference.adapters` that need the catalog, checked on CREATE
 * (adapters also on an UPDATE that changes them, as Kaito re-checks them there):
 *
 * - the preset exists (a retired Kaito preset says what replaced it; an unknown one lists close
 *   matches) and supports the runtime `kaito.sh/runtime` asks for;
 * - a gated model (a Hugging Face token is needed to download it) names `modelAccessSecret`;
 * - adapter strength is a number in [0, 1], and only where the runtime applies it: vLLM loads
 *   adapters as LoRA modules at full strength, so any `strength` there is refused (as Kaito's
 *   preset validation does), and a model whose vLLM build cannot load LoRA takes no adapters;
 * - at most `MAX_ADAPTERS`, unique names (the CRD checks both too; kept so the rules stand alone).
 */
import { API_VERSION_V1ALPHA1, MAX_ADAPTERS, type Workspace } from '@kaito-ts/api';
import { UnknownModelError, type PresetModel, type RuntimeName } from '@kaito-ts/presets';
import { isDeepStrictEqual } from 'node:util';
import { workspaceRuntime } from '../controllers/workspace/inference-workload.js';
import { type AdmissionInput, type Catalog, error, type Finding, type WorkspaceRule } from './types.js';

const PRESET = 'inference.preset';

/** The runtime the Workspace asks for, or undefined when its annotation is invalid (annotations.ts reports that). */
export function runtimeOf(ws: Workspace): RuntimeName | undefined {
  try {
    return workspaceRuntime(ws);
  } catch {
    return undefined;
  }
}

/** The catalog model of an inference preset Workspace, or the finding that says why there is none. */
export function presetModel(ws: Workspace, catalog: Catalog): { model: PresetModel } | { finding: Finding } | undefined {
  const name = ws.inference?.preset?.name;
  if (name === undefined) return undefined;
  const successor = catalog.retiredPresets.get(name.trim().toLowerCase());
  if (successor !== undefined) {
    return { finding: error(`${PRESET}.name`, `preset "${name}" is deprecated and no longer served; choose a current preset such as ${successor} (list them: npm run presets -- list)`) };
  }
  try {
    return { model: catalog.getModel(name) };
  } catch (err) {
    if (!(err instanceof UnknownModelError)) throw err;
    const close = err.closeMatches.length > 0 ? `; did you mean ${err.closeMatches.map((m) => `"${m}"`).join(', ')}?` : '';
    // Kaito builds an entry for any Hugging Face model from the Hub's API; our planner needs the catalog's facts.
    const what = name.includes('/') ? `"${name}" is not in the preset catalog, and only catalog models can be planned and served` : `unknown model "${name}"`;
    return { finding: error(`${PRESET}.name`, `${what}${close} (list the presets: npm run presets -- list)`) };
  }
}

function presetFindings({ workspace: ws, catalog }: AdmissionInput): Finding[] {
  const found = presetModel(ws, catalog);
  if (found === undefined) return [];
  if ('finding' in found) return [found.finding];
  const { model } = found;
  const out: Finding[] = [];
  const runtime = runtimeOf(ws);
  if (runtime !== undefined && !model.runtimes.includes(runtime)) {
    out.push(
      error(
        'metadata.annotations["kaito.sh/runtime"]',
        `${model.name} does not run on ${runtime}; it supports ${model.runtimes.join(', ')} (e.g. kaito.sh/runtime: ${model.runtimes[0] ?? 'vllm'}, or remove the annotation for vllm)`,
      ),
    );
  }
  if (model.hfTokenRequired && (ws.inference?.preset?.presetOptions?.modelAccessSecret ?? '') === '') {
    const how =
      ws.apiVersion === API_VERSION_V1ALPHA1
        ? 'kaito.sh/v1alpha1 has no such field: use apiVersion kaito.sh/v1beta1 and set inference.preset.presetOptions.modelAccessSecret'
        : 'set it to a Secret in this namespace with key HF_TOKEN, e.g. modelAccessSecret: hf-token';
    out.push(error(`${PRESET}.presetOptions.modelAccessSecret`, `${model.name} is gated on Hugging Face and needs a token to download: ${how}`));
  }
  return out;
}

/** Go's strconv.ParseFloat accepts these forms (and Inf/NaN, which fall outside [0, 1] anyway). */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function adapterFindings({ workspace: ws, catalog }: AdmissionInput): Finding[] {
  const adapters = ws.inference?.adapters ?? [];
  if (adapters.length === 0) return [];
  const out: Finding[] = [];
  if (adapters.length > MAX_ADAPTERS) out.push(error('inference.adapters', `expected at most ${MAX_ADAPTERS} adapters, got ${adapters.length}`));
  const seen = new Set<string>();
  const runtime = runtimeOf(ws);
  adapters.forEach((a, i) => {
    const at = `inference.adapters[${i}]`;
    if (seen.has(a.source.name)) out.push(error(`${at}.source.name`, `adapter names must be unique; "${a.source.name}" appears more than once`));
    seen.add(a.source.name);
    if (a.strength === undefined) return;
    const strength = DECIMAL.test(a.strength.trim()) ? Number(a.strength) : NaN;
    if (!(strength >= 0 && strength <= 1)) {
      out.push(error(`${at}.strength`, `expected a number from 0 to 1, got ${JSON.stringify(a.strength)} (e.g. strength: "0.5")`));
    } else if (runtime === 'vllm') {
      out.push(error(`${at}.strength`, 'vLLM applies adapters at full strength and cannot weight them; remove strength, or set kaito.sh/runtime: transformers to merge adapters by strength'));
    }
  });
  const found = presetModel(ws, catalog);
  if (runtime === 'vllm' && found !== undefined && 'model' in found && found.model.vllm?.allowLoRA === false) {
    out.push(error('inference.adapters', `${found.model.name} cannot load LoRA adapters on vLLM; remove the adapters or set kaito.sh/runtime: transformers`));
  }
  return out;
}

export const presetRules: WorkspaceRule = (input) => (input.operation === 'CREATE' ? presetFindings(input) : []);

export const adapterRules: WorkspaceRule = (input) => {
  if (input.operation === 'UPDATE' && isDeepStrictEqual(input.old?.inference?.adapters, input.workspace.inference?.adapters)) return [];
  return adapterFindings(input);
};
