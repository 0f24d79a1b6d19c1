/**
 * `inference.config` on CREATE of a vLLM preset Workspace, as Kaito checks it: the ConfigMap
 * exists in the Workspace's namespace, holds `inference_config.yaml` as YAML, and its
 * `vllm.max-model-len`, when set, is a whole number no larger than the model's context length
 * (vLLM refuses a larger one at start-up, after the GPU node was paid for).
 */
import { INFERENCE_CONFIG_KEY } from '@kaito-ts/api';
import { parse } from 'yaml';
import { presetModel, runtimeOf } from './preset.js';
import { error, type Finding, type WorkspaceRule } from './types.js';

const PATH = 'inference.config';
const MAX_MODEL_LEN = 'max-model-len';

function maxModelLen(doc: unknown): { value: unknown } | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const vllm = (doc as Record<string, unknown>)['vllm'];
  if (typeof vllm !== 'object' || vllm === null || !(MAX_MODEL_LEN in vllm)) return undefined;
  return { value: (vllm as Record<string, unknown>)[MAX_MODEL_LEN] };
}

const wholeNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : undefined;

export const inferenceConfigRules: WorkspaceRule = ({ operation, workspace: ws, catalog, cluster }) => {
  const name = ws.inference?.config;
  if (operation !== 'CREATE' || name === undefined || name === '' || runtimeOf(ws) !== 'vllm') return [];
  const namespace = ws.metadata.namespace ?? 'default';
  const data = cluster.configMaps.get(name);
  if (data === undefined) return []; // not looked up
  if (data === null) {
    return [error(PATH, `ConfigMap ${name} not found in namespace ${namespace}; create it first with key ${INFERENCE_CONFIG_KEY} (e.g. kubectl create configmap ${name} -n ${namespace} --from-file=${INFERENCE_CONFIG_KEY})`)];
  }
  const text = data[INFERENCE_CONFIG_KEY];
  if (text === undefined) return [error(PATH, `ConfigMap ${name} has no key ${INFERENCE_CONFIG_KEY}; put the runtime settings there, e.g. "vllm:\\n  ${MAX_MODEL_LEN}: 4096"`)];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return [error(PATH, `ConfigMap ${name} key ${INFERENCE_CONFIG_KEY} is not valid YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''}`)];
  }
  const setting = maxModelLen(doc);
  if (setting === undefined) return [];
  const out: Finding[] = [];
  const value = wholeNumber(setting.value);
  const at = `ConfigMap ${name} ${INFERENCE_CONFIG_KEY} vllm.${MAX_MODEL_LEN}`;
  if (value === undefined || value < 1) {
    out.push(error(PATH, `${at}: expected a positive whole number of tokens, got ${JSON.stringify(setting.value)} (e.g. ${MAX_MODEL_LEN}: 4096)`));
    return out;
  }
  const found = presetModel(ws, catalog);
  if (found !== undefined && 'model' in found && value > found.model.contextLength) {
    out.push(error(PATH, `${at}: ${found.model.name} takes at most ${found.model.contextLength} tokens, got ${value}; set ${MAX_MODEL_LEN}: ${found.model.contextLength} or less`));
  }
  return out;
};
