/**
 * The pre-flight of a tuning Workspace (a pure planner): everything that can be checked before a
 * GPU node is requested, so a bad input costs a status line, not a node-hour (Kaito finds these
 * only in the Job's logs). Its verdict is the `InputsReady` condition (our addition, see
 * docs/tuning.md); until it is True no node request is created.
 *
 * In order: the tuning ConfigMap (exists, has `training_config.yaml`, passes the runner's own
 * decoder), each input URL's host (what it resolved to: no loopback, private, link-local or
 * metadata address; loopback only with the controller's `--tuning-allow-loopback-inputs`), the
 * input's pull Secrets, the output's push Secret (`kubernetes.io/dockerconfigjson` with an entry
 * for the output registry). Messages name the field and never a Secret's content.
 */
import { Reason, TUNING_CONFIG_KEY, type Workspace } from '@kaito-ts/api';
import { TuningConfigError, validateTuningConfig } from './tuning-config.js';
import { restrictedAddress } from './addresses.js';

export interface PreflightSecret {
  readonly type?: string;
  /** base64 values, as the API returns them */
  readonly data?: Readonly<Record<string, string>>;
}

export interface PreflightInput {
  readonly workspace: Workspace;
  /** The ConfigMap the Job mounts (the user's `tuning.config`, or the method's default template); undefined: missing. */
  readonly configMap: { readonly name: string; readonly data?: Readonly<Record<string, string>> } | undefined;
  /** What each input URL's host resolved to, by host; an Error when it did not resolve. */
  readonly resolved: ReadonlyMap<string, readonly string[] | Error>;
  /** Secrets by name; undefined: missing. */
  readonly secrets: ReadonlyMap<string, PreflightSecret | undefined>;
  readonly allowLoopback: boolean;
}

export type PreflightVerdict = { readonly ok: true; readonly message: string } | { readonly ok: false; readonly reason: Reason; readonly message: string };

const refuse = (reason: Reason, message: string): PreflightVerdict => ({ ok: false, reason, message });

/** The hosts whose addresses the pre-flight needs (the controller resolves them). */
export function inputHosts(ws: Workspace): string[] {
  const hosts = (ws.tuning?.input.urls ?? []).flatMap((u) => {
    try {
      return [new URL(u).hostname.replace(/^\[|\]$/g, '')];
    } catch {
      return [];
    }
  });
  return [...new Set(hosts)];
}

/** The registry host of an image reference (`docker.io` when the first component is not a host). */
export function registryHost(image: string): string {
  const first = image.split('/')[0] ?? '';
  const isHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? first : 'docker.io';
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The host an `auths` key names: `https://host[:port]/v1/` and `host` alike. */
function authHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? '';
}

function hasAuthFor(dockerConfig: string, host: string): boolean | 'unreadable' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(dockerConfig, 'base64').toString('utf8'));
  } catch {
    return 'unreadable';
  }
  const auths = (parsed as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null) return 'unreadable';
  const hosts = Object.keys(auths).map(authHost);
  return hosts.some((h) => h === host || (DOCKER_HUB.has(host) && DOCKER_HUB.has(h)));
}

function checkConfig(ws: Workspace, configMap: PreflightInput['configMap'], method: 'lora' | 'qlora'): PreflightVerdict | undefined {
  const name = ws.tuning?.config;
  if (configMap === undefined) {
    return refuse(Reason.TuningConfigNotFound, name !== undefined ? `tuning.config: ConfigMap ${name} not found in namespace ${ws.metadata.namespace ?? ''}; create it with a ${TUNING_CONFIG_KEY} key, or remove tuning.config to use the ${method} defaults` : `the default ${method} params ConfigMap is missing`);
  }
  const text = configMap.data?.[TUNING_CONFIG_KEY];
  if (text === undefined) return refuse(Reason.TuningConfigNotFound, `tuning.config: ConfigMap ${configMap.name} has no ${TUNING_CONFIG_KEY} key (it holds: ${Object.keys(configMap.data ?? {}).join(', ') || 'nothing'})`);
  try {
    validateTuningConfig(text, method, `ConfigMap ${configMap.name} ${TUNING_CONFIG_KEY}`);
  } catch (err) {
    if (err instanceof TuningConfigError) return refuse(Reason.InvalidConfig, err.message);
    throw err;
  }
  return undefined;
}

