/**
 * CLI settings, from flags with environment fallbacks (`--create-delay` / `ARM_SIMULATOR_CREATE_DELAY`),
 * read by the repository's settings helper (@kaito-ts/core): a bad value stops the process with one
 * line naming it and an example.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as t from 'io-ts';
import { decode, defineSettings, formatIssue, parseSettings, SettingCodecs, settingLabel, SettingsError, settingsHelp } from '@kaito-ts/core';
import type { ClusterConfig, PowerState } from './arm.js';
import type { EntraConfig } from './entra.js';
import { FaultSpec } from './faults.js';

export interface ArmSimulatorConfig {
  readonly port: number;
  readonly stateDir: string;
  readonly cluster: ClusterConfig;
  readonly entra: EntraConfig;
  readonly createDelayMs: number;
  readonly deleteDelayMs: number;
  readonly pageSize: number;
  readonly pollRetryAfterSeconds?: number;
  readonly powerState: PowerState;
  readonly faults: readonly FaultSpec[];
  /** `kube`: pools' nodes are made in the cluster of `kubeconfig`; `none`: nowhere. */
  readonly nodes: 'kube' | 'none';
  readonly kubeconfig?: string;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
}

const envOf = (flag: string): string => `ARM_SIMULATOR_${flag.toUpperCase().replace(/-/g, '_')}`;

/** A setting with no default that must be given: unset reads `required: <why>` rather than "got nothing". */
function required<C extends t.Mixed>(codec: C, why: string): t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown> {
  return new t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown>(
    codec.name,
    codec.is,
    (u, c) => (u === undefined ? t.failure(u, c, `required: ${why}`) : codec.validate(u, c)),
    codec.encode,
  );
}

const text = (flag: string, defaultValue: string, description: string, placeholder: string) =>
  ({ flag, env: envOf(flag), codec: SettingCodecs.text, default: defaultValue, description, placeholder }) as const;
const duration = (flag: string, defaultValue: string, description: string) =>
  ({ flag, env: envOf(flag), codec: SettingCodecs.duration, default: defaultValue, description, placeholder: 'DURATION' }) as const;

/** Every flag falls back to `ARM_SIMULATOR_<FLAG>` (upper case, - → _). */
export const SETTINGS = defineSettings({
  port: {
    flag: 'port',
    env: envOf('port'),
    codec: SettingCodecs.wholeNumber({ max: 65535 }),
    default: '0',
    description: 'HTTPS port on 127.0.0.1; 0: any free port, the URL is printed and written to <state-dir>/endpoint.json',
    example: '8443',
    placeholder: 'N',
  },
  stateDir: text('state-dir', join(tmpdir(), 'kaito-ts-arm-simulator'), 'where tls/ca.pem, tls/server.pem and endpoint.json go', 'DIR'),
  subscription: text('subscription', '00000000-0000-0000-0000-000000000000', 'subscription id of the managed cluster', 'ID'),
  resourceGroup: text('resource-group', 'kaito-ts', 'resource group of the managed cluster', 'NAME'),
  clusterName: text('cluster-name', 'kaito-ts-aks', 'name of the managed cluster', 'NAME'),
  location: text('location', 'eastus', 'region of the managed cluster', 'REGION'),
  tenantId: text('tenant-id', '00000000-0000-0000-0000-000000000001', 'tenant of the workload identity the token endpoint serves', 'ID'),
  clientId: text('client-id', '00000000-0000-0000-0000-000000000002', 'client id of the workload identity the token endpoint serves', 'ID'),
  federatedTokenFile: {
    flag: 'federated-token-file',
    env: envOf('federated-token-file'),
    codec: required(SettingCodecs.text, 'the file whose contents the token endpoint accepts as the client assertion'),
    description: 'the projected service-account token the federated credential trusts (required)',
    example: '/var/run/secrets/azure/tokens/azure-identity-token',
    placeholder: 'FILE',
  },
  createDelayMs: duration('create-delay', '5s', 'how long a pool create takes'),
  deleteDelayMs: duration('delete-delay', '2s', 'how long a pool delete takes'),
  pageSize: {
    flag: 'page-size',
    env: envOf('page-size'),
    codec: SettingCodecs.wholeNumber({ min: 1, what: 'a positive whole number' }),
    default: '100',
    description: 'agent pools per LIST page',
    placeholder: 'N',
  },
  tokenLifetimeMs: duration('token-lifetime', '1h', 'lifetime of issued access tokens'),
  pollRetryAfterSeconds: {
    flag: 'poll-retry-after',
    env: envOf('poll-retry-after'),
    codec: SettingCodecs.optional(SettingCodecs.wholeNumber()),
    description: 'Retry-After seconds on 201/202 and in-progress polls (default: none, the client picks)',
    example: '5',
    placeholder: 'SECONDS',
  },
  faultsFile: {
    flag: 'faults-file',
    env: envOf('faults-file'),
    codec: SettingCodecs.optional(SettingCodecs.text),
    description: 'JSON list of fault rules applied from the start (see docs/arm-simulator.md)',
    example: 'faults.json',
    placeholder: 'FILE',
  },
  stopped: { flag: 'stopped', env: envOf('stopped'), kind: 'switch', codec: SettingCodecs.boolean, default: false, description: 'start with the managed cluster Stopped' },
  nodes: {
    flag: 'nodes',
    env: envOf('nodes'),
    codec: SettingCodecs.oneOf(['kube', 'none']),
    default: 'kube',
    description: "make each pool's nodes in a Kubernetes cluster (kube) or nowhere (none)",
    placeholder: 'kube|none',
  },
  kubeconfig: {
    flag: 'kubeconfig',
    env: envOf('kubeconfig'),
    codec: SettingCodecs.optional(SettingCodecs.text),
    description: 'cluster for --nodes kube (default: KUBECONFIG, ~/.kube/config or in-cluster)',
    example: '/root/.kube/config',
    placeholder: 'PATH',
  },
  logLevel: {
    flag: 'log-level',
    env: envOf('log-level'),
    codec: SettingCodecs.oneOf(['error', 'warn', 'info', 'debug'], { ignoreCase: true }),
    default: 'info',
    description: 'error | warn | info | debug (any case)',
    placeholder: 'LEVEL',
  },
});

