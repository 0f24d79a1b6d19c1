/**
 * Loading a kubeconfig: the one way every process of this repository finds its API server and
 * credentials (`loadKubeConfig`).
 *
 * Why our own loader rather than `@kubernetes/client-node`'s `KubeConfig`: that module imports every
 * generated API class of client-node, which takes a Node process from about 40 to 110 MiB of RSS
 * (measured: docs/workspace-controller-benchmark.md, "RSS"), more than the whole controller needs.
 * The kubeconfigs a controller meets — in-cluster ServiceAccount, client certificates, tokens and
 * token files, basic auth, impersonation — are read here, with client-node's semantics: the same
 * search order as its `loadFromDefault`, files relative to the kubeconfig's directory, a token file
 * re-read every 60 s (ServiceAccount tokens rotate). The rest (`exec` plugins, `auth-provider`s,
 * `proxy-url`) is handed to client-node's `KubeConfig`, imported only then, so nothing a kubeconfig
 * could say stops working; only those processes pay its memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type * as https from 'node:https';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isIPv6 } from 'node:net';
import * as t from 'io-ts';
import { parse } from 'yaml';
import { codedError, decodeOrThrow } from '@kaito-ts/core';

/**
 * What the REST client needs from a kubeconfig. Both `loadKubeConfig`'s result and client-node's
 * `KubeConfig` have this shape, so tests and tools may pass either.
 */
