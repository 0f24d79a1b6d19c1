/**
 * Where an agent pool's VM shows up: as a Node in a Kubernetes cluster (kwok fake GPU node), or
 * nowhere (unit tests record the calls instead). The simulator reports a pool Succeeded only after
 * `ensure` resolved, as AKS does once the node has joined.
 */
import type { CoreV1Api, V1Taint } from '@kubernetes/client-node';
import { defaultNodeName, FAKE_GPU_NODE_LABEL, gpuNodeManifest, parseTaint } from '@kaito-ts/cluster';
import type { GpuSku } from '@kaito-ts/presets';

export interface PoolNode {
  /** Node name, `aks-<pool>-<8 digits>-vmss000000`. */
  readonly name: string;
  readonly providerID: string;
  readonly pool: string;
  readonly sku: GpuSku;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly V1Taint[];
}

export interface NodeSink {
  /** Makes the node exist (idempotent). */
  ensure(node: PoolNode): Promise<void>;
  /** Makes the node gone (idempotent: a missing node is fine). */
  remove(name: string): Promise<void>;
}

export interface NodeIdentity {
  readonly subscriptionId: string;
  /** The cluster's node resource group (`MC_<rg>_<cluster>_<location>`), where AKS puts the VMSS. */
  readonly nodeResourceGroup: string;
}

/** The `index`th node AKS would register for a pool: AKS's name, VMSS providerID and labels. */
export function poolNode(
  id: NodeIdentity,
  pool: { name: string; sku: GpuSku; nodeLabels?: Readonly<Record<string, string>>; nodeTaints?: readonly string[]; osSKU?: string; location: string; mode?: string },
  index = 0,
): PoolNode {
  const name = defaultNodeName(pool.sku, pool.name, index);
  // The VMSS is the node name without its 6-digit instance suffix: aks-<pool>-<id>-vmss.
  const vmss = name.slice(0, -6);
  const providerID = `azure:///subscriptions/${id.subscriptionId}/resourceGroups/${id.nodeResourceGroup.toLowerCase()}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${index}`;
  const labels: Record<string, string> = {
    ...pool.nodeLabels,
    agentpool: pool.name,
    'kubernetes.azure.com/agentpool': pool.name,
    'kubernetes.azure.com/cluster': id.nodeResourceGroup,
    'kubernetes.azure.com/mode': (pool.mode ?? 'User').toLowerCase(),
    'kubernetes.azure.com/os-sku': pool.osSKU ?? 'Ubuntu',
    'kubernetes.azure.com/role': 'agent',
    'node.kubernetes.io/instance-type': pool.sku.name,
    'topology.kubernetes.io/region': pool.location,
    // A pool without availability zones is regional: AKS labels its nodes zone "0".
    'topology.kubernetes.io/zone': '0',
  };
  return { name, providerID, pool: pool.name, sku: pool.sku, labels, taints: (pool.nodeTaints ?? []).map(parseTaint) };
}

/** Nodes in a real cluster, built by tools/cluster's GPU node builder (kwok marks them Ready). */
export class KubeNodeSink implements NodeSink {
  readonly #core: CoreV1Api;
  constructor(core: CoreV1Api) {
    this.#core = core;
  }

  async ensure(node: PoolNode): Promise<void> {
    const manifest = gpuNodeManifest(node.sku, {
      name: node.name,
      pool: node.pool,
      providerID: node.providerID,
      // Not `true`: `npm run cluster -- delete-nodes` removes hand-made fake nodes, not the simulator's.
      labels: { ...node.labels, [FAKE_GPU_NODE_LABEL]: 'arm-simulator' },
      taints: node.taints,
    });
    try {
      await this.#core.createNode({ body: manifest });
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.#core.deleteNode({ name });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
}

function statusOf(err: unknown): number | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** No cluster: remembers which nodes exist, so tests can assert on them. */
export class MemoryNodeSink implements NodeSink {
  readonly nodes = new Map<string, PoolNode>();
  /** Set to make the next calls fail, as an unreachable API server would. */
  failWith: Error | undefined;

  async ensure(node: PoolNode): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.nodes.set(node.name, node);
  }

  async remove(name: string): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.nodes.delete(name);
  }
}
