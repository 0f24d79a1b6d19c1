/**
 * Claim → agent pool parameters, and agent pool → Instance. Pure: the provider calls these and
 * the SDK; the tests table-drive them.
 */
import type { AgentPool } from '@azure/arm-containerservice';
import { parseQuantity } from '@kaito-ts/controller-runtime';
import {
  type Instance,
  type InstanceState,
  InvalidRequestError,
  KarpenterAnnotations,
  KarpenterLabels,
  type NodeRequest,
  requirementLabels,
  SkuUnavailableError,
  WellKnownLabels,
} from '@kaito-ts/karpenter';
import { findSku } from '@kaito-ts/presets';
import { OWNER, OWNER_LABEL, PoolTags } from './naming.js';

/** A claim the provider cannot turn into a valid pool: terminal, not retried until the claim changes. */
export class InvalidClaimError extends InvalidRequestError {}

/** AKS's OS disk bounds (GiB). */
export const OS_DISK_MIN_GB = 30;
export const OS_DISK_MAX_GB = 2048;

/** `kaito.sh/node-image-family` → AKS osSKU. */
const OS_SKUS: Readonly<Record<string, string>> = { ubuntu: 'Ubuntu', azurelinux: 'AzureLinux', mariner: 'AzureLinux' };

/** Label domains AKS refuses in `nodeLabels` (it sets them itself, or the kubelet owns them). */
const RESERVED_LABEL = /^([^/]*\.)?(kubernetes\.io|k8s\.io|kubernetes\.azure\.com)\//;

export interface PoolContext {
  readonly clusterName: string;
  readonly now: Date;
}

/** The VM sizes a claim allows, in the order `vmSizeFor` prefers them. */
export function allowedVmSizes(r: Pick<NodeRequest, 'spec'>): string[] {
  const values = new Set<string>();
  for (const req of r.spec.requirements) {
    if ((req.key === WellKnownLabels.instanceType || req.key === WellKnownLabels.instanceTypeBeta) && req.operator === 'In') for (const v of req.values ?? []) values.add(v);
  }
  const rank = (v: string): [number, number, string] => {
    const sku = findSku(v);
    // Known Azure sizes first, cheapest first; then unknown names (ARM decides), by name.
    if (sku === undefined || sku.cloud !== 'azure') return [1, Number.POSITIVE_INFINITY, v];
    return [0, sku.pricePerHourUsd ?? Number.POSITIVE_INFINITY, v];
  };
  return [...values].sort((a, b) => {
    const [ka, pa, na] = rank(a);
    const [kb, pb, nb] = rank(b);
    return ka - kb || pa - pb || (na < nb ? -1 : na > nb ? 1 : 0);
  });
}

/** The VM size for a claim: the cheapest known Azure size it allows (deterministic for a given claim). */
export function vmSizeFor(r: Pick<NodeRequest, 'spec' | 'metadata'>): string {
  const first = allowedVmSizes(r)[0];
  if (first === undefined) {
    throw new SkuUnavailableError(
      `${r.metadata.name} allows no VM size: add a requirement ${WellKnownLabels.instanceType} In [<size>] (for example Standard_NC24ads_A100_v4)`,
    );
  }
  return findSku(first)?.name ?? first;
}

export function osSkuFor(r: Pick<NodeRequest, 'metadata'>): string | undefined {
  const family = r.metadata.annotations?.[KarpenterAnnotations.nodeImageFamily] ?? r.metadata.labels?.[KarpenterAnnotations.nodeImageFamily];
  if (family === undefined || family === '') return undefined;
  const sku = OS_SKUS[family.toLowerCase()];
  if (sku === undefined) {
    throw new InvalidClaimError(`${KarpenterAnnotations.nodeImageFamily}: expected one of ${Object.keys(OS_SKUS).join(', ')}, got ${JSON.stringify(family)}`);
  }
  return sku;
}

/** The OS disk size (GiB, rounded up) from the claim's `storage` (Kaito) or `ephemeral-storage` request. */
export function osDiskSizeGBFor(r: Pick<NodeRequest, 'spec'>): number | undefined {
  const requests = r.spec.resources.requests;
  const [name, raw] = requests['storage'] !== undefined ? ['storage', requests['storage']] : ['ephemeral-storage', requests['ephemeral-storage']];
  if (raw === undefined) return undefined;
  let bytes: number;
  try {
    bytes = parseQuantity(raw);
  } catch (err) {
    throw new InvalidClaimError(`spec.resources.requests.${name}: expected a quantity like 120Gi, got ${JSON.stringify(raw)}`, { cause: err });
  }
  const gib = Math.ceil(bytes / 2 ** 30);
  if (gib < OS_DISK_MIN_GB || gib > OS_DISK_MAX_GB) {
    throw new InvalidClaimError(`spec.resources.requests.${name}: AKS OS disks are ${OS_DISK_MIN_GB}-${OS_DISK_MAX_GB} GiB, got ${JSON.stringify(raw)} (${gib} GiB)`);
  }
  return gib;
}