export const USAGE = settingsHelp(
  SETTINGS,
  'arm-simulator: a local Azure Resource Manager and Entra token endpoint over HTTPS.\n\nusage: npm run arm-simulator -- [--flag=value …]; durations: 500ms, 5s, 2m, 1h, 1m30s',
);

export type ParsedArgs = { readonly help: true } | { readonly help: false; readonly config: ArmSimulatorConfig };

/** Flags win over `ARM_SIMULATOR_*` variables, which win over defaults. Throws SettingsError, one line. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ParsedArgs {
  const parsed = parseSettings(SETTINGS, argv, env);
  if (parsed.help) return { help: true };
  const v = parsed.values;
  return {
    help: false,
    config: {
      port: v.port,
      stateDir: v.stateDir,
      cluster: { subscriptionId: v.subscription, resourceGroup: v.resourceGroup, name: v.clusterName, location: v.location },
      entra: {
        tenantId: v.tenantId,
        clientId: v.clientId,
        federatedToken: readTokenFile(v.federatedTokenFile),
        tokenLifetimeSeconds: Math.max(1, Math.round(v.tokenLifetimeMs / 1000)),
      },
      createDelayMs: v.createDelayMs,
      deleteDelayMs: v.deleteDelayMs,
      pageSize: v.pageSize,
      ...(v.pollRetryAfterSeconds !== undefined ? { pollRetryAfterSeconds: v.pollRetryAfterSeconds } : {}),
      powerState: v.stopped ? 'Stopped' : 'Running',
      faults: v.faultsFile !== undefined ? readFaults(v.faultsFile) : [],
      nodes: v.nodes,
      ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}),
      logLevel: v.logLevel,
    },
  };
}

/** The same one-line shape as the helper's own errors, for a setting whose file is unusable. */
const fileError = (spec: (typeof SETTINGS)[keyof typeof SETTINGS], problem: string, cause?: unknown): SettingsError =>
  new SettingsError(`invalid setting ${settingLabel(spec)}: ${problem}`, spec.flag, cause !== undefined ? { cause } : undefined);

function readTokenFile(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw fileError(SETTINGS.federatedTokenFile, `cannot read ${file}: ${(err as Error).message}`, err);
  }
  if (token === '') throw fileError(SETTINGS.federatedTokenFile, `${file} is empty; it must hold the projected service-account token`);
  return token;
}

/** A faults file: a JSON list of fault rules. Throws SettingsError naming the bad rule's field. */
export function readFaults(file: string): FaultSpec[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw fileError(SETTINGS.faultsFile, `cannot read ${file} as JSON: ${(err as Error).message}`, err);
  }
  const d = decode(t.array(FaultSpec), value);
  if (!d.ok) {
    throw fileError(SETTINGS.faultsFile, `${file}: ${d.issues.map(formatIssue).join('; ')} (e.g. [{"kind":"QuotaExceeded","vmSize":"Standard_NC24ads_A100_v4"}])`);
  }
  return d.value;
}
