/**
 * Settings, from flags with environment fallbacks (`--node-api` / `WORKSPACE_CONTROLLER_NODE_API`),
 * read by the repository's settings helper (@kaito-ts/core): a bad value stops the process with
 * one line naming it. Flags win over variables, which win over defaults.
 */
import { defineSettings, parseSettings, SettingCodecs, settingsHelp } from '@kaito-ts/core';
import { type NodeRequestApi, NodeRequestApis } from '@kaito-ts/karpenter';
import { type ProvisioningMode, ProvisioningModes } from './controllers/workspace/plan.js';

export interface WorkspaceControllerSettings {
  readonly nodeApi: NodeRequestApi;
  readonly kubeconfig?: string;
  /** Namespaces whose Workspaces are reconciled; empty: all. */
  readonly namespaces: readonly string[];
  /** Registry of the runtime images (a mirror of mcr.microsoft.com/aks/kaito); absent: the catalog's. */
  readonly registry?: string;
  readonly leaderElect: boolean;
  readonly leaseName: string;
  readonly leaseNamespace: string;
  readonly concurrency: number;
  /** Client-side rate limit of the controller's API requests (leader election has its own). */
  readonly kubeApiQps: number;
  readonly kubeApiBurst: number;
  readonly metricsPort: number | false;
  readonly healthPort: number | false;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly logFormat: 'json' | 'pretty' | 'auto';
  /** `auto`: node requests when `resource.instanceType` is set, else bring-your-own nodes; `byo`: never a node request. */
  readonly provisioning: ProvisioningMode;
}

const envOf = (flag: string): string => `WORKSPACE_CONTROLLER_${flag.toUpperCase().replace(/-/g, '_')}`;

/** Every flag falls back to `WORKSPACE_CONTROLLER_<FLAG>` (upper case, - → _). */
export const SETTINGS = defineSettings({
  nodeApi: {
    flag: 'node-api',
    env: envOf('node-api'),
    codec: SettingCodecs.oneOf(NodeRequestApis),
    default: 'nodeclaim',
    description: 'node requests as NodeClaims (karpenter.sh/v1) or Machines (karpenter.sh/v1alpha5, the seed\u2019s API)',
    placeholder: 'nodeclaim|machine',
  },
  kubeconfig: {
    flag: 'kubeconfig',
    env: [envOf('kubeconfig'), 'KUBECONFIG'],
    codec: SettingCodecs.optional(SettingCodecs.text),
    description: 'kubeconfig path (default: in-cluster or ~/.kube/config)',
    example: '/root/.kube/config',
    placeholder: 'PATH',
  },
  namespaces: {
    flag: 'namespace',
    env: envOf('namespaces'),
    kind: 'list',
    codec: SettingCodecs.list(SettingCodecs.text),
    description: 'reconcile Workspaces only in these namespaces (repeatable; default: all); one namespace also narrows the caches',
    example: 'team-a',
    placeholder: 'NS',
  },
  registry: {
    flag: 'registry',
    env: envOf('registry'),
    codec: SettingCodecs.optional(SettingCodecs.text),
    description: 'registry of the runtime images, a mirror of mcr.microsoft.com/aks/kaito (default: the catalog\u2019s)',
    example: 'myregistry.azurecr.io/kaito',
    placeholder: 'REGISTRY',
  },
  leaderElect: { flag: 'leader-elect', env: envOf('leader-elect'), codec: SettingCodecs.boolean, default: 'true', description: 'take a Lease before acting', placeholder: 'true|false' },
  leaseName: { flag: 'lease-name', env: envOf('lease-name'), codec: SettingCodecs.text, default: 'workspace-controller', description: 'the leader-election Lease', placeholder: 'NAME' },
  leaseNamespace: { flag: 'lease-namespace', env: envOf('lease-namespace'), codec: SettingCodecs.text, default: 'kaito-system', description: 'namespace of the Lease (created when missing)', placeholder: 'NS' },
  concurrency: { flag: 'concurrency', env: envOf('concurrency'), codec: SettingCodecs.wholeNumber({ min: 1, what: 'a positive whole number' }), default: '32', description: 'Workspaces reconciled at once (a reconcile mostly waits on the API server: a burst of Workspaces needs many in flight)', placeholder: 'N' },
  kubeApiQps: {
    flag: 'kube-api-qps',
    env: envOf('kube-api-qps'),
    codec: SettingCodecs.wholeNumber({ min: 1, what: 'a positive whole number of requests per second' }),
    default: '100',
    description: 'sustained API requests per second (client-side limit; the API server\u2019s priority and fairness still applies)',
    placeholder: 'N',
  },
  kubeApiBurst: {
    flag: 'kube-api-burst',
    env: envOf('kube-api-burst'),
    codec: SettingCodecs.wholeNumber({ min: 1, what: 'a positive whole number of requests' }),
    default: '200',
    description: 'API requests allowed at once above --kube-api-qps',
    placeholder: 'N',
  },
  metricsPort: { flag: 'metrics-port', env: envOf('metrics-port'), codec: SettingCodecs.port, default: '8080', description: 'Prometheus /metrics', placeholder: 'N|off' },
  healthPort: { flag: 'health-port', env: envOf('health-port'), codec: SettingCodecs.port, default: '8081', description: '/healthz and /readyz', placeholder: 'N|off' },
  logLevel: {
    flag: 'log-level',
    env: envOf('log-level'),
    codec: SettingCodecs.oneOf(['error', 'warn', 'info', 'debug'], { ignoreCase: true }),
    default: 'info',
    description: 'error | warn | info | debug (any case)',
    placeholder: 'LEVEL',
  },
  logFormat: { flag: 'log-format', env: envOf('log-format'), codec: SettingCodecs.oneOf(['json', 'pretty', 'auto']), default: 'auto', description: 'json | pretty | auto (pretty on a TTY)', placeholder: 'FORMAT' },
  // provisioning
  provisioning: {
    flag: 'provisioning',
    env: envOf('provisioning'),
    codec: SettingCodecs.oneOf(ProvisioningModes),
    default: 'auto',
    description:
      'auto: node requests for Workspaces with resource.instanceType, existing nodes matching resource.labelSelector for the others; byo: never create node requests (the instance type, when set, must be the nodes\u2019)',
    placeholder: 'auto|byo',
  },
});

export const USAGE = settingsHelp(
  SETTINGS,
  'workspace-controller: serves inference Workspaces (kaito.sh) on GPU nodes it requests as NodeClaims or Machines.\n\nusage: workspace-controller [--flag=value …]',
);

export type ParsedSettings = { help: true } | { help: false; settings: WorkspaceControllerSettings };

/** Parses flags and `WORKSPACE_CONTROLLER_*` variables. Throws SettingsError, one line. */
export function parseWorkspaceControllerSettings(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ParsedSettings {
  const parsed = parseSettings(SETTINGS, argv, env);
  if (parsed.help) return { help: true };
  const { kubeconfig, registry, ...v } = parsed.values;
  return {
    help: false,
    settings: { ...v, ...(kubeconfig !== undefined ? { kubeconfig } : {}), ...(registry !== undefined ? { registry } : {}) },
  };
}

/** Defaults for embedding (tests, the demo), with overrides. */
export function defaultSettings(overrides: Partial<WorkspaceControllerSettings> = {}): WorkspaceControllerSettings {
  const parsed = parseWorkspaceControllerSettings([], {});
  if (parsed.help) throw new Error('unreachable: no --help was given');
  return { ...parsed.settings, ...overrides };
}