function checkUrls(ws: Workspace, resolved: PreflightInput['resolved'], allowLoopback: boolean): PreflightVerdict | undefined {
  for (const [i, raw] of (ws.tuning?.input.urls ?? []).entries()) {
    const field = `tuning.input.urls[${i}]`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return refuse(Reason.InputUrlRefused, `${field}: expected an http(s) URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse(Reason.InputUrlRefused, `${field}: expected an http(s) URL, got a ${url.protocol} URL`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = resolved.get(host);
    if (addresses === undefined || addresses instanceof Error) {
      return refuse(Reason.InputUrlUnresolvable, `${field}: host ${host} does not resolve${addresses instanceof Error ? ` (${addresses.message})` : ''}; check the URL`);
    }
    for (const address of addresses) {
      const kind = restrictedAddress(address);
      if (kind === undefined || (kind === 'loopback' && allowLoopback)) continue;
      return refuse(Reason.InputUrlRefused, `${field}: host ${host} resolves to ${address}, a ${kind} address; tuning inputs must come from a public server`);
    }
  }
  return undefined;
}

function checkPullSecrets(ws: Workspace, secrets: PreflightInput['secrets']): PreflightVerdict | undefined {
  for (const [i, name] of (ws.tuning?.input.imagePullSecrets ?? []).entries()) {
    if (secrets.get(name) === undefined) return refuse(Reason.PullSecretNotFound, `tuning.input.imagePullSecrets[${i}]: Secret ${name} not found in namespace ${ws.metadata.namespace ?? ''}`);
  }
  return undefined;
}

function checkPushSecret(ws: Workspace, secrets: PreflightInput['secrets']): PreflightVerdict | undefined {
  const output = ws.tuning?.output;
  if (output?.image === undefined) return undefined;
  const name = output.imagePushSecret ?? '';
  const field = 'tuning.output.imagePushSecret';
  const secret = secrets.get(name);
  if (secret === undefined) return refuse(Reason.PushSecretNotFound, `${field}: Secret ${name} not found in namespace ${ws.metadata.namespace ?? ''}; create it with kubectl create secret docker-registry ${name} --docker-server=${registryHost(output.image)} …`);
  if (secret.type !== 'kubernetes.io/dockerconfigjson') {
    return refuse(Reason.PushSecretInvalid, `${field}: Secret ${name} is of type ${secret.type ?? 'Opaque'}, expected kubernetes.io/dockerconfigjson (kubectl create secret docker-registry)`);
  }
  const host = registryHost(output.image);
  const has = hasAuthFor(secret.data?.['.dockerconfigjson'] ?? '', host);
  if (has === 'unreadable') return refuse(Reason.PushSecretInvalid, `${field}: Secret ${name}: .dockerconfigjson is not a docker config (expected JSON with an auths map)`);
  if (!has) return refuse(Reason.PushSecretInvalid, `${field}: Secret ${name} has no credentials for ${host}, the registry of tuning.output.image`);
  return undefined;
}

/** The pre-flight verdict; the first failing check wins. */
export function preflight(input: PreflightInput): PreflightVerdict {
  const ws = input.workspace;
  const method = ws.tuning?.method ?? 'qlora';
  const failed =
    checkConfig(ws, input.configMap, method) ??
    checkUrls(ws, input.resolved, input.allowLoopback) ??
    checkPullSecrets(ws, input.secrets) ??
    checkPushSecret(ws, input.secrets);
  return failed ?? { ok: true, message: 'the tuning config, inputs and Secrets passed the pre-flight checks' };
}

/** The Secret names the pre-flight reads (pull Secrets, then the push Secret). */
export function preflightSecretNames(ws: Workspace): string[] {
  const push = ws.tuning?.output.image !== undefined ? [ws.tuning.output.imagePushSecret ?? ''] : [];
  return [...new Set([...(ws.tuning?.input.imagePullSecrets ?? []), ...push])];
}
