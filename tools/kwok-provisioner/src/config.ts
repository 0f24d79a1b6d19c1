/**
 * Settings, from flags with environment fallbacks (`--launch-delay` / `KWOK_PROVISIONER_LAUNCH_DELAY`),
 * read by the repository's settings helper (@kaito-ts/core): a bad value stops the process with
 * one line naming it.
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { defineSettings, parseSettings, SettingCodecs, settingsHelp } from '@kaito-ts/core';
import { DEFAULT_GC_OPTIONS, DEFAULT_LIFECYCLE_OPTIONS, type NodeRequestApi, NodeRequestApis } from '@kaito-ts/karpenter';

export interface KwokProvisionerConfig {
  readonly api: NodeRequestApi;
  readonly kubeconfig?: string;
  /** Namespace of the fake cloud's instance records (and the leader-election Lease). */
  readonly cloudNamespace: string;
  readonly launchDelayMs: number;
  readonly deleteDelayMs: number;
  readonly quotas: Readonly<Record<string, number>>;
  readonly unavailable: readonly string[];
  /** Manage only requests whose labels match (`k=v,k2=v2`); empty: all requests. */
  readonly selector: Readonly<Record<string, string>>;
  readonly launchTimeoutMs: number;
  readonly registrationTimeoutMs: number;
  readonly capacityRetryMs: number;
  readonly terminationPollMs: number;
  readonly gcIntervalMs: number;
  readonly leaderElect: boolean;
  readonly leaseName: string;
  readonly metricsPort: number | false;
  readonly healthPort: number | false;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly logFormat: 'json' | 'pretty' | 'auto';
  readonly concurrency: number;
}

const envOf = (flag: string): string => `KWOK_PROVISIONER_${flag.toUpperCase().replace(/-/g, '_')}`;

/** `1200000` → `20m`: defaults shown in --help as a user would write them. */
function durationText(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return ms === 0 ? '0' : `${ms}ms`;
}

const wholeNumber = SettingCodecs.wholeNumber();

/** `SKU=N` items (repeated flags or a comma-separated variable) → at most N instances per SKU. */
const Quotas = new t.Type<Record<string, number>, Record<string, number>, unknown>(
  'Quotas',
  (u): u is Record<string, number> => typeof u === 'object' && u !== null,
  (u, c) => {
    const pairs = SettingCodecs.keyValues({ what: 'SKU=N' }).validate(u, c);
    if (isLeft(pairs)) return pairs;
    const out: Record<string, number> = {};
    for (const [sku, n] of Object.entries(pairs.right)) {
      const count = wholeNumber.decode(n);
      if (isLeft(count)) return t.failure(u, c, `${sku}: expected a whole number of instances, got ${JSON.stringify(n)}`);
      out[sku] = count.right;
    }
    return t.success(out);
  },
  t.identity,
);
const duration = (flag: string, defaultMs: number, description: string) =>
  ({ flag, env: envOf(flag), codec: SettingCodecs.duration, default: durationText(defaultMs), description, placeholder: 'DURATION' }) as const;

/** Every flag falls back to `KWOK_PROVISIONER_<FLAG>` (upper case, - → _). */
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
  cloudNamespace: { flag: 'cloud-namespace', env: envOf('cloud-namespace'), codec: SettingCodecs.text, default: 'kwok-provisioner', description: 'where instance records (and the leader Lease) live', placeholder: 'NS' },
  launchDelayMs: duration('launch-delay', 5_000, 'boot time of an instance'),
  deleteDelayMs: duration('delete-delay', 0, 'time to delete an instance'),
  quotas: { flag: 'quota', env: envOf('quota'), kind: 'list', codec: Quotas, description: 'at most N instances of SKU (repeatable; N=0: QuotaExceeded)', example: 'Standard_NC6s_v3=2', placeholder: 'SKU=N' },
  unavailable: { flag: 'unavailable', env: envOf('unavailable'), kind: 'list', codec: SettingCodecs.list(SettingCodecs.text), description: 'no capacity for SKU: InsufficientCapacity (repeatable)', placeholder: 'SKU' },
  selector: { flag: 'selector', env: envOf('selector'), codec: SettingCodecs.keyValues(), description: 'manage only requests with these labels', example: 'team=a', placeholder: 'k=v[,k=v]' },
  launchTimeoutMs: duration('launch-timeout', DEFAULT_LIFECYCLE_OPTIONS.launchTimeoutMs, 'give up a launch after this long (0 disables)'),
  registrationTimeoutMs: duration('registration-timeout', DEFAULT_LIFECYCLE_OPTIONS.registrationTimeoutMs, 'give up on a node registering after this long (0 disables)'),
  capacityRetryMs: duration('capacity-retry', DEFAULT_LIFECYCLE_OPTIONS.capacityRetry.initialMs, 'first retry after a capacity failure, doubling to 10m'),
  terminationPollMs: duration('termination-poll', DEFAULT_LIFECYCLE_OPTIONS.terminationPollMs, 'how often a deleting instance is checked'),
  gcIntervalMs: duration('gc-interval', DEFAULT_GC_OPTIONS.intervalMs, 'how often leaked instances and orphaned requests are collected'),
  leaderElect: { flag: 'leader-elect', env: envOf('leader-elect'), codec: SettingCodecs.boolean, default: 'true', description: 'take a Lease before acting', placeholder: 'true|false' },
  leaseName: { flag: 'lease-name', env: envOf('lease-name'), codec: SettingCodecs.optional(SettingCodecs.text), description: 'the Lease (default kwok-provisioner-<api>)', example: 'kwok-provisioner-nodeclaim', placeholder: 'NAME' },
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
});

export const USAGE = settingsHelp(
  SETTINGS,
  'kwok-provisioner: fulfils Machine/NodeClaim requests with kwok fake GPU nodes.\n\nusage: kwok-provisioner [--flag=value …]; durations: 500ms, 5s, 2m, 1h, 1m30s',
);

export type ParsedArgs = { help: true } | { help: false; config: KwokProvisionerConfig };

/** Flags win over `KWOK_PROVISIONER_*` variables, which win over defaults. Throws SettingsError, one line. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ParsedArgs {
  const parsed = parseSettings(SETTINGS, argv, env);
  if (parsed.help) return { help: true };
  const { kubeconfig, leaseName, ...v } = parsed.values;
  return {
    help: false,
    config: {
      ...v,
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      leaseName: leaseName ?? `kwok-provisioner-${v.api}`,
    },
  };
}

/** Defaults for embedding (tests, the demo): every field but `api`. */
export function defaultConfig(api: NodeRequestApi, overrides: Partial<KwokProvisionerConfig> = {}): KwokProvisionerConfig {
  const parsed = parseConfig(['--api', api], {});
  if (parsed.help) throw new Error('unreachable');
  return { ...parsed.config, ...overrides };
}