export interface KubeConfigLike {
  /** The current context's cluster, or null when there is none. */
  getCurrentCluster(): { readonly server: string; readonly proxyUrl?: string | undefined } | null;
  /** Adds TLS material and credentials (headers, `auth`, a proxy `agent`) to request options. */
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

const ServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';
/** client-go and client-node re-read a token file at most this often. */
const TokenFileTtlMs = 60_000;

/** A field written as `null` (client-node's `exportConfig` does) reads as absent. */
const orNull = <C extends t.Mixed>(codec: C) => t.union([t.null, codec]);

const ClusterEntry = t.type({
  name: t.string,
  cluster: t.intersection([
    t.type({ server: t.string }),
    t.partial({
      'certificate-authority': orNull(t.string),
      'certificate-authority-data': orNull(t.string),
      'insecure-skip-tls-verify': orNull(t.boolean),
      'tls-server-name': orNull(t.string),
      'proxy-url': orNull(t.string),
    }),
  ]),
});
const UserEntry = t.intersection([
  t.type({ name: t.string }),
  t.partial({
    user: t.union([
      t.null,
      t.partial({
        'client-certificate': orNull(t.string),
        'client-certificate-data': orNull(t.string),
        'client-key': orNull(t.string),
        'client-key-data': orNull(t.string),
        token: orNull(t.string),
        tokenFile: orNull(t.string),
        'token-file': orNull(t.string),
        username: orNull(t.string),
        password: orNull(t.string),
        as: orNull(t.string),
        'as-groups': orNull(t.array(t.string)),
        exec: t.unknown,
        'auth-provider': t.unknown,
      }),
    ]),
  }),
]);
const ContextEntry = t.type({
  name: t.string,
  context: t.intersection([t.type({ cluster: t.string, user: t.string }), t.partial({ namespace: t.string })]),
});
/** The fields of a kubeconfig file this loader reads; others are ignored, as kubectl does. */
const KubeConfigFile = t.partial(
  {
    clusters: t.union([t.null, t.array(ClusterEntry)]),
    users: t.union([t.null, t.array(UserEntry)]),
    contexts: t.union([t.null, t.array(ContextEntry)]),
    'current-context': t.string,
  },
  'kubeconfig',
);
type KubeConfigFile = t.TypeOf<typeof KubeConfigFile>;
type ClusterEntry = t.TypeOf<typeof ClusterEntry>;
type UserEntry = t.TypeOf<typeof UserEntry>;

/** A kubeconfig (or a file it names) cannot be read or lacks what the current context needs. */
export class KubeConfigError extends codedError('KubeConfigInvalid') {}

/** Where the configuration came from: client-node is given the same source when it must take over. */
type Source = { readonly kind: 'files'; readonly paths: readonly string[] } | { readonly kind: 'in-cluster' };

interface Cluster {
  readonly server: string;
  readonly proxyUrl?: string;
  readonly caFile?: string;
  readonly caData?: string;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string;
}

interface User {
  readonly certFile?: string;
  readonly certData?: string;
  readonly keyFile?: string;
  readonly keyData?: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly username?: string;
  readonly password?: string;
  readonly impersonate?: string;
  readonly impersonateGroups?: readonly string[];
  /** `exec` or `auth-provider`: credentials only client-node can produce. */
  readonly plugin: boolean;
}

/**
 * Loads the kubeconfig at `path`, or else the way kubectl and client-node find one: the files in
 * `$KUBECONFIG` (merged, the first naming the current context), `~/.kube/config`, the in-cluster
 * ServiceAccount, `http://localhost:8080`. Throws `KubeConfigError` (which file, which field) when
 * a file cannot be read or lacks its current context.
 */
export function loadKubeConfig(path?: string): KubeConfigLike {
  if (path !== undefined) return fromFiles([path]);
  const env = process.env['KUBECONFIG'];
  if (env !== undefined && env !== '') return fromFiles(env.split(delimiter).filter((p) => p !== ''));
  const home = process.env['HOME'] ?? homedir();
  const inHome = join(home, '.kube', 'config');
  if (existsSync(inHome)) return fromFiles([inHome]);
  if (existsSync(`${ServiceAccountDir}/token`)) return inCluster();
  return new LoadedKubeConfig({ server: 'http://localhost:8080', skipTLSVerify: false }, { plugin: false }, { kind: 'files', paths: [] });
}

function fromFiles(paths: readonly string[]): LoadedKubeConfig {
  // Merged as client-node does: the first file that names a cluster, user or context wins it.
  const clusters = new Map<string, ClusterEntry['cluster'] & { dir: string }>();
  const users = new Map<string, NonNullable<UserEntry['user']> & { dir: string }>();
  const contexts = new Map<string, { cluster: string; user: string }>();
  let current: string | undefined;
  for (const path of paths) {
    const file = readConfigFile(path);
    const dir = dirname(path);
    for (const c of file.clusters ?? []) if (!clusters.has(c.name)) clusters.set(c.name, { ...c.cluster, dir });
    for (const u of file.users ?? []) if (!users.has(u.name)) users.set(u.name, { ...(u.user ?? {}), dir });
    for (const c of file.contexts ?? []) if (!contexts.has(c.name)) contexts.set(c.name, c.context);
    current ??= file['current-context'];
  }
  const where = paths.join(delimiter);
  if (current === undefined || current === '') throw new KubeConfigError(`kubeconfig ${where}: current-context is not set; e.g. kubectl config use-context <name>`);
  const context = contexts.get(current);
  if (context === undefined) throw new KubeConfigError(`kubeconfig ${where}: current-context "${current}" is not among its contexts`);
  const c = clusters.get(context.cluster);
  if (c === undefined) throw new KubeConfigError(`kubeconfig ${where}: context "${current}" names cluster "${context.cluster}", which is not among its clusters`);
  const u = users.get(context.user);
  const cluster: Cluster = {
    server: c.server.replace(/\/$/, ''),
    skipTLSVerify: c['insecure-skip-tls-verify'] === true,
    ...opt('proxyUrl', c['proxy-url']),
    ...opt('caFile', relativeTo(c.dir, c['certificate-authority'])),
    ...opt('caData', c['certificate-authority-data']),
    ...opt('tlsServerName', c['tls-server-name']),
  };
  // client-node reads `token-file` once, when the file is loaded; we re-read it as for in-cluster tokens.
  const user: User =
    u === undefined
      ? { plugin: false }
      : {
          plugin: u.exec != null || u['auth-provider'] != null,
          ...opt('certFile', relativeTo(u.dir, u['client-certificate'])),
          ...opt('certData', u['client-certificate-data']),
          ...opt('keyFile', relativeTo(u.dir, u['client-key'])),
          ...opt('keyData', u['client-key-data']),
          ...opt('token', u.token),
          ...opt('tokenFile', relativeTo(u.dir, u.tokenFile ?? u['token-file'])),
          ...opt('username', u.username),
          ...opt('password', u.password),
          ...opt('impersonate', u.as),
          ...opt('impersonateGroups', u['as-groups']),
        };
  return new LoadedKubeConfig(cluster, user, { kind: 'files', paths });
}

function inCluster(): LoadedKubeConfig {
  const host = process.env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = process.env['KUBERNETES_SERVICE_PORT'] ?? '';
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  return new LoadedKubeConfig(
    { server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile: `${ServiceAccountDir}/ca.crt`, skipTLSVerify: false },
    { tokenFile: `${ServiceAccountDir}/token`, plugin: false },
    { kind: 'in-cluster' },
  );
}

function readConfigFile(path: string): KubeConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${path}: cannot read it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${path}: not YAML: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return decodeOrThrow(KubeConfigFile, doc ?? {}, `kubeconfig ${path}`);
}

