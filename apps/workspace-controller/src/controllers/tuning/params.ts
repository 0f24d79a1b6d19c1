/**
 * Kaito's default tuning configs: the `lora-params-template` and `qlora-params-template`
 * ConfigMaps (its chart's `lora-params.yaml` / `qlora-params.yaml`), rendered from the same
 * template the runner merges under a user's config (`@kaito-ts/presets`' `kaitoTemplate`), so
 * the two cannot drift. A Workspace without `tuning.config` mounts the one for its method; the
 * controller creates it in the Workspace's namespace when missing (the chart installs it too).
 */
import { TUNING_CONFIG_KEY, type TuningMethod } from '@kaito-ts/api';
import { kaitoTemplate } from '@kaito-ts/presets';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { stringify } from 'yaml';

/** Kaito's names. */
export const PARAMS_TEMPLATE_NAMES: Readonly<Record<TuningMethod, string>> = { lora: 'lora-params-template', qlora: 'qlora-params-template' };

/** The ConfigMap a tuning Workspace's Job mounts at /mnt/config. */
export function tuningConfigMapName(ws: { readonly tuning?: { readonly config?: string; readonly method: TuningMethod } }): string {
  return ws.tuning?.config ?? PARAMS_TEMPLATE_NAMES[ws.tuning?.method ?? 'qlora'];
}

/** The default params ConfigMap for `method` in `namespace`. */
export function defaultParamsConfigMap(method: TuningMethod, namespace: string): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: PARAMS_TEMPLATE_NAMES[method], namespace, labels: { 'app.kubernetes.io/managed-by': 'workspace-controller' } },
    data: { [TUNING_CONFIG_KEY]: stringify({ training_config: kaitoTemplate(method) }) },
  };
}
