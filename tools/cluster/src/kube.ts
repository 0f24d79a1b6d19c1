import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import type { RequestOptions } from 'node:https';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
} from '@kubernetes/client-node';

/**
 * client-node's `KubeConfig`, for the generated API clients (`kubeClientsFor`) tools and tests use.
 * Controller processes load theirs with `@kaito-ts/controller-runtime`'s `loadKubeConfig` instead,
 * which does not pull in every generated class (tens of MiB of RSS); both are accepted by `Manager`.
 */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath !== undefined) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

/** The typed clients integration tests and tools use most, from one kubeconfig. */
export interface KubeClients {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly apiext: ApiextensionsV1Api;
  readonly custom: CustomObjectsApi;
  /** Generic client for any kind (server-side apply, read, delete). */
  readonly objects: KubernetesObjectApi;
}

export function kubeClientsFor(kc: KubeConfig): KubeClients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    apiext: kc.makeApiClient(ApiextensionsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}

/** A non-2xx answer of the API server to a raw request (same shape as client-node's ApiException). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${code}: ${messageOfBody(body)}`);
  }
}

function messageOfBody(body: string): string {
  const parsed = safeJson(body);
  if (typeof parsed === 'object' && parsed !== null && 'message' in parsed) {
    const m = (parsed as { message: unknown }).message;
    if (typeof m === 'string') return m;
  }
  return body.slice(0, 500);
}

/**
 * One request to the API server with the kubeconfig's credentials, bypassing client-node's typed
 * (de)serialisation (which drops wire-format fields such as `x-kubernetes-validations`).
 */
export async function rawRequest(
  kc: KubeConfig,
  method: string,
  path: string,
  opts: { body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('kubeconfig has no current cluster; run `npm run cluster -- up`');
  const base = new URL(server);
  const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(opts.body));
  }
  const reqOpts: RequestOptions = {
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers,
    timeout: timeoutMs,
  };
  await kc.applyToHTTPSOptions(reqOpts);
  const send = url.protocol === 'http:' ? httpRequest : request;
  return new Promise((resolvePromise, reject) => {
    const req = send(reqOpts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** GET a raw API path (e.g. /readyz); resolves status and body. */
export function rawGet(kc: KubeConfig, path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return rawRequest(kc, 'GET', path, { timeoutMs });
}

/** Like rawRequest, but a non-2xx status throws KubeApiError and the body is parsed JSON. */
export async function requestJson<T>(
  kc: KubeConfig,
  method: string,
  path: string,
  opts: { body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<T> {
  const res = await rawRequest(kc, method, path, opts);
  if (res.status < 200 || res.status >= 300) throw new KubeApiError(res.status, res.body, `${method} ${path}`);
  return JSON.parse(res.body) as T;
}

/** True when the API server answers /readyz with 200 (one retry: a loaded machine is slow). Never throws. */
export async function isReady(kc: KubeConfig): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      if ((await rawGet(kc, '/readyz')).status === 200) return true;
    } catch {
      // retry once
    }
  }
  return false;
}

/** HTTP status of a client-node ApiException (or undefined). */
export function statusCodeOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusCodeOf(err) === 409;
export const isAlreadyExists = isConflict;

/** The API server's message from an ApiException body (a Status object), else the error's message. */
export function apiMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'body' in err) {
    const body = (err as { body: unknown }).body;
    const parsed: unknown = typeof body === 'string' ? safeJson(body) : body;
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed) {
      const m = (parsed as { message: unknown }).message;
      if (typeof m === 'string') return m;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
