/**
 * A container's environment as a kubelet builds it: `envFrom` first, then `env` (later wins),
 * `valueFrom` resolved against ConfigMaps, Secrets, the downward API and resources, and `$(VAR)`
 * references expanded. A missing object or key fails like the kubelet's CreateContainerConfigError.
 */
import { parseQuantity } from '@kaito-ts/controller-runtime';
import { type Container, ContainerConfigError, type ObjectLookup, type Pod } from './types.js';

export const POD_IP = '127.0.0.1';

/** `metadata.name`, `metadata.labels['x']`, `status.podIP`, … as a kubelet's downward API resolves them. */
export function fieldRefValue(pod: Pod, fieldPath: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m !== null) {
    const map = m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[m[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.hostIP':
      return POD_IP;
    case 'status.podIPs':
    case 'status.hostIPs':
      return POD_IP;
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    default:
      throw new ContainerConfigError(`unsupported fieldRef.fieldPath "${fieldPath}"; expected e.g. metadata.name, metadata.namespace, status.podIP`);
  }
}

/** The downward API's file format for labels and annotations: `key="value"` lines, sorted. */
export function formatMap(map: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map?.[k] ?? '')}`)
    .join('\n');
}

/**
 * `limits.cpu`, `requests.memory`, … of a container, divided by `divisor` and rounded up like the
 * kubelet; a missing limit is the node's allocatable.
 */
export function resourceFieldValue(
  container: Container | undefined,
  ref: { resource: string; divisor?: string | number; containerName?: string },
  nodeAllocatable: Readonly<Record<string, string>>,
): string {
  const [kind, name] = ref.resource.split('.', 2) as [string, string | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || name === undefined) {
    throw new ContainerConfigError(`unsupported resourceFieldRef.resource "${ref.resource}"; expected limits.cpu, requests.memory, …`);
  }
  const list = (kind === 'limits' ? container?.resources?.limits : container?.resources?.requests) as Record<string, string> | undefined;
  const raw = list?.[name] ?? (kind === 'limits' ? nodeAllocatable[name] : undefined) ?? '0';
  const divisor = parseQuantity(ref.divisor === undefined || ref.divisor === '' || ref.divisor === 0 ? 1 : ref.divisor);
  return String(Math.ceil(parseQuantity(raw) / divisor));
}

/** Expands `$(VAR)` from `vars`; `$$(VAR)` stays literal `$(VAR)`; unknown references stay as written. */
export function expand(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && Object.prototype.hasOwnProperty.call(vars, name) ? (vars[name] ?? '') : whole;
  });
}

export interface EnvContext {
  readonly pod: Pod;
  readonly container: Container;
  readonly lookup: ObjectLookup;
  readonly nodeAllocatable: Readonly<Record<string, string>>;
  /** Variables every container gets first (PATH, HOSTNAME, …); the pod's env overrides them. */
  readonly base: Readonly<Record<string, string>>;
}

export async function containerEnv(ctx: EnvContext): Promise<Record<string, string>> {
  const { pod, container, lookup } = ctx;
  const ns = pod.metadata.namespace;
  const env: Record<string, string> = { ...ctx.base };
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef !== undefined) {
      const data = await lookup.configMap(ns, from.configMapRef.name ?? '');
      if (data === undefined) {
        if (from.configMapRef.optional === true) continue;
        throw new ContainerConfigError(`configmap "${from.configMapRef.name ?? ''}" not found`);
      }
      for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
    } else if (from.secretRef !== undefined) {
      const data = await lookup.secret(ns, from.secretRef.name ?? '');
      if (data === undefined) {
        if (from.secretRef.optional === true) continue;
        throw new ContainerConfigError(`secret "${from.secretRef.name ?? ''}" not found`);
      }
      for (const [k, v] of Object.entries(data)) env[prefix + k] = v.toString('utf8');
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = expand(e.value ?? '', env);
      continue;
    }
    const value = await valueFrom(ctx, e.name, e.valueFrom);
    if (value !== undefined) env[e.name] = value;
  }
  return env;
}

async function valueFrom(ctx: EnvContext, name: string, from: NonNullable<NonNullable<Container['env']>[number]['valueFrom']>): Promise<string | undefined> {
  const ns = ctx.pod.metadata.namespace;
  if (from.configMapKeyRef !== undefined) {
    const ref = from.configMapKeyRef;
    const data = await ctx.lookup.configMap(ns, ref.name ?? '');
    if (data === undefined) {
      if (ref.optional === true) return undefined;
      throw new ContainerConfigError(`configmap "${ref.name ?? ''}" not found (env ${name})`);
    }
    const v = data[ref.key];
    if (v === undefined && ref.optional !== true) {
      throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name ?? ''} (env ${name})`);
    }
    return v;
  }
  if (from.secretKeyRef !== undefined) {
    const ref = from.secretKeyRef;
    const data = await ctx.lookup.secret(ns, ref.name ?? '');
    if (data === undefined) {
      if (ref.optional === true) return undefined;
      throw new ContainerConfigError(`secret "${ref.name ?? ''}" not found (env ${name})`);
    }
    const v = data[ref.key];
    if (v === undefined && ref.optional !== true) {
      throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name ?? ''} (env ${name})`);
    }
    return v?.toString('utf8');
  }
  if (from.fieldRef !== undefined) return fieldRefValue(ctx.pod, from.fieldRef.fieldPath);
  if (from.resourceFieldRef !== undefined) {
    const ref = from.resourceFieldRef;
    const target = ref.containerName ? findContainer(ctx.pod, ref.containerName) : ctx.container;
    return resourceFieldValue(target, { resource: ref.resource, ...(ref.divisor !== undefined ? { divisor: String(ref.divisor) } : {}) }, ctx.nodeAllocatable);
  }
  throw new ContainerConfigError(`env ${name}: valueFrom needs configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef`);
}

export function findContainer(pod: Pod, name: string): Container | undefined {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === name);
}
