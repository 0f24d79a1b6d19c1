import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiextensionsV1Api, KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { kubeClientsFor, requestJson } from './kube.js';
import { repoRoot } from './paths.js';

export const FIELD_MANAGER = 'kaito-ts-cluster';

export interface ApplyOptions {
  /** Namespace for namespaced objects that do not name one. */
  readonly namespace?: string;
  readonly fieldManager?: string;
}

/** Parses a multi-document YAML text into objects (empty documents dropped). */
export function parseYamlObjects(text: string): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]?.message ?? 'unknown error'}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || !('kind' in value) || !('apiVersion' in value)) {
      throw new Error('invalid manifest: every YAML document needs apiVersion and kind');
    }
    out.push(value as KubernetesObject);
  }
  return out;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** Discovery per (kubeconfig, apiVersion); refreshed on a miss, since CRDs add kinds at runtime. */
const discovery = new WeakMap<KubeConfig, Map<string, ApiResource[]>>();

async function resourceFor(kc: KubeConfig, apiVersion: string, kind: string): Promise<ApiResource> {
  let perKc = discovery.get(kc);
  if (perKc === undefined) {
    perKc = new Map();
    discovery.set(kc, perKc);
  }
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    let resources = attempt === 0 ? perKc.get(apiVersion) : undefined;
    if (resources === undefined) {
      const list = await requestJson<{ resources: ApiResource[] }>(kc, 'GET', path).catch(() => ({ resources: [] }));
      resources = list.resources.filter((r) => !r.name.includes('/'));
      perKc.set(apiVersion, resources);
    }
    const found = resources.find((r) => r.kind === kind);
    if (found !== undefined) return found;
  }
  throw new Error(`the server has no ${kind} in ${apiVersion}; is its CRD installed and Established?`);
}

/** The REST path of an object (collection path when `name` is omitted). */
export async function objectPath(
  kc: KubeConfig,
  obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } },
  defaultNamespace?: string,
): Promise<string> {
  const apiVersion = obj.apiVersion ?? '';
  const kind = obj.kind ?? '';
  const res = await resourceFor(kc, apiVersion, kind);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  let path = base;
  if (res.namespaced) {
    const ns = obj.metadata?.namespace ?? defaultNamespace;
    if (ns === undefined) throw new Error(`${kind} ${obj.metadata?.name ?? ''} is namespaced: give it a namespace`);
    path += `/namespaces/${encodeURIComponent(ns)}`;
  }
  path += `/${res.name}`;
  const name = obj.metadata?.name;
  return name !== undefined ? `${path}/${encodeURIComponent(name)}` : path;
}

/**
 * Server-side apply of one object (force: this tool owns what it applies), sent as written
 * (wire format, no typed re-serialisation). Namespaced objects without a namespace go to
 * `opts.namespace`. Returns the live object.
 */
export async function applyObject<T extends KubernetesObject>(kc: KubeConfig, obj: T, opts: ApplyOptions = {}): Promise<T> {
  const name = obj.metadata?.name;
  if (name === undefined || name === '') throw new Error(`apply ${obj.kind ?? 'object'}: metadata.name is required`);
  const res = await resourceFor(kc, obj.apiVersion ?? '', obj.kind ?? '');
  const body: KubernetesObject = { ...obj, metadata: { ...obj.metadata } };
  if (res.namespaced && body.metadata?.namespace === undefined && opts.namespace !== undefined) {
    body.metadata = { ...body.metadata, namespace: opts.namespace };
  }
  const path = await objectPath(kc, body);
  const manager = encodeURIComponent(opts.fieldManager ?? FIELD_MANAGER);
  return requestJson<T>(kc, 'PATCH', `${path}?fieldManager=${manager}&force=true`, {
    body: JSON.stringify(body),
    contentType: 'application/apply-patch+yaml',
  });
}

/** Applies every document of a YAML text, in order. */
export async function applyYamlText(kc: KubeConfig, text: string, opts: ApplyOptions = {}): Promise<KubernetesObject[]> {
  const applied: KubernetesObject[] = [];
  for (const obj of parseYamlObjects(text)) applied.push(await applyObject(kc, obj, opts));
  return applied;
}

/** The .yaml/.yml files of a directory, sorted, or the file itself. */
export function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(path, f));
}

/** Applies a YAML file or every YAML file of a directory. */
export async function applyPath(
  kc: KubeConfig,
  path: string,
  opts: ApplyOptions = {},
): Promise<KubernetesObject[]> {
  const applied: KubernetesObject[] = [];
  for (const file of manifestFiles(path)) {
    try {
      applied.push(...(await applyYamlText(kc, readFileSync(file, 'utf8'), opts)));
    } catch (err) {
      throw new Error(`apply ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return applied;
}

/** Waits until each named CRD reports Established=True (new kinds are served only after that). */
export async function waitForCrdsEstablished(
  apiext: ApiextensionsV1Api,
  names: readonly string[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await apiext.readCustomResourceDefinition({ name }).catch(() => undefined);
      const established = crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      if (established === true) break;
      if (Date.now() > deadline) {
        throw new Error(`CRD ${name} was not Established within ${timeoutMs} ms; check the API server log`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Server-side applies every crds/*.yaml of the repository and waits until the CRDs are
 * Established; returns their names (none when the folder is missing or empty). The test tiers'
 * global setup and the demo install the CRDs this one way.
 */
export async function installRepoCrds(kc: KubeConfig, dir: string = join(repoRoot(), 'crds')): Promise<string[]> {
  if (!existsSync(dir) || manifestFiles(dir).length === 0) return [];
  await applyPath(kc, dir);
  const names = manifestFiles(dir)
    .flatMap((f) => parseYamlObjects(readFileSync(f, 'utf8')))
    .filter((o) => o.kind === 'CustomResourceDefinition')
    .map((o) => o.metadata?.name ?? '');
  await waitForCrdsEstablished(kubeClientsFor(kc).apiext, names);
  return names;
}