/** `key=value:Effect`, the form `nodeTaints` takes. */
export function taintString(t: { key: string; value?: string; effect: string }): string {
  return `${t.key}${t.value !== undefined && t.value !== '' ? `=${t.value}` : ''}:${t.effect}`;
}

/** The labels the pool's Nodes get: the claim's own and its single-value requirements, less AKS-reserved domains, plus ownership. */
export function nodeLabelsFor(r: Pick<NodeRequest, 'spec' | 'metadata'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...requirementLabels(r.spec.requirements), ...r.metadata.labels })) if (!RESERVED_LABEL.test(k)) out[k] = v;
  out[OWNER_LABEL] = OWNER;
  return out;
}

/** The AgentPool body for a claim: one node, never autoscaled. */
export function agentPoolFor(r: NodeRequest, ctx: PoolContext): AgentPool {
  const osSKU = osSkuFor(r);
  const osDiskSizeGB = osDiskSizeGBFor(r);
  const taints = [...r.spec.taints, ...r.spec.startupTaints].map(taintString);
  return {
    count: 1,
    vmSize: vmSizeFor(r),
    mode: 'User',
    osType: 'Linux',
    enableAutoScaling: false,
    ...(osSKU !== undefined ? { osSKU } : {}),
    ...(osDiskSizeGB !== undefined ? { osDiskSizeGB } : {}),
    nodeLabels: nodeLabelsFor(r),
    ...(taints.length > 0 ? { nodeTaints: taints } : {}),
    tags: {
      [PoolTags.owner]: OWNER,
      [PoolTags.cluster]: ctx.clusterName,
      [PoolTags.requestName]: r.metadata.name,
      ...(r.metadata.uid !== undefined ? { [PoolTags.requestUID]: r.metadata.uid } : {}),
      [PoolTags.createdAt]: ctx.now.toISOString(),
    },
  };
}

/** Whether this provisioner (for this cluster) created the pool. */
export function isOwnedPool(pool: Pick<AgentPool, 'tags'>, clusterName: string): boolean {
  return pool.tags?.[PoolTags.owner] === OWNER && pool.tags[PoolTags.cluster] === clusterName && (pool.tags[PoolTags.requestName] ?? '') !== '';
}

export function instanceStateOf(provisioningState: string | undefined): InstanceState {
  switch (provisioningState) {
    case 'Succeeded':
      return 'Running';
    case 'Deleting':
      return 'Deleting';
    // Creating, Updating, Scaling, Upgrading, Failed (the provider deletes a failed pool and retries).
    default:
      return 'Creating';
  }
}

/** The Node resources a pool's VM size offers (from the SKU catalog; empty for an unknown size). */
export function capacityFor(vmSize: string, osDiskSizeGB: number | undefined): Record<string, string> {
  const sku = findSku(vmSize);
  if (sku === undefined) return {};
  return {
    cpu: String(sku.vcpu),
    memory: `${sku.memoryGiB}Gi`,
    'nvidia.com/gpu': String(sku.gpuCount),
    pods: '110',
    'ephemeral-storage': `${osDiskSizeGB ?? sku.nvmeGiB ?? 128}Gi`,
  };
}

/** An owned pool as an Instance; `providerID` from its joined Node, when there is one. */
export function instanceOf(pool: AgentPool, location: string, providerID: string | undefined): Instance {
  const tags = pool.tags ?? {};
  const vmSize = pool.vmSize ?? '';
  const capacity = capacityFor(vmSize, pool.osDiskSizeGB);
  const uid = tags[PoolTags.requestUID];
  return {
    name: pool.name ?? '',
    ...(providerID !== undefined ? { providerID } : {}),
    requestName: tags[PoolTags.requestName] ?? '',
    ...(uid !== undefined && uid !== '' ? { requestUID: uid } : {}),
    instanceType: vmSize,
    state: instanceStateOf(pool.provisioningState),
    labels: {
      [WellKnownLabels.instanceType]: vmSize,
      [WellKnownLabels.region]: location,
      [KarpenterLabels.capacityType]: pool.scaleSetPriority === 'Spot' ? 'spot' : 'on-demand',
    },
    capacity,
    allocatable: capacity,
    ...(pool.nodeImageVersion !== undefined ? { imageID: pool.nodeImageVersion } : {}),
    createdAt: tags[PoolTags.createdAt] ?? new Date(0).toISOString(),
  };
}
