/**
 * Settings, from flags with environment fallbacks (`--subscription` / `GPU_PROVISIONER_SUBSCRIPTION`),
 * read by the repository's settings helper (@kaito-ts/core): a bad value stops the process with
 * one line naming it. The workload-identity variables (AZURE_CLIENT_ID, AZURE_TENANT_ID,
 * AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST) are read where @azure/identity reads them,
 * at the first ARM call, so a missing one is a condition on the claims, not a failed start.
 */
import { defineSettings, parseSettings, SettingCodecs, settingsHelp } from '@kaito-ts/core';
import { DEFAULT_GC_OPTIONS, DEFAULT_LIFECYCLE_OPTIONS, type NodeRequestApi, NodeRequestApis } from '@kaito-ts/karpenter';
import { type CredentialKind, CredentialKinds } from './azure/credentials.js';

export interface GpuProvisionerConfig {
  readonly api: NodeRequestApi;
  readonly kubeconfig?: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly clusterName: string;
  readonly location: string;
  readonly armEndpoint: string;
  readonly userAgent: string;
  readonly credential: CredentialKind;
  readonly armTimeoutMs: number;
  /** Manage only requests whose labels match; empty: all requests. */
  readonly selector: Readonly<Record<string, string>>;
  readonly launchTimeoutMs: number;
  readonly registrationTimeoutMs: number;
  readonly capacityRetryMs: number;
  readonly transientRetryMs: number;
  readonly terminationPollMs: number;
  readonly gcIntervalMs: number;
  readonly leaderElect: boolean;
  readonly leaseName: string;
  readonly leaseNamespace: string;
  readonly metricsPort: number | false;
  readonly healthPort: number | false;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly logFormat: 'json' | 'pretty' | 'auto';
  readonly concurrency: number;
  readonly kubeQps: number;
  readonly kubeBurst: number;
}

const envOf = (flag: string): string => `GPU_PROVISIONER_${flag.toUpperCase().replace(/-/g, '_')}`;

/** `1200000` → `20m`: defaults shown in --help as a user would write them. */
function durationText(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return ms === 0 ? '0' : `${ms}ms`;
}

const duration = (flag: string, defaultMs: number, description: string) =>
  ({ flag, env: envOf(flag), codec: SettingCodecs.duration, default: durationText(defaultMs), description, placeholder: 'DURATION' }) as const;
const required = (flag: string, description: string, example: string, env: string | string[] = envOf(flag)) =>
  ({ flag, env, codec: SettingCodecs.text, description, example, placeholder: 'NAME' }) as const;

