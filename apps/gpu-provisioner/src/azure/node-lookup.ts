/**
 * Pool → providerID from the cluster's Nodes: AKS labels each Node with its pool
 * (`kubernetes.azure.com/agentpool`) and gpu-provisioner's pools carry the ownership label, so one
 * labelled list answers for every pool.
 */
import { type KubeClient, Resources } from '@kaito-ts/controller-runtime';
import type { NodeClaimKey } from '@kaito-ts/karpenter';
import { OWNER, OWNER_LABEL, parseProviderID, PoolNameError, poolNameFor } from './naming.js';
import type { PoolNodeLookup } from './provider.js';

export const AKS_POOL_LABEL = 'kubernetes.azure.com/agentpool';

interface NodeLike {
  metadata?: { labels?: Record<string, string> };
  spec?: { providerID?: string };
}

/** The agent pool AKS labelled the Node with, if any. */
export function poolOfNode(node: NodeLike): string | undefined {
  return node.metadata?.labels?.[AKS_POOL_LABEL] ?? node.metadata?.labels?.['agentpool'];
}

/** Pool → providerID from Nodes; a Node whose providerID names another pool than its label is skipped. */
export function providerIDsByPool(nodes: readonly NodeLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    const pool = poolOfNode(n);
    const providerID = n.spec?.providerID;
    if (pool === undefined || providerID === undefined || parseProviderID(providerID)?.pool !== pool) continue;
    out.set(pool, providerID);
  }
  return out;
}

/**
 * The lifecycle's Node ↔ claim key: the agent pool. A Node of one of our pools names it in its
 * label, and a claim's pool is `poolNameFor` its name, so the Node wakes its claim as it joins,
 * before the claim has learnt the Node's providerID. Nodes without our ownership label have none.
 */
export const poolClaimKey: NodeClaimKey = {
  ofNode: (node) => (node.metadata.labels?.[OWNER_LABEL] === OWNER ? poolOfNode(node) : undefined),
  ofRequest: (request) => {
    try {
      return poolNameFor(request.metadata.name);
    } catch (err) {
      // No pool can be named after it (launch says so on the claim): no Node can be its.
      if (err instanceof PoolNameError) return undefined;
      throw err;
    }
  },
};

export class KubeNodeLookup implements PoolNodeLookup {
  readonly #kube: Pick<KubeClient, 'list'>;
  constructor(kube: Pick<KubeClient, 'list'>) {
    this.#kube = kube;
  }
  async providerIDs(): Promise<ReadonlyMap<string, string>> {
    const nodes = (await this.#kube.list(Resources.Node, { labelSelector: `${OWNER_LABEL}=${OWNER}` })) as NodeLike[];
    return providerIDsByPool(nodes);
  }
}