function relativeTo(dir: string, file: string | null | undefined): string | undefined {
  return file === undefined || file === null ? undefined : isAbsolute(file) ? file : join(dir, file);
}

function opt<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === undefined || value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

class LoadedKubeConfig implements KubeConfigLike {
  readonly #cluster: Cluster;
  readonly #user: User;
  readonly #source: Source;
  #tls: https.RequestOptions | undefined;
  #token: { value: string; readAt: number } | undefined;
  #delegate: Promise<KubeConfigLike> | undefined;

  constructor(cluster: Cluster, user: User, source: Source) {
    this.#cluster = cluster;
    this.#user = user;
    this.#source = source;
  }

  getCurrentCluster(): { readonly server: string; readonly proxyUrl?: string } {
    return { server: this.#cluster.server, ...opt('proxyUrl', this.#cluster.proxyUrl) };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    if (this.#user.plugin || this.#cluster.proxyUrl !== undefined) {
      this.#delegate ??= clientNodeKubeConfig(this.#source);
      return (await this.#delegate).applyToHTTPSOptions(opts);
    }
    // TLS material is read once: the REST client builds its agent from it once.
    this.#tls ??= this.#tlsOptions();
    Object.assign(opts, this.#tls);
    const headers: Record<string, string | string[]> = { ...(opts.headers as Record<string, string | string[]> | undefined) };
    const token = this.#bearerToken();
    if (token !== undefined) headers['Authorization'] = `Bearer ${token}`;
    if (this.#user.impersonate !== undefined) headers['Impersonate-User'] = this.#user.impersonate;
    if (this.#user.impersonateGroups !== undefined && this.#user.impersonateGroups.length > 0) headers['Impersonate-Group'] = [...this.#user.impersonateGroups];
    opts.headers = headers;
    if (this.#user.username !== undefined) opts.auth = `${this.#user.username}:${this.#user.password ?? ''}`;
  }

  #tlsOptions(): https.RequestOptions {
    const c = this.#cluster;
    const u = this.#user;
    const tls: https.RequestOptions = {};
    if (c.skipTLSVerify) tls.rejectUnauthorized = false;
    if (c.tlsServerName !== undefined) tls.servername = c.tlsServerName;
    const ca = fileOrData(c.caFile, c.caData, 'certificate-authority');
    if (ca !== undefined) tls.ca = ca;
    const cert = fileOrData(u.certFile, u.certData, 'client-certificate');
    if (cert !== undefined) tls.cert = cert;
    const key = fileOrData(u.keyFile, u.keyData, 'client-key');
    if (key !== undefined) tls.key = key;
    return tls;
  }

  #bearerToken(): string | undefined {
    if (this.#user.tokenFile === undefined) return this.#user.token;
    const now = Date.now();
    let token = this.#token;
    if (token === undefined || now - token.readAt > TokenFileTtlMs) {
      try {
        token = { value: readFileSync(this.#user.tokenFile, 'utf8').trim(), readAt: now };
      } catch (err) {
        // Keep the last token if a rotation is mid-write; fail only when there never was one.
        if (token === undefined) throw new KubeConfigError(`token file ${this.#user.tokenFile}: cannot read it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      this.#token = token;
    }
    return token.value;
  }
}

function fileOrData(file: string | undefined, data: string | undefined, field: string): Buffer | undefined {
  if (file !== undefined) {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new KubeConfigError(`kubeconfig ${field} ${file}: cannot read it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return data !== undefined ? Buffer.from(data, 'base64') : undefined;
}

/** client-node's `KubeConfig` for the same source, for `exec`, `auth-provider` and `proxy-url`. */
async function clientNodeKubeConfig(source: Source): Promise<KubeConfigLike> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (source.kind === 'in-cluster') kc.loadFromCluster();
  else {
    const [first, ...rest] = source.paths;
    if (first !== undefined) kc.loadFromFile(first);
    for (const path of rest) {
      const more = new KubeConfig();
      more.loadFromFile(path);
      kc.mergeConfig(more, true);
    }
  }
  return kc;
}
