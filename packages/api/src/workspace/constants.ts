/** API group of the Workspace resource (wire-compatible with Kaito). */
export const GROUP = 'kaito.sh';
export const WORKSPACE_KIND = 'Workspace';
export const WORKSPACE_PLURAL = 'workspaces';
export const V1ALPHA1 = 'v1alpha1';
export const V1BETA1 = 'v1beta1';
/** The version the API server stores. */
export const STORAGE_VERSION = V1BETA1;
export const API_VERSION_V1ALPHA1 = `${GROUP}/${V1ALPHA1}` as const;
export const API_VERSION_V1BETA1 = `${GROUP}/${V1BETA1}` as const;

/** The finalizer the workspace controller puts on every Workspace (Kaito's name). */
export const WORKSPACE_FINALIZER = 'workspace.finalizer.kaito.sh';

/** Labels the controller sets on node requests and workloads (Kaito's keys). */
export const Labels = {
  workspace: 'kaito.sh/workspace',
  workspaceNamespace: 'kaito.sh/workspacenamespace',
} as const;

/** Annotations a user may set on a Workspace (Kaito's keys). */
export const Annotations = {
  runtime: 'kaito.sh/runtime',
  enableLoadBalancer: 'kaito.sh/enablelb',
  bypassResourceChecks: 'kaito.sh/bypass-resource-checks',
  nodeImageFamily: 'kaito.sh/node-image-family',
  revision: 'workspace.kaito.io/revision',
  hash: 'workspace.kaito.io/hash',
} as const;

/** Label keys the controller owns; they are stripped from a user's matchLabels, as Kaito does. */
export const RESERVED_LABEL_KEYS: readonly string[] = [Labels.workspace, Labels.workspaceNamespace];

/** ConfigMap keys Kaito reads. */
export const TUNING_CONFIG_KEY = 'training_config.yaml';
export const INFERENCE_CONFIG_KEY = 'inference_config.yaml';

/** Adapters per inference workspace (Kaito's limit). */
export const MAX_ADAPTERS = 10;
/** URLs per tuning input. */
export const MAX_INPUT_URLS = 64;
