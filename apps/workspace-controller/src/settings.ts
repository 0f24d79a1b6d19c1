/**
 * Settings, from flags with environment fallbacks (`--node-api` / `WORKSPACE_CONTROLLER_NODE_API`),
 * read by the repository's settings helper (@kaito-ts/core): a bad value stops the process with
 * one line naming it. Flags win over variables, which win over defaults.
 */
import * as t from 'io-ts';
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
  // webhook
  /** Serve the validating admission webhook. */
  readonly webhook: boolean;
  readonly webhookPort: number;
  readonly webhookServiceName: string;
  /** Namespace of the webhook Service and of its certificate Secret. */
  readonly webhookServiceNamespace: string;
  readonly webhookSecretName: string;
  readonly webhookConfigurationName: string;
  /** Local runs and tests: write the ValidatingWebhookConfiguration with this URL instead of the chart's Service. */
  readonly webhookLocalUrl?: string;
  // tuning
  /** The tuning-runner image (full reference); absent: the catalog's, under `registry` when set. */
  readonly tuningImage?: string;
  readonly tuningDataPullerImage: string;
  readonly tuningBackoffLimit: number;
  /** The Job's activeDeadlineSeconds, in ms (0: none). */
  readonly tuningActiveDeadlineMs: number;
  readonly tuningKeepNodes: boolean;
  readonly tuningAllowLoopbackInputs: boolean;
  readonly tuningInsecureRegistries: readonly string[];
  readonly tuningPodAnnotations: Readonly<Record<string, string>>;
  readonly tuningPreflightRecheckMs: number;
  /** The image of the adapter pullers (skopeo with a shell and tar); absent: Kaito's. */
  readonly adapterPullerImage?: string;
  /** Extra annotations on the pods of preset inference StatefulSets (the local cluster's process kubelet). */
  readonly inferencePodAnnotations: Readonly<Record<string, string>>;
}

