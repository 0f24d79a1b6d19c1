/**
 * Names that tie an agent pool to its claim: the pool name rule, the ownership tags and label,
 * and the providerID ↔ pool mapping. Pure functions, no SDK.
 */
import { createHash } from 'node:crypto';
import { InvalidRequestError } from '@kaito-ts/karpenter';

/** AKS's rule for a Linux agent pool name. */
export const POOL_NAME_PATTERN = /^[a-z][a-z0-9]{0,11}$/;

/**
 * ARM tag names may not contain `/` (nor `<>%&\?`), so ownership tags use plain names. They are
 * what `list` attributes a pool by, and what GC reads to find pools without a claim.
 */
export const PoolTags = {
  /** `gpu-provisioner`: the pool was created by this provisioner (never touch a pool without it). */
  owner: 'kaito-ts-owner',
  /** The managed cluster the provisioner runs for; two provisioners on two clusters never share pools. */
  cluster: 'kaito-ts-cluster',
  requestName: 'kaito-ts-request-name',
  requestUID: 'kaito-ts-request-uid',
  /** RFC 3339: when the provisioner asked for the pool (the Instance's createdAt; GC's grace period). */
  createdAt: 'kaito-ts-created-at',
} as const;

export const OWNER = 'gpu-provisioner';

/** The node label every pool's Nodes carry, so its Nodes are ours at a glance (`kubectl get nodes -l`). */
export const OWNER_LABEL = 'kaito-ts.dev/provisioner';

/** No agent pool can be named after the claim: terminal (Launched=False, InvalidRequest). */
export class PoolNameError extends InvalidRequestError {}

/**
 * The pool for a claim: the claim's name when AKS accepts it as a pool name (Kaito's workspace
 * controller names claims `ws` + hex, which it does), else `kt` + the first 10 base-36 digits of
 * the name's SHA-256. Derived from the name alone so every process, before or after a restart,
 * computes the same pool; the request-UID tag tells two claims with the same name apart.
 */
export function poolNameFor(requestName: string): string {
  if (requestName === '') throw new PoolNameError('the claim has an empty name: no agent pool can be named after it');
  if (POOL_NAME_PATTERN.test(requestName)) return requestName;
  const digest = BigInt(`0x${createHash('sha256').update(requestName).digest('hex')}`).toString(36).padStart(10, '0');
  return `kt${digest.slice(0, 10)}`;
}

/** `azure:///subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachineScaleSets/aks-POOL-DIGITS-vmss/virtualMachines/N` */
const PROVIDER_PREFIX = 'azure:///';
const VMSS = /^aks-([a-z][a-z0-9]{0,11})-\d{1,12}-vmss$/;

export interface ParsedProviderID {
  readonly subscriptionId: string;
  readonly nodeResourceGroup: string;
  readonly pool: string;
  readonly instance: string;
}

/**
 * The pool a VMSS providerID belongs to, or undefined for anything else (a VM-based node, a
 * foreign cloud, a truncated string). Each segment is checked by position, never searched for:
 * a providerID of the wrong shape must not resolve to some other pool.
 */
export function parseProviderID(providerID: string): ParsedProviderID | undefined {
  if (!providerID.startsWith(PROVIDER_PREFIX) || providerID.length > 1024) return undefined;
  const s = providerID.slice(PROVIDER_PREFIX.length).split('/');
  if (s.length !== 10) return undefined;
  const [subs, subscriptionId, rgs, nodeResourceGroup, providers, compute, vmssKey, vmss, vmsKey, instance] = s;
  if (subs?.toLowerCase() !== 'subscriptions' || rgs?.toLowerCase() !== 'resourcegroups' || providers?.toLowerCase() !== 'providers') return undefined;
  if (compute?.toLowerCase() !== 'microsoft.compute' || vmssKey?.toLowerCase() !== 'virtualmachinescalesets' || vmsKey?.toLowerCase() !== 'virtualmachines') return undefined;
  if (subscriptionId === undefined || subscriptionId === '' || nodeResourceGroup === undefined || nodeResourceGroup === '') return undefined;
  if (instance === undefined || !/^\d{1,9}$/.test(instance)) return undefined;
  const m = VMSS.exec(vmss ?? '');
  const pool = m?.[1];
  if (pool === undefined) return undefined;
  return { subscriptionId, nodeResourceGroup, pool, instance };
}
