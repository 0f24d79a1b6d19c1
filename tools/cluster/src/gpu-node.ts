import type { CoreV1Api, V1Node, V1Taint } from '@kubernetes/client-node';
import { codedError } from '@kaito-ts/core';
import { findSku, type GpuSku, listSkus } from '@kaito-ts/presets';
import { isConflict } from './kube.js';

/** kwok manages nodes carrying this annotation (the kind path's kwok only manages these). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
/** Every node made here carries this label, so tests and `delete-nodes` can find them. */
export const FAKE_GPU_NODE_LABEL = 'kaito-ts.dev/fake-gpu-node';

export interface GpuNodeOptions {
  /** Node name; default derived from the pool (AKS style) or the SKU, plus `index`. */
  readonly name?: string;
  /** Agent pool (Azure) / node group (AWS) the node belongs to. */
  readonly pool?: string;
  /** Ordinal within the pool, used in the default name and providerID. Default 0. */
  readonly index?: number;
  /** Extra labels (override the defaults). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly taints?: readonly V1Taint[];
  /** ephemeral-storage capacity; default the SKU's NVMe size, else 256 GiB (a typical GPU OS disk). */
  readonly ephemeralStorageGiB?: number;
  readonly providerID?: string;
  /**
   * Run this node's pods as local processes: the name of the process kubelet that serves it
   * (`kaito-ts.dev/process-kubelet=<name>`, usually `default`). kwok then leaves the node alone.
   */
  readonly runPods?: string;
}

/** Label naming the process kubelet that runs a node's pods (src/kubelet). */
export const PROCESS_KUBELET_LABEL = 'kaito-ts.dev/process-kubelet';
/** The kwok annotation's value on process-kubelet nodes: anything but `fake` keeps kwok off. */
export const PROCESS_NODE_ANNOTATION_VALUE = 'process-kubelet';

export const DEFAULT_EPHEMERAL_STORAGE_GIB = 256;
export const MAX_PODS = 110;
const FAKE_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const FAKE_RESOURCE_GROUP = 'mc_kaito-ts_local_kwok';

/** Deterministic 8-digit number for a pool, like the one AKS puts in node names. */
export function poolHash(pool: string): string {
  let h = 0x811c9dc5;
  for (const ch of pool) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return String(h % 100_000_000).padStart(8, '0');
}

const dns = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');

export function defaultNodeName(sku: GpuSku, pool: string | undefined, index: number): string {
  if (pool !== undefined) {
    return sku.cloud === 'azure'
      ? `aks-${dns(pool)}-${poolHash(pool)}-vmss${String(index).padStart(6, '0')}`
      : `${dns(pool)}-${dns(sku.name)}-${index}`;
  }
  return `kwok-gpu-${dns(sku.name)}-${index}`;
}

export function defaultProviderID(sku: GpuSku, name: string, pool: string | undefined, index: number): string {
  if (sku.cloud === 'aws') {
    const id = (poolHash(name) + poolHash(`${name}/${index}`)).slice(0, 16);
    return `aws:///us-west-2a/i-0${id}`;
  }
  const base = `azure:///subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${FAKE_RESOURCE_GROUP}/providers/Microsoft.Compute`;
  return pool !== undefined
    ? `${base}/virtualMachineScaleSets/aks-${dns(pool)}-${poolHash(pool)}-vmss/virtualMachines/${index}`
    : `${base}/virtualMachines/${name}`;
}

/** Labels a GPU node of this SKU carries (GPU Feature Discovery and cloud-provider style). */
export function gpuNodeLabels(sku: GpuSku, name: string, pool?: string): Record<string, string> {
  const labels: Record<string, string> = {
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'node.kubernetes.io/instance-type': sku.name,
    'beta.kubernetes.io/instance-type': sku.name,
    accelerator: 'nvidia',
    'nvidia.com/gpu.present': 'true',
    'nvidia.com/gpu.product': sku.gpuProduct,
    'nvidia.com/gpu.count': String(sku.gpuCount),
    // GPU Feature Discovery reports per-GPU memory in MiB.
    'nvidia.com/gpu.memory': String(Math.round(sku.gpuMemoryGiB * 1024)),
    type: 'kwok',
    [FAKE_GPU_NODE_LABEL]: 'true',
  };
  if (sku.cloud === 'azure') labels['kubernetes.azure.com/accelerator'] = 'nvidia';
  if (pool !== undefined) {
    if (sku.cloud === 'azure') {
      labels['agentpool'] = pool;
      labels['kubernetes.azure.com/agentpool'] = pool;
    } else {
      labels['eks.amazonaws.com/nodegroup'] = pool;
    }
  }
  return labels;
}

