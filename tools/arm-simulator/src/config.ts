/**
 * CLI settings, from flags with environment fallbacks (`--create-delay` / `ARM_SIMULATOR_CREATE_DELAY`),
 * checked at start: a bad value stops the process with one line naming it and an example.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decode, formatIssue } from '@kaito-ts/api';
import * as t from 'io-ts';
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
  readonly logLevel: string;
}

export class ConfigError extends Error {
  readonly code = 'InvalidConfig' as const;
}

export const USAGE = `usage: npm run arm-simulator -- [flags]   (each flag also reads ARM_SIMULATOR_<FLAG>, e.g. ARM_SIMULATOR_PORT)
  --port N                   HTTPS port on 127.0.0.1 (default 0: any free port; the URL is printed and written to <state-dir>/endpoint.json)
  --state-dir DIR            where tls/ca.pem, tls/server.pem and endpoint.json go (default $TMPDIR/kaito-ts-arm-simulator)
  --subscription ID          --resource-group NAME   --cluster-name NAME   --location REGION
  --tenant-id ID             --client-id ID          (the workload identity the token endpoint serves)
  --federated-token-file F   the projected service-account token the federated credential trusts (required)
  --create-delay D           how long a pool create takes (default 5s; 500ms, 2m, …)
  --delete-delay D           how long a pool delete takes (default 2s)
  --page-size N              agent pools per LIST page (default 100)
  --token-lifetime D         lifetime of issued access tokens (default 1h)
  --poll-retry-after S       Retry-After seconds on 201/202 and in-progress polls (default: none)
  --faults-file F            JSON list of fault rules applied from the start (see docs/arm-simulator.md)
  --stopped                  start with the managed cluster Stopped
  --nodes kube|none          make each pool's node in a Kubernetes cluster (default kube) or nowhere
  --kubeconfig F             cluster for --nodes kube (default: KUBECONFIG / ~/.kube/config)
  --log-level L              error|warn|info|debug (default info)`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// A copy of kwok-provisioner's parser: importing that package would pull the whole provisioner in.
function parseDuration(text: string, what: string): number {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) throw new ConfigError(`${what}: expected a duration such as 500ms, 5s or 2m, got "${text}"`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? 'ms'] ?? 1), 0);
}

function wholeNumber(text: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const s = text.trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n >= min && n <= max)) throw new ConfigError(`${what}: expected a whole number ${min}–${max}, got "${text}"`);
  return n;
}

const FLAGS = {
  port: { type: 'string' },
  'state-dir': { type: 'string' },
  subscription: { type: 'string' },
  'resource-group': { type: 'string' },
  'cluster-name': { type: 'string' },
  location: { type: 'string' },
  'tenant-id': { type: 'string' },
  'client-id': { type: 'string' },
  'federated-token-file': { type: 'string' },
  'create-delay': { type: 'string' },
  'delete-delay': { type: 'string' },
  'page-size': { type: 'string' },
  'token-lifetime': { type: 'string' },
  'poll-retry-after': { type: 'string' },
  'faults-file': { type: 'string' },
  stopped: { type: 'boolean' },
  nodes: { type: 'string' },
  kubeconfig: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type ParsedArgs = { readonly help: true } | { readonly help: false; readonly config: ArmSimulatorConfig };

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; see --help`);
  }
  if (values['help'] === true) return { help: true };
  const get = (flag: keyof typeof FLAGS): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = env[`ARM_SIMULATOR_${flag.toUpperCase().replace(/-/g, '_')}`];
    return e !== undefined && e !== '' ? e : undefined;
  };
  const tokenFile = get('federated-token-file');
  if (tokenFile === undefined) throw new ConfigError('--federated-token-file: required: the file whose contents the token endpoint accepts as the client assertion, e.g. /var/run/secrets/azure/tokens/azure-identity-token');
  let federatedToken: string;
  try {
    federatedToken = readFileSync(tokenFile, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`--federated-token-file: cannot read ${tokenFile}: ${(err as Error).message}`);
  }
  if (federatedToken === '') throw new ConfigError(`--federated-token-file: ${tokenFile} is empty`);
  const nodes = get('nodes') ?? 'kube';
  if (nodes !== 'kube' && nodes !== 'none') throw new ConfigError(`--nodes: expected kube or none, got "${nodes}"`);
  const logLevel = (get('log-level') ?? 'info').toLowerCase();
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) throw new ConfigError(`--log-level: expected error, warn, info or debug, got "${logLevel}"`);
  const retry = get('poll-retry-after');
  const faultsFile = get('faults-file');
  const kubeconfig = get('kubeconfig');
  return {
    help: false,
    config: {
      port: wholeNumber(get('port') ?? '0', '--port', 0, 65535),
      stateDir: get('state-dir') ?? join(tmpdir(), 'kaito-ts-arm-simulator'),
      cluster: {
        subscriptionId: get('subscription') ?? '00000000-0000-0000-0000-000000000000',
        resourceGroup: get('resource-group') ?? 'kaito-ts',
        name: get('cluster-name') ?? 'kaito-ts-aks',
        location: get('location') ?? 'eastus',
      },
      entra: {
        tenantId: get('tenant-id') ?? '00000000-0000-0000-0000-000000000001',
        clientId: get('client-id') ?? '00000000-0000-0000-0000-000000000002',
        federatedToken,
        tokenLifetimeSeconds: Math.max(1, Math.round(parseDuration(get('token-lifetime') ?? '1h', '--token-lifetime') / 1000)),
      },
      createDelayMs: parseDuration(get('create-delay') ?? '5s', '--create-delay'),
      deleteDelayMs: parseDuration(get('delete-delay') ?? '2s', '--delete-delay'),
      pageSize: wholeNumber(get('page-size') ?? '100', '--page-size', 1),
      ...(retry !== undefined ? { pollRetryAfterSeconds: wholeNumber(retry, '--poll-retry-after', 0) } : {}),
      powerState: values['stopped'] === true || get('stopped') === 'true' ? 'Stopped' : 'Running',
      faults: faultsFile !== undefined ? readFaults(faultsFile) : [],
      nodes,
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      logLevel,
    },
  };
}

/** A faults file: a JSON list of fault rules. */
export function readFaults(file: string): FaultSpec[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--faults-file: cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  const d = decode(t.array(FaultSpec), value);
  if (!d.ok) {
    throw new ConfigError(`--faults-file ${file}: ${d.issues.map(formatIssue).join('; ')} (example: [{"kind":"QuotaExceeded","vmSize":"Standard_NC24ads_A100_v4"}])`);
  }
  return d.value;
}
