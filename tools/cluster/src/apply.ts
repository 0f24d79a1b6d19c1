import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ApiextensionsV1Api,
  type KubernetesObject,
  type KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

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

/** Server-side apply of one object (force: this tool owns what it applies). Returns the live object. */
export async function applyObject<T extends KubernetesObject>(
  objects: KubernetesObjectApi,
  obj: T,
  opts: ApplyOptions = {},
): Promise<T> {
  const spec: T = { ...obj, metadata: { ...obj.metadata } };
  if (opts.namespace !== undefined && spec.metadata !== undefined && spec.metadata.namespace === undefined) {
    // Cluster-scoped kinds ignore a namespace only if we do not send one; ask discovery.
    const namespaced = await isNamespaced(objects, spec);
    if (namespaced) spec.metadata.namespace = opts.namespace;
  }
  return objects.patch(
    spec,
    undefined,
    undefined,
    opts.fieldManager ?? FIELD_MANAGER,
    true,
    PatchStrategy.ServerSideApply,
  );
}

async function isNamespaced(objects: KubernetesObjectApi, obj: KubernetesObject): Promise<boolean> {
  // resource() is protected in the typings but public in behaviour; it caches discovery per apiVersion.
  const api = objects as unknown as {
    resource(apiVersion: string, kind: string): Promise<{ namespaced: boolean } | undefined>;
  };
  const res = await api.resource(obj.apiVersion ?? '', obj.kind ?? '');
  return res?.namespaced ?? true;
}

/** Applies every document of a YAML text, in order. */
export async function applyYamlText(
  objects: KubernetesObjectApi,
  text: string,
  opts: ApplyOptions = {},
): Promise<KubernetesObject[]> {
  const applied: KubernetesObject[] = [];
  for (const obj of parseYamlObjects(text)) applied.push(await applyObject(objects, obj, opts));
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
  objects: KubernetesObjectApi,
  path: string,
  opts: ApplyOptions = {},
): Promise<KubernetesObject[]> {
  const applied: KubernetesObject[] = [];
  for (const file of manifestFiles(path)) {
    try {
      applied.push(...(await applyYamlText(objects, readFileSync(file, 'utf8'), opts)));
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