/** A kwok-managed Node with this SKU's GPUs, CPU, memory and disk as capacity and allocatable. */
export function gpuNodeManifest(sku: GpuSku, opts: GpuNodeOptions = {}): V1Node {
  const index = opts.index ?? 0;
  const name = opts.name ?? defaultNodeName(sku, opts.pool, index);
  const disk = opts.ephemeralStorageGiB ?? sku.nvmeGiB ?? DEFAULT_EPHEMERAL_STORAGE_GIB;
  const resources = {
    cpu: String(sku.vcpu),
    memory: `${sku.memoryGiB}Gi`,
    'ephemeral-storage': `${disk}Gi`,
    'nvidia.com/gpu': String(sku.gpuCount),
    pods: String(MAX_PODS),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        ...gpuNodeLabels(sku, name, opts.pool),
        ...(opts.runPods !== undefined ? { [PROCESS_KUBELET_LABEL]: opts.runPods, type: 'process-kubelet' } : {}),
        ...opts.labels,
      },
      annotations: {
        [KWOK_NODE_ANNOTATION]: opts.runPods !== undefined ? PROCESS_NODE_ANNOTATION_VALUE : 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
        ...opts.annotations,
      },
    },
    spec: {
      providerID: opts.providerID ?? defaultProviderID(sku, name, opts.pool, index),
      ...(opts.taints !== undefined && opts.taints.length > 0 ? { taints: [...opts.taints] } : {}),
    },
    status: {
      capacity: { ...resources },
      allocatable: { ...resources },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        bootID: '',
        containerRuntimeVersion: opts.runPods !== undefined ? 'process' : 'kwok',
        kernelVersion: 'kwok',
        kubeProxyVersion: 'kwok',
        kubeletVersion: opts.runPods !== undefined ? 'process-kubelet' : 'kwok',
        machineID: '',
        osImage: 'kwok fake GPU node',
        systemUUID: '',
      },
    },
  };
}

export class UnknownSkuError extends codedError('UnknownSku') {}

/** The catalog SKU, or an error naming the known ones. */
export function skuOrThrow(name: string): GpuSku {
  const sku = findSku(name);
  if (sku !== undefined) return sku;
  const known = listSkus()
    .map((s) => s.name)
    .join(', ');
  throw new UnknownSkuError(`unknown GPU SKU "${name}"; use one of: ${known}`);
}

/** Parses `key=value:Effect` or `key:Effect` (kubectl taint syntax). */
export function parseTaint(text: string): V1Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(text.trim());
  if (m === null || m[1] === undefined || m[3] === undefined) {
    throw new Error(`invalid taint "${text}": expected key=value:NoSchedule|PreferNoSchedule|NoExecute`);
  }
  return { key: m[1], effect: m[3], ...(m[2] !== undefined && m[2] !== '' ? { value: m[2] } : {}) };
}

export interface AddGpuNodeOptions extends GpuNodeOptions {
  readonly sku: string | GpuSku;
}

/**
 * Creates a fake GPU node. Without a name it takes the next free index in the pool. Creating a
 * node whose name exists returns the existing node (idempotent).
 */
export async function addGpuNode(core: CoreV1Api, opts: AddGpuNodeOptions): Promise<V1Node> {
  const sku = typeof opts.sku === 'string' ? skuOrThrow(opts.sku) : opts.sku;
  let index = opts.index;
  if (index === undefined && opts.name === undefined) {
    const existing = await core.listNode();
    const names = new Set(existing.items.map((n) => n.metadata?.name ?? ''));
    index = 0;
    while (names.has(defaultNodeName(sku, opts.pool, index))) index++;
  }
  const node = gpuNodeManifest(sku, { ...opts, index: index ?? 0 });
  try {
    return await core.createNode({ body: node });
  } catch (err) {
    if (isConflict(err)) return core.readNode({ name: node.metadata?.name ?? '' });
    throw err;
  }
}

export function isNodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Waits until kwok has marked the node Ready. */
export async function waitForNodeReady(core: CoreV1Api, name: string, timeoutMs = 30_000): Promise<V1Node> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const node = await core.readNode({ name });
    if (isNodeReady(node)) return node;
    if (Date.now() > deadline) {
      throw new Error(`node ${name} not Ready after ${timeoutMs} ms; is kwok-controller running? (npm run cluster -- status)`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes fake GPU nodes: the named ones, or all of them. Returns the names deleted. */
export async function deleteGpuNodes(core: CoreV1Api, names?: readonly string[]): Promise<string[]> {
  const targets =
    names ??
    (await core.listNode({ labelSelector: `${FAKE_GPU_NODE_LABEL}=true` })).items.map((n) => n.metadata?.name ?? '');
  const deleted: string[] = [];
  for (const name of targets) {
    if (name === '') continue;
    try {
      await core.deleteNode({ name });
      deleted.push(name);
    } catch (err) {
      if (!(typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 404)) throw err;
    }
  }
  return deleted;
}
