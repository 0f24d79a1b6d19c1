/**
 * Settings, from flags with environment fallbacks (`--launch-delay` / `KWOK_PROVISIONER_LAUNCH_DELAY`),
 * validated at start-up: a bad value stops the process with one line naming it.
 */
import { parseArgs } from 'node:util';
import { codedError } from '@kaito-ts/core';
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
  readonly logLevel: string;
  readonly logFormat: 'json' | 'pretty' | 'auto';
  readonly concurrency: number;
}

export class ConfigError extends codedError('InvalidConfig') {}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `5s`, `2m`, `1h`, `1m30s` or plain milliseconds. */
export function parseDuration(text: string, what: string): number {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) {
    throw new ConfigError(`${what}: expected a duration such as 500ms, 5s, 2m or 1h, got "${text}"`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? 'ms'] ?? 1), 0);
}

function parsePairs(values: readonly string[], what: string, sep = '='): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)) {
    const i = v.indexOf(sep);
    if (i <= 0) throw new ConfigError(`${what}: expected key${sep}value, got "${v}"`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** Decimal digits only: `Number()` alone reads "" and " " as 0 and accepts "0x10" and "1e1". */
function wholeNumber(text: string): number | undefined {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

function parsePort(text: string, what: string): number | false {
  if (text === 'off' || text === 'false') return false;
  const n = wholeNumber(text);
  if (n === undefined || n > 65535) throw new ConfigError(`${what}: expected a port 0–65535 or "off", got "${text}"`);
  return n;
}

function parseBool(text: string, what: string): boolean {
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  throw new ConfigError(`${what}: expected true or false, got "${text}"`);
}

export const USAGE = `kwok-provisioner: fulfils Machine/NodeClaim requests with kwok fake GPU nodes.

  --api nodeclaim|machine         node-request API (KWOK_PROVISIONER_API; default nodeclaim)
  --kubeconfig PATH               (KUBECONFIG; default: in-cluster or ~/.kube/config)
  --cloud-namespace NS            where instance records live (default kwok-provisioner)
  --launch-delay DURATION         boot time of an instance (default 5s)
  --delete-delay DURATION         time to delete an instance (default 0)
  --quota SKU=N                   at most N instances of SKU (repeatable; N=0: QuotaExceeded)
  --unavailable SKU               no capacity for SKU: InsufficientCapacity (repeatable)
  --selector k=v[,k=v]            manage only requests with these labels
  --launch-timeout DURATION       (default 20m; 0 disables)
  --registration-timeout DURATION (default 30m; 0 disables)
  --capacity-retry DURATION       first retry after a capacity failure, doubling to 10m (default 30s)
  --termination-poll DURATION     (default 5s)
  --gc-interval DURATION          (default 2m)
  --leader-elect true|false       (default true)    --lease-name NAME (default kwok-provisioner-<api>)
  --metrics-port N|off (8080)     --health-port N|off (8081)     --concurrency N (10)
  --log-level LEVEL (info)        --log-format json|pretty|auto (auto)

Every flag has an environment fallback: KWOK_PROVISIONER_<FLAG> (upper case, - → _).`;

const FLAGS = {
  api: { type: 'string' },
  kubeconfig: { type: 'string' },
  'cloud-namespace': { type: 'string' },
  'launch-delay': { type: 'string' },
  'delete-delay': { type: 'string' },
  quota: { type: 'string', multiple: true },
  unavailable: { type: 'string', multiple: true },
  selector: { type: 'string' },
  'launch-timeout': { type: 'string' },
  'registration-timeout': { type: 'string' },
  'capacity-retry': { type: 'string' },
  'termination-poll': { type: 'string' },
  'gc-interval': { type: 'string' },
  'leader-elect': { type: 'string' },
  'lease-name': { type: 'string' },
  'metrics-port': { type: 'string' },
  'health-port': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  concurrency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type ParsedArgs = { help: true } | { help: false; config: KwokProvisionerConfig };

/** Flags win over `KWOK_PROVISIONER_*` variables, which win over defaults. Throws ConfigError. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ParsedArgs {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (values['help'] === true) return { help: true };
  const envName = (flag: string): string => `KWOK_PROVISIONER_${flag.toUpperCase().replace(/-/g, '_')}`;
  const str = (flag: keyof typeof FLAGS): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = env[envName(flag)];
    return e !== undefined && e !== '' ? e : undefined;
  };
  const list = (flag: 'quota' | 'unavailable'): string[] => {
    const v = values[flag];
    if (Array.isArray(v)) return v;
    const e = env[envName(flag)];
    return e ? e.split(',') : [];
  };
  const duration = (flag: keyof typeof FLAGS, fallback: number): number => {
    const v = str(flag);
    return v === undefined ? fallback : parseDuration(v, `--${flag}`);
  };

  const api = str('api') ?? 'nodeclaim';
  if (!(NodeRequestApis as readonly string[]).includes(api)) throw new ConfigError(`--api: expected nodeclaim or machine, got "${api}"`);
  const quotas: Record<string, number> = {};
  for (const [sku, n] of Object.entries(parsePairs(list('quota'), '--quota'))) {
    const count = wholeNumber(n);
    if (count === undefined) throw new ConfigError(`--quota ${sku}: expected a whole number of instances, got "${n}"`);
    quotas[sku] = count;
  }
  const logFormat = str('log-format') ?? 'auto';
  if (!['json', 'pretty', 'auto'].includes(logFormat)) throw new ConfigError(`--log-format: expected json, pretty or auto, got "${logFormat}"`);
  const logLevel = (str('log-level') ?? 'info').trim().toLowerCase();
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) throw new ConfigError(`--log-level: expected error, warn, info or debug, got "${str('log-level') ?? ''}"`);
  const concurrency = wholeNumber(str('concurrency') ?? '10') ?? 0;
  if (concurrency < 1) throw new ConfigError(`--concurrency: expected a positive whole number, got "${str('concurrency')}"`);
  const kubeconfig = str('kubeconfig') ?? env['KUBECONFIG'];
  return {
    help: false,
    config: {
      api: api as NodeRequestApi,
      ...(kubeconfig !== undefined && kubeconfig !== '' ? { kubeconfig } : {}),
      cloudNamespace: str('cloud-namespace') ?? 'kwok-provisioner',
      launchDelayMs: duration('launch-delay', 5_000),
      deleteDelayMs: duration('delete-delay', 0),
      quotas,
      unavailable: list('unavailable').map((s) => s.trim()).filter(Boolean),
      selector: parsePairs(str('selector') === undefined ? [] : [str('selector') ?? ''], '--selector'),
      launchTimeoutMs: duration('launch-timeout', DEFAULT_LIFECYCLE_OPTIONS.launchTimeoutMs),
      registrationTimeoutMs: duration('registration-timeout', DEFAULT_LIFECYCLE_OPTIONS.registrationTimeoutMs),
      capacityRetryMs: duration('capacity-retry', DEFAULT_LIFECYCLE_OPTIONS.capacityRetry.initialMs),
      terminationPollMs: duration('termination-poll', DEFAULT_LIFECYCLE_OPTIONS.terminationPollMs),
      gcIntervalMs: duration('gc-interval', DEFAULT_GC_OPTIONS.intervalMs),
      leaderElect: parseBool(str('leader-elect') ?? 'true', '--leader-elect'),
      leaseName: str('lease-name') ?? `kwok-provisioner-${api}`,
      metricsPort: parsePort(str('metrics-port') ?? '8080', '--metrics-port'),
      healthPort: parsePort(str('health-port') ?? '8081', '--health-port'),
      logLevel,
      logFormat: logFormat as KwokProvisionerConfig['logFormat'],
      concurrency,
    },
  };
}

/** Defaults for embedding (tests, the demo): every field but `api`. */
export function defaultConfig(api: NodeRequestApi, overrides: Partial<KwokProvisionerConfig> = {}): KwokProvisionerConfig {
  const parsed = parseConfig(['--api', api], {});
  if (parsed.help) throw new Error('unreachable');
  return { ...parsed.config, ...overrides };
}
