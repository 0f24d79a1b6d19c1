/**
 * Rules for tuning Workspaces, so what can be judged from the request alone is refused at
 * `kubectl apply`, before any GPU node is paid for:
 *
 * - `tuning.config` (CREATE, as Kaito): the ConfigMap exists, holds `training_config.yaml`, and
 *   passes `validateTuningConfig`, the tuning-runner's own decoder (known sections, qlora needs
 *   4- or 8-bit quantisation and lora none, `output_dir` under `/mnt`), so the webhook can never
 *   admit what the runner refuses;
 * - `tuning.input.urls` (CREATE, and an UPDATE that changes them): http(s) only, and no host that
 *   is LITERALLY a loopback, private, link-local, unspecified or cloud-metadata address, or
 *   `localhost`, as Kaito's webhook refuses them. A host *name* that resolves to such an address
 *   is the controller's pre-flight's job (it resolves; the webhook does no DNS);
 * - `tuning.preset` (CREATE; immutable after): the preset is in the catalog and supports tuning
 *   with `tuning.method`.
 */
import { TUNING_CONFIG_KEY, type Workspace } from '@kaito-ts/api';
import { UnknownModelError, type PresetModel } from '@kaito-ts/presets';
import { isDeepStrictEqual } from 'node:util';
import { restrictedAddress } from '../controllers/tuning/addresses.js';
import { TuningConfigError, validateTuningConfig } from '../controllers/tuning/tuning-config.js';
import { type AdmissionInput, error, type Finding, type WorkspaceRule } from './types.js';

const DEFAULT_METHOD = 'qlora';

function configFindings({ workspace: ws, cluster }: AdmissionInput): Finding[] {
  const name = ws.tuning?.config;
  if (name === undefined || name === '') return [];
  const data = cluster.configMaps.get(name);
  if (data === undefined) return []; // not looked up
  const namespace = ws.metadata.namespace ?? 'default';
  if (data === null) {
    return [error('tuning.config', `ConfigMap ${name} not found in namespace ${namespace}; create it first with key ${TUNING_CONFIG_KEY} (e.g. kubectl create configmap ${name} -n ${namespace} --from-file=${TUNING_CONFIG_KEY}), or remove tuning.config to use the method's defaults`)];
  }
  const text = data[TUNING_CONFIG_KEY];
  if (text === undefined) return [error('tuning.config', `ConfigMap ${name} has no key ${TUNING_CONFIG_KEY} (it holds: ${Object.keys(data).join(', ') || 'nothing'})`)];
  try {
    validateTuningConfig(text, ws.tuning?.method ?? DEFAULT_METHOD, `ConfigMap ${name} ${TUNING_CONFIG_KEY}`);
  } catch (err) {
    if (err instanceof TuningConfigError) return [error('tuning.config', err.message)];
    throw err;
  }
  return [];
}

/**
 * Why a URL's literal host may not be downloaded from, or undefined when it may. With
 * `allowLoopback` (the controller's --tuning-allow-loopback-inputs, as its pre-flight reads it)
 * loopback and `localhost` pass; private, link-local and metadata addresses never do.
 */
function refusedHost(host: string, allowLoopback: boolean): string | undefined {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return allowLoopback ? undefined : 'localhost';
  const kind = restrictedAddress(bare);
  if (kind === undefined || (kind === 'loopback' && allowLoopback)) return undefined;
  return `a ${kind} address`;
}

function urlFindings({ operation, workspace: ws, old, policy }: AdmissionInput): Finding[] {
  const urls = ws.tuning?.input.urls ?? [];
  if (operation === 'UPDATE' && isDeepStrictEqual(old?.tuning?.input.urls, urls)) return [];
  const out: Finding[] = [];
  urls.forEach((raw, i) => {
    const field = `tuning.input.urls[${i}]`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      out.push(error(field, `expected an http(s) URL, got ${JSON.stringify(raw)} (e.g. https://example.com/data/train.parquet)`));
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      out.push(error(field, `expected an http(s) URL, got a ${url.protocol} URL (e.g. https://example.com/data/train.parquet)`));
      return;
    }
    const why = refusedHost(url.hostname, policy?.allowLoopbackInputs === true);
    if (why !== undefined) out.push(error(field, `host ${url.hostname} is ${why}; tuning inputs must come from a public server`));
  });
  return out;
}

function presetFindings({ operation, workspace: ws, catalog }: AdmissionInput): Finding[] {
  const tuning = ws.tuning;
  if (operation !== 'CREATE' || tuning === undefined) return [];
  const method = tuning.method ?? DEFAULT_METHOD;
  let model: PresetModel;
  try {
    model = catalog.getModel(tuning.preset.name);
  } catch (err) {
    if (!(err instanceof UnknownModelError)) throw err;
    const close = err.closeMatches.length > 0 ? `; did you mean ${err.closeMatches.map((m) => `"${m}"`).join(', ')}?` : '';
    return [error('tuning.preset.name', `unknown model "${tuning.preset.name}"${close} (list the presets: npm run presets -- list)`)];
  }
  if (model.tuning === undefined) return [error('tuning.preset.name', `${model.name} does not support tuning; choose a preset that does (e.g. phi-3-mini-128k-instruct)`)];
  if (!model.tuning.methods.includes(method)) {
    return [error('tuning.method', `${model.name} does not support ${method} tuning; it supports ${model.tuning.methods.join(', ')} (e.g. method: ${model.tuning.methods[0] ?? 'lora'})`)];
  }
  return [];
}

/** Every finding on a tuning Workspace (a no-op for inference ones). */
export const tuningRules: WorkspaceRule = (input) => {
  const ws: Workspace = input.workspace;
  if (ws.tuning === undefined) return [];
  return [...presetFindings(input), ...(input.operation === 'CREATE' ? configFindings(input) : []), ...urlFindings(input)];
};