/** An https:// URL with a host: where the API server reaches a locally run webhook. */
const HttpsUrl = new t.Type<string, string, unknown>(
  'HttpsUrl',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' && /^https:\/\/[^/\s]+\/?$/.test(u) ? t.success(u) : t.failure(u, c, `expected an https:// URL of a host and port, got ${JSON.stringify(u)}`)),
  t.identity,
);

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
  // webhook
  webhook: { flag: 'webhook', env: envOf('webhook'), codec: SettingCodecs.boolean, default: 'false', description: 'serve the validating admission webhook for Workspaces (the chart turns it on)', placeholder: 'true|false' },
  webhookPort: { flag: 'webhook-port', env: envOf('webhook-port'), codec: SettingCodecs.wholeNumber({ min: 1, max: 65535, what: 'a port from 1 to 65535' }), default: '9443', description: 'HTTPS port of the webhook', placeholder: 'N' },
  webhookServiceName: { flag: 'webhook-service-name', env: envOf('webhook-service-name'), codec: SettingCodecs.text, default: 'workspace-controller-webhook', description: 'the Service in front of the webhook (its DNS names go into the serving certificate)', placeholder: 'NAME' },
  webhookServiceNamespace: { flag: 'webhook-service-namespace', env: envOf('webhook-service-namespace'), codec: SettingCodecs.text, default: 'kaito-system', description: 'namespace of that Service and of the certificate Secret (created when missing)', placeholder: 'NS' },
  webhookSecretName: { flag: 'webhook-secret-name', env: envOf('webhook-secret-name'), codec: SettingCodecs.text, default: 'workspace-webhook-cert', description: 'the Secret holding the webhook CA and serving certificate (made and renewed by the controller)', placeholder: 'NAME' },
  webhookConfigurationName: {
    flag: 'webhook-configuration-name',
    env: envOf('webhook-configuration-name'),
    codec: SettingCodecs.text,
    default: 'validation.workspace.kaito.sh',
    description: 'the ValidatingWebhookConfiguration whose caBundle the controller keeps current',
    placeholder: 'NAME',
  },
  webhookLocalUrl: {
    flag: 'webhook-local-url',
    env: envOf('webhook-local-url'),
    codec: SettingCodecs.optional(HttpsUrl),
    description: 'local runs and tests: create the webhook configuration pointing at this URL (removed at stop) instead of patching the chart\u2019s',
    example: 'https://127.0.0.1:9443',
    placeholder: 'URL',
  },
  // tuning
  tuningImage: {
    flag: 'tuning-image',
    env: envOf('tuning-image'),
    codec: SettingCodecs.optional(SettingCodecs.text),
    description: 'the tuning-runner image of tuning Jobs (default: the catalog\u2019s, under --registry when set)',
    example: 'myregistry.azurecr.io/kaito-ts/tuning-runner:0.1.0',
    placeholder: 'IMAGE',
  },
  tuningDataPullerImage: {
    flag: 'tuning-data-puller-image',
    env: envOf('tuning-data-puller-image'),
    codec: SettingCodecs.text,
    default: 'quay.io/skopeo/stable:v1.16.1',
    description: 'the init container that copies a tuning.input.image\u2019s /data into /mnt/data (needs sh, tar and skopeo)',
    placeholder: 'IMAGE',
  },
  tuningBackoffLimit: {
    flag: 'tuning-backoff-limit',
    env: envOf('tuning-backoff-limit'),
    codec: SettingCodecs.wholeNumber({ min: 0, what: 'a whole number of retries' }),
    default: '0',
    description: 'the tuning Job\u2019s backoffLimit (a failed run is usually its input\u2019s fault: retrying repeats it)',
    placeholder: 'N',
  },
  tuningActiveDeadlineMs: {
    flag: 'tuning-active-deadline',
    env: envOf('tuning-active-deadline'),
    codec: SettingCodecs.duration,
    default: '0',
    description: 'the tuning Job\u2019s activeDeadlineSeconds, e.g. 12h (0: none)',
    placeholder: 'DURATION',
  },
  tuningKeepNodes: {
    flag: 'tuning-keep-nodes',
    env: envOf('tuning-keep-nodes'),
    codec: SettingCodecs.boolean,
    default: 'false',
    description: 'keep a tuning Workspace\u2019s node requests after its Job ended (for reruns); default: release them',
    placeholder: 'true|false',
  },
  tuningAllowLoopbackInputs: {
    flag: 'tuning-allow-loopback-inputs',
    env: envOf('tuning-allow-loopback-inputs'),
    codec: SettingCodecs.boolean,
    default: 'false',
    description: 'let tuning input URLs whose host resolves to a loopback address pass the pre-flight (local e2e and the demo only)',
    placeholder: 'true|false',
  },
  tuningInsecureRegistries: {
    flag: 'tuning-insecure-registry',
    env: envOf('tuning-insecure-registries'),
    kind: 'list',
    codec: SettingCodecs.list(SettingCodecs.text),
    description: 'registries (host:port) the tuning-runner pushes to over plain http (repeatable; a local registry)',
    example: '127.0.0.1:5000',
    placeholder: 'HOST',
  },
  tuningPodAnnotations: {
    flag: 'tuning-pod-annotation',
    env: envOf('tuning-pod-annotations'),
    kind: 'list',
    codec: SettingCodecs.keyValues({ what: 'key=value' }),
    description: 'extra annotations on tuning Job pods (repeatable), e.g. kaito-ts.dev/run-as-process=true on the local cluster',
    example: 'kaito-ts.dev/run-as-process=true',
    placeholder: 'K=V',
  },
  tuningPreflightRecheckMs: {
    flag: 'tuning-preflight-recheck',
    env: envOf('tuning-preflight-recheck'),
    codec: SettingCodecs.duration,
    default: '30s',
    description: 'how often a tuning Workspace that failed its pre-flight is checked again (Secrets and DNS are not watched)',
    placeholder: 'DURATION',
  },
  adapterPullerImage: {
    flag: 'adapter-puller-image',
    env: envOf('adapter-puller-image'),
    codec: SettingCodecs.optional(SettingCodecs.text),
    description: 'image of the init containers that pull image adapters: skopeo with a shell and tar (default mcr.microsoft.com/aks/skopeo:1.14.4-6)',
    example: 'myregistry.azurecr.io/skopeo:1.14.4-6',
    placeholder: 'IMAGE',
  },
  inferencePodAnnotations: {
    flag: 'inference-pod-annotation',
    env: envOf('inference-pod-annotations'),
    kind: 'list',
    codec: SettingCodecs.keyValues({ what: 'key=value' }),
    description: 'extra annotations on the pods of preset inference StatefulSets (repeatable), e.g. kaito-ts.dev/run-as-process=true on the local cluster',
    example: 'kaito-ts.dev/run-as-process=true',
    placeholder: 'K=V',
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
  const { kubeconfig, registry, webhookLocalUrl, tuningImage, adapterPullerImage, ...v } = parsed.values;
  return {
    help: false,
    settings: {
      ...v,
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      ...(registry !== undefined ? { registry } : {}),
      ...(webhookLocalUrl !== undefined ? { webhookLocalUrl } : {}),
      ...(tuningImage !== undefined ? { tuningImage } : {}),
      ...(adapterPullerImage !== undefined ? { adapterPullerImage } : {}),
    },
  };
}

/** Defaults for embedding (tests, the demo), with overrides. */
export function defaultSettings(overrides: Partial<WorkspaceControllerSettings> = {}): WorkspaceControllerSettings {
  const parsed = parseWorkspaceControllerSettings([], {});
  if (parsed.help) throw new Error('unreachable: no --help was given');
  return { ...parsed.settings, ...overrides };
}
