/**
 * Volumes materialised in the pod's directory the way a kubelet lays them out: one directory per
 * volume (`<podDir>/volumes/<name>`) with a file per key, mode as asked. Containers then see them
 * at their `mountPath`s through bind mounts (mount-script.ts).
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { V1DownwardAPIVolumeFile, V1KeyToPath, V1Volume } from '@kubernetes/client-node';
import { fieldRefValue, findContainer, resourceFieldValue } from './env.js';
import { type Container, type ObjectLookup, type Pod, VolumeSetupError } from './types.js';

export interface PreparedVolume {
  /** Where the volume's content is on this machine. */
  readonly path: string;
  /**
   * configMap, secret, downwardAPI and projected volumes are always read-only, like a kubelet's;
   * a hostPath too, unless the pod lists it in WRITABLE_HOST_PATHS_ANNOTATION.
   */
  readonly alwaysReadOnly: boolean;
}

/**
 * hostPath volumes (comma-separated names) a pod may write to. Unlike a kubelet, the process
 * kubelet mounts this machine's directories read-only by default; `readOnly: false` on the
 * volumeMount cannot ask for more, because the API server drops it as the default.
 */
export const WRITABLE_HOST_PATHS_ANNOTATION = 'kaito-ts.dev/writable-host-paths';

function writableHostPaths(pod: Pod): Set<string> {
  const raw = pod.metadata.annotations?.[WRITABLE_HOST_PATHS_ANNOTATION] ?? '';
  return new Set(raw.split(',').map((s) => s.trim()).filter(Boolean));
}

const DEFAULT_MODE = 0o644;

interface File {
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
}

/** Creates every volume of the pod under `podDir`; a missing ConfigMap/Secret/key throws VolumeSetupError. */
export async function prepareVolumes(
  pod: Pod,
  podDir: string,
  lookup: ObjectLookup,
  nodeAllocatable: Readonly<Record<string, string>>,
): Promise<Map<string, PreparedVolume>> {
  const out = new Map<string, PreparedVolume>();
  const writable = writableHostPaths(pod);
  for (const v of pod.spec.volumes ?? []) {
    if (v.hostPath !== undefined) {
      if (v.hostPath.type === 'DirectoryOrCreate') await mkdir(v.hostPath.path, { recursive: true });
      out.set(v.name, { path: v.hostPath.path, alwaysReadOnly: !writable.has(v.name) });
      continue;
    }
    const dir = join(podDir, 'volumes', v.name);
    await mkdir(dir, { recursive: true });
    if (v.emptyDir !== undefined) {
      out.set(v.name, { path: dir, alwaysReadOnly: false });
      continue;
    }
    const files = await volumeFiles(pod, v, lookup, nodeAllocatable);
    if (files === undefined) throw new VolumeSetupError(`volume "${v.name}": unsupported type; the process kubelet handles configMap, secret, emptyDir, projected, downwardAPI and hostPath`);
    for (const f of files) {
      const target = normalize(join(dir, f.path));
      if (!target.startsWith(`${dir}/`)) throw new VolumeSetupError(`volume "${v.name}": item path "${f.path}" leaves the volume`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, f.content);
      await chmod(target, f.mode);
    }
    out.set(v.name, { path: dir, alwaysReadOnly: true });
  }
  return out;
}

