/**
 * Pool → providerID from the cluster's Nodes: AKS labels each Node with its pool
 * (`kubernetes.azure.com/agentpool`) and gpu-provisioner's pools carry the ownership label, so one
 * labelled list answers for every pool.
 */
import { type KubeClient, Resources } from '@kaito-ts/controller-runtime';
import { OWNER, OWNER_LABEL, parseProviderID } from './naming.js';
import type { PoolNodeLookup } from './provider.js';

export const AKS_POOL_LABEL = 'kubernetes.azure.com/agentpool';

interface NodeLike {
  metadata?: { labels?: Record<string, string> };
  spec?: { providerID?: string };
}

/** Pool → providerID from Nodes; a Node whose providerID names another pool than its label is skipped. */
export function providerIDsByPool(nodes: readonly NodeLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    const pool = n.metadata?.labels?.[AKS_POOL_LABEL] ?? n.metadata?.labels?.['agentpool'];
    const providerID = n.spec?.providerID;
    if (pool === undefined || providerID === undefined || parseProviderID(providerID)?.pool !== pool) continue;
    out.set(pool, providerID);
  }
  return out;
}

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