/** Every flag falls back to `GPU_PROVISIONER_<FLAG>` (upper case, - → _). */
export const SETTINGS = defineSettings({
  api: { flag: 'api', env: envOf('api'), codec: SettingCodecs.oneOf(NodeRequestApis), default: 'nodeclaim', description: 'node-request API', placeholder: 'nodeclaim|machine' },
  kubeconfig: {
    flag: 'kubeconfig',
    env: [envOf('kubeconfig'), 'KUBECONFIG'],
    codec: SettingCodecs.optional(SettingCodecs.text),
    description: 'kubeconfig path (default: in-cluster or ~/.kube/config)',
    example: '/root/.kube/config',
    placeholder: 'PATH',
  },
  subscriptionId: required('subscription', 'Azure subscription of the AKS cluster', '00000000-0000-0000-0000-000000000000', [envOf('subscription'), 'ARM_SUBSCRIPTION_ID']),
  resourceGroup: required('resource-group', "the AKS cluster's resource group", 'rg-kaito', [envOf('resource-group'), 'AZURE_RESOURCE_GROUP']),
  clusterName: required('cluster-name', 'the AKS cluster (managedClusters name)', 'aks-kaito', [envOf('cluster-name'), 'AZURE_CLUSTER_NAME']),
  location: required('location', "the cluster's Azure region (for messages and node labels)", 'eastus', [envOf('location'), 'LOCATION']),
  armEndpoint: {
    flag: 'arm-endpoint',
    env: envOf('arm-endpoint'),
    codec: SettingCodecs.text,
    default: 'https://management.azure.com',
    description: 'Azure Resource Manager endpoint (sovereign clouds, a simulator)',
    placeholder: 'URL',
  },
  userAgent: { flag: 'user-agent', env: envOf('user-agent'), codec: SettingCodecs.text, default: 'kaito-ts-gpu-provisioner', description: 'User-Agent prefix on ARM calls', placeholder: 'TEXT' },
  credential: {
    flag: 'credential',
    env: envOf('credential'),
    codec: SettingCodecs.oneOf(CredentialKinds),
    default: 'workload-identity',
    description: 'workload-identity (AZURE_* from the webhook) | default (DefaultAzureCredential: managed identity, az login)',
    placeholder: 'KIND',
  },
  armTimeoutMs: duration('arm-timeout', 30_000, 'deadline of one ARM call'),
  selector: { flag: 'selector', env: envOf('selector'), codec: SettingCodecs.keyValues(), description: 'manage only requests with these labels', example: 'team=a', placeholder: 'k=v[,k=v]' },
  launchTimeoutMs: duration('launch-timeout', DEFAULT_LIFECYCLE_OPTIONS.launchTimeoutMs, 'give up a launch after this long (0 disables)'),
  registrationTimeoutMs: duration('registration-timeout', DEFAULT_LIFECYCLE_OPTIONS.registrationTimeoutMs, 'give up on a node registering after this long (0 disables)'),
  capacityRetryMs: duration('capacity-retry', DEFAULT_LIFECYCLE_OPTIONS.capacityRetry.initialMs, 'first retry after a quota/capacity failure, doubling to 10m'),
  transientRetryMs: duration(
    'transient-retry',
    DEFAULT_LIFECYCLE_OPTIONS.transientRetry.initialMs,
    'first re-check of a pool being created (or retry after a transient failure), doubling to 1m',
  ),
  terminationPollMs: duration('termination-poll', DEFAULT_LIFECYCLE_OPTIONS.terminationPollMs, 'how often a deleting pool is checked'),
  gcIntervalMs: duration('gc-interval', DEFAULT_GC_OPTIONS.intervalMs, 'how often leaked pools and orphaned requests are collected'),
  leaderElect: { flag: 'leader-elect', env: envOf('leader-elect'), codec: SettingCodecs.boolean, default: 'true', description: 'take a Lease before acting', placeholder: 'true|false' },
  leaseName: { flag: 'lease-name', env: envOf('lease-name'), codec: SettingCodecs.optional(SettingCodecs.text), description: 'the Lease (default gpu-provisioner-<api>)', example: 'gpu-provisioner-nodeclaim', placeholder: 'NAME' },
  leaseNamespace: { flag: 'lease-namespace', env: [envOf('lease-namespace'), 'POD_NAMESPACE'], codec: SettingCodecs.text, default: 'gpu-provisioner', description: "the Lease's namespace", placeholder: 'NS' },
  metricsPort: { flag: 'metrics-port', env: envOf('metrics-port'), codec: SettingCodecs.port, default: '8080', description: 'Prometheus metrics', placeholder: 'N|off' },
  healthPort: { flag: 'health-port', env: envOf('health-port'), codec: SettingCodecs.port, default: '8081', description: 'healthz and readyz', placeholder: 'N|off' },
  logLevel: {
    flag: 'log-level',
    env: envOf('log-level'),
    codec: SettingCodecs.oneOf(['error', 'warn', 'info', 'debug'], { ignoreCase: true }),
    default: 'info',
    description: 'error | warn | info | debug (any case)',
    placeholder: 'LEVEL',
  },
  logFormat: { flag: 'log-format', env: envOf('log-format'), codec: SettingCodecs.oneOf(['json', 'pretty', 'auto']), default: 'auto', description: 'json | pretty | auto (pretty on a TTY)', placeholder: 'FORMAT' },
  concurrency: { flag: 'concurrency', env: envOf('concurrency'), codec: SettingCodecs.wholeNumber({ min: 1, what: 'a positive whole number' }), default: '10', description: 'reconciles at once', placeholder: 'N' },
  // The reference's KUBE_CLIENT_QPS/BURST: a burst of claims costs several API writes each, and
  // the controller runtime's 20/30 made 50 claims wait on the client's own rate limiter.
  kubeQps: { flag: 'kube-qps', env: [envOf('kube-qps'), 'KUBE_CLIENT_QPS'], codec: SettingCodecs.wholeNumber({ min: 1, what: 'a positive whole number' }), default: '200', description: 'API server requests per second', placeholder: 'N' },
  kubeBurst: { flag: 'kube-burst', env: [envOf('kube-burst'), 'KUBE_CLIENT_BURST'], codec: SettingCodecs.wholeNumber({ min: 1, what: 'a positive whole number' }), default: '300', description: 'API server request burst', placeholder: 'N' },
});

export const USAGE = settingsHelp(
  SETTINGS,
  'gpu-provisioner: fulfils Machine/NodeClaim requests with AKS agent pools (one pool of one node per request).\n\nusage: gpu-provisioner --subscription=ID --resource-group=RG --cluster-name=NAME --location=REGION [--flag=value …]; durations: 500ms, 5s, 2m, 1h',
);

export type ParsedArgs = { help: true } | { help: false; config: GpuProvisionerConfig };

/** Flags win over `GPU_PROVISIONER_*` variables, which win over defaults. Throws SettingsError, one line. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ParsedArgs {
  const parsed = parseSettings(SETTINGS, argv, env);
  if (parsed.help) return { help: true };
  const { kubeconfig, leaseName, ...v } = parsed.values;
  return {
    help: false,
    config: {
      ...v,
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      leaseName: leaseName ?? `gpu-provisioner-${v.api}`,
    },
  };
}