async function volumeFiles(pod: Pod, v: V1Volume, lookup: ObjectLookup, alloc: Readonly<Record<string, string>>): Promise<File[] | undefined> {
  const ns = pod.metadata.namespace;
  if (v.configMap !== undefined) {
    const cm = v.configMap;
    const data = await lookup.configMap(ns, cm.name ?? '');
    return keyFiles(v.name, 'configmap', cm.name ?? '', data && toBuffers(data), cm.items, cm.optional, cm.defaultMode ?? DEFAULT_MODE);
  }
  if (v.secret !== undefined) {
    const s = v.secret;
    const data = await lookup.secret(ns, s.secretName ?? '');
    return keyFiles(v.name, 'secret', s.secretName ?? '', data, s.items, s.optional, s.defaultMode ?? DEFAULT_MODE);
  }
  if (v.downwardAPI !== undefined) return downwardFiles(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, alloc);
  if (v.projected !== undefined) {
    const mode = v.projected.defaultMode ?? DEFAULT_MODE;
    const files: File[] = [];
    for (const src of v.projected.sources ?? []) {
      if (src.configMap !== undefined) {
        const data = await lookup.configMap(ns, src.configMap.name ?? '');
        files.push(...keyFiles(v.name, 'configmap', src.configMap.name ?? '', data && toBuffers(data), src.configMap.items, src.configMap.optional, mode));
      } else if (src.secret !== undefined) {
        const data = await lookup.secret(ns, src.secret.name ?? '');
        files.push(...keyFiles(v.name, 'secret', src.secret.name ?? '', data, src.secret.items, src.secret.optional, mode));
      } else if (src.downwardAPI !== undefined) {
        files.push(...downwardFiles(pod, src.downwardAPI.items ?? [], mode, alloc));
      } else if (src.serviceAccountToken !== undefined) {
        const t = src.serviceAccountToken;
        const token = await lookup.serviceAccountToken(ns, pod.spec.serviceAccountName ?? 'default', t.audience, t.expirationSeconds ?? 3600);
        files.push({ path: t.path, content: Buffer.from(token), mode });
      }
    }
    return files;
  }
  return undefined;
}

function toBuffers(data: Readonly<Record<string, string>>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));
}

function keyFiles(
  volume: string,
  kind: 'configmap' | 'secret',
  name: string,
  data: Readonly<Record<string, Buffer>> | undefined,
  items: readonly V1KeyToPath[] | undefined,
  optional: boolean | undefined,
  mode: number,
): File[] {
  if (data === undefined) {
    if (optional === true) return [];
    throw new VolumeSetupError(`MountVolume.SetUp failed for volume "${volume}": ${kind} "${name}" not found`);
  }
  if (items === undefined || items.length === 0) {
    return Object.entries(data).map(([k, content]) => ({ path: k, content, mode }));
  }
  const files: File[] = [];
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      if (optional === true) continue;
      throw new VolumeSetupError(`MountVolume.SetUp failed for volume "${volume}": ${kind} "${name}" has no key "${item.key}"`);
    }
    files.push({ path: item.path, content, mode: item.mode ?? mode });
  }
  return files;
}

function downwardFiles(pod: Pod, items: readonly V1DownwardAPIVolumeFile[], mode: number, alloc: Readonly<Record<string, string>>): File[] {
  return items.map((item) => {
    let value = '';
    if (item.fieldRef !== undefined) value = fieldRefValue(pod, item.fieldRef.fieldPath);
    else if (item.resourceFieldRef !== undefined) {
      const ref = item.resourceFieldRef;
      const c: Container | undefined = ref.containerName ? findContainer(pod, ref.containerName) : undefined;
      value = resourceFieldValue(c, { resource: ref.resource, ...(ref.divisor !== undefined ? { divisor: String(ref.divisor) } : {}) }, alloc);
    }
    return { path: item.path, content: Buffer.from(value), mode: item.mode ?? mode };
  });
}

export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** A container's bind mounts: each volumeMount (with subPath) onto its mountPath. */
export function containerMounts(container: Container, volumes: ReadonlyMap<string, PreparedVolume>): Mount[] {
  return (container.volumeMounts ?? []).map((m) => {
    const v = volumes.get(m.name);
    if (v === undefined) throw new VolumeSetupError(`container "${container.name}": volumeMount "${m.name}" names no volume of the pod`);
    // A runtime refuses these; here the start script would mount into the kubelet's cwd.
    if (!m.mountPath.startsWith('/')) throw new VolumeSetupError(`container "${container.name}": mountPath "${m.mountPath}" must be an absolute path, e.g. /mnt/data`);
    const sub = m.subPath ?? '';
    const source = sub === '' ? v.path : normalize(join(v.path, sub));
    // A hostPath may be `/` or end in a slash: compare against the path with one trailing slash.
    const inside = `${normalize(v.path).replace(/\/+$/, '')}/`;
    if (sub !== '' && !source.startsWith(inside)) throw new VolumeSetupError(`container "${container.name}": subPath "${sub}" leaves volume "${m.name}"`);
    const readOnly = v.alwaysReadOnly || m.readOnly === true;
    return { source, target: m.mountPath, readOnly };
  });
}
