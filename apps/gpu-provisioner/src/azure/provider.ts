/**
 * The Azure CloudProvider: one claim ↔ one AKS agent pool (count 1), through
 * @azure/arm-containerservice. No call waits on a long-running operation: `create` sends the PUT
 * (the SDK poller's `submitted()`) and returns; the next reconcile re-reads the pool's
 * `provisioningState`. So a reconcile holds a worker for one ARM round trip, never for a VM boot,
 * and a restart loses nothing (the pool, its tags and its Node are the whole state).
 *
 * Crash safety (docs/provisioners.md): the pool name is a pure function of the claim name, so a
 * second `create` after a crash finds the pool the first one started instead of starting another;
 * the request-UID tag tells a recreated claim of the same name from its predecessor.
 */
import type { AgentPool, ContainerServiceClient } from '@azure/arm-containerservice';
import type { Logger } from '@kaito-ts/controller-runtime';
import { type CloudProvider, type Instance, type InstanceRef, type NodeRequest, NotFoundError, TransientError } from '@kaito-ts/karpenter';
import { classifyArmError, ThrottledError } from './errors.js';
import { agentPoolFor, instanceOf, InvalidClaimError, isOwnedPool, vmSizeFor } from './mapping.js';
import { parseProviderID, poolNameFor, PoolTags } from './naming.js';
import { poolClaimKey } from './node-lookup.js';

/** Where a pool's Node is: pool name → the Node's providerID. */
export interface PoolNodeLookup {
  providerIDs(signal?: AbortSignal): Promise<ReadonlyMap<string, string>>;
}

export interface AzureCloudOptions {
  readonly client: Pick<ContainerServiceClient, 'agentPools' | 'managedClusters'>;
  readonly resourceGroup: string;
  readonly clusterName: string;
  readonly location: string;
  readonly nodes: PoolNodeLookup;
  /** Deadline of each ARM call (one HTTP round trip; the SDK does not retry). */
  readonly operationTimeoutMs: number;
  readonly logger?: Logger;
  readonly now?: () => Date;
}

const PENDING_STATES = new Set(['Creating', 'Updating', 'Scaling', 'Upgrading', 'Starting']);

export class AzureCloudProvider implements CloudProvider {
  readonly name = 'azure';
  /** A joining Node wakes its claim by its agent-pool label (node-lookup.ts). */
  readonly nodeClaimKey = poolClaimKey;
  readonly #o: AzureCloudOptions;
  readonly #now: () => Date;
  /** No ARM call before this (ms since epoch): set by a 429's Retry-After, shared by every claim. */
  #notBefore = 0;

  constructor(options: AzureCloudOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** When ARM may be called again after throttling (0: now). */
  get throttledUntil(): number {
    return this.#notBefore;
  }

  async create(request: NodeRequest, signal?: AbortSignal): Promise<Instance> {
    const pool = poolNameFor(request.metadata.name);
    const vmSize = vmSizeFor(request);
    const existing = await this.#findPool(pool, 'create', signal, vmSize);
    if (existing === undefined) {
      const body = agentPoolFor(request, { clusterName: this.#o.clusterName, now: this.#now() });
      await this.#call('create', pool, signal, (abortSignal) => this.#o.client.agentPools.createOrUpdate(this.#o.resourceGroup, this.#o.clusterName, pool, body, { abortSignal }).submitted(), vmSize);
      this.#o.logger?.info('agent pool create accepted', { pool, vmSize, request: request.metadata.name });
      throw new TransientError(`agent pool ${pool} (${vmSize}) is being created in ${this.#o.location}; waiting for it to provision`);
    }
    if (!isOwnedPool(existing, this.#o.clusterName)) {
      // Terminal: the name is taken by a pool we must never touch; only another claim name helps.
      throw new InvalidClaimError(`agent pool ${pool} already exists in cluster ${this.#o.clusterName} and was not created by gpu-provisioner for it; rename the ${request.api}`);
    }
    const ownerUID = existing.tags?.[PoolTags.requestUID];
    if (ownerUID !== undefined && request.metadata.uid !== undefined && ownerUID !== request.metadata.uid) {
      // A claim of the same name, deleted and recreated: its pool goes first (termination or GC deletes it).
      throw new TransientError(`agent pool ${pool} still belongs to an earlier ${request.api} named ${request.metadata.name} (uid ${ownerUID}); waiting for it to be deleted`);
    }
    const state = existing.provisioningState ?? 'Unknown';
    if (state === 'Succeeded') {
      const providerID = (await this.#o.nodes.providerIDs(signal)).get(pool);
      if (providerID === undefined) throw new TransientError(`agent pool ${pool} is provisioned; waiting for its node to join the cluster`);
      return instanceOf(existing, this.#o.location, providerID);
    }
    if (state === 'Failed') {
      // ARM keeps a failed pool; the next create can only succeed once it is gone.
      await this.#deletePool(pool, signal);
      throw new TransientError(`agent pool ${pool} (${existing.vmSize ?? vmSize}) failed to provision; deleting it so the next attempt starts afresh`);
    }
    if (state === 'Deleting') throw new TransientError(`agent pool ${pool} is being deleted; waiting before creating it again`);
    if (!PENDING_STATES.has(state)) throw new TransientError(`agent pool ${pool} is in provisioning state ${state}; waiting`);
    throw new TransientError(`agent pool ${pool} (${existing.vmSize ?? vmSize}) is ${state} since ${existing.tags?.[PoolTags.createdAt] ?? 'an unknown time'}; waiting`);
  }

  async get(providerID: string, signal?: AbortSignal): Promise<Instance> {
    const parsed = parseProviderID(providerID);
    if (parsed === undefined) throw new NotFoundError(`providerID ${JSON.stringify(providerID)} is not an AKS scale-set node (azure:///subscriptions/…/virtualMachineScaleSets/aks-<pool>-<n>-vmss/virtualMachines/<i>)`);
    const pool = await this.#findPool(parsed.pool, 'get', signal);
    if (pool === undefined || !isOwnedPool(pool, this.#o.clusterName)) throw new NotFoundError(`agent pool ${parsed.pool} (from providerID ${providerID}) does not exist or is not gpu-provisioner's`);
    return instanceOf(pool, this.#o.location, providerID);
  }

  async list(signal?: AbortSignal): Promise<Instance[]> {
    const pools: AgentPool[] = [];
    await this.#call('list', undefined, signal, async (abortSignal) => {
      for await (const p of this.#o.client.agentPools.list(this.#o.resourceGroup, this.#o.clusterName, { abortSignal })) pools.push(p);
    });
    const owned = pools.filter((p) => isOwnedPool(p, this.#o.clusterName));
    if (owned.length === 0) return [];
    const nodes = await this.#o.nodes.providerIDs(signal);
    if (owned.some((p) => p.provisioningState === 'Succeeded' && !nodes.has(p.name ?? ''))) await this.#requireRunningCluster(signal);
    return owned.map((p) => instanceOf(p, this.#o.location, nodes.get(p.name ?? '')));
  }

  /**
   * A provisioned pool without a Node is normal for a moment (the node is joining) but also what
   * a stopped cluster looks like: every Node is gone while every pool remains. GC would then take
   * the claims' instances for vanished and delete them (the reference does, after `az aks stop`),
   * so while the cluster is not Running, `list` refuses and GC skips its pass.
   */
  async #requireRunningCluster(signal: AbortSignal | undefined): Promise<void> {
    const pause = await this.garbageCollectionPause(signal);
    if (pause !== undefined) throw new TransientError(`${pause}: its Nodes are gone while its agent pools remain, so pools are not listed (nothing is collected) until it runs again`);
  }

  /**
   * GC asks this before every pass: while the managed cluster is not Running (stopped, or starting
   * again with its Nodes not back yet), nothing it sees can tell a leaked pool from a live one, so
   * it deletes nothing, not even pools without a claim. One GET of the cluster per pass.
   */
  async garbageCollectionPause(signal?: AbortSignal): Promise<string | undefined> {
    const cluster = await this.#call('get cluster', undefined, signal, (abortSignal) => this.#o.client.managedClusters.get(this.#o.resourceGroup, this.#o.clusterName, { abortSignal }));
    const power = cluster.powerState?.code ?? 'Running';
    return power === 'Running' ? undefined : `managed cluster ${this.#o.clusterName} is ${power}`;
  }

  async delete(ref: InstanceRef, signal?: AbortSignal): Promise<void> {
    const name = ref.name ?? (ref.providerID !== undefined ? parseProviderID(ref.providerID)?.pool : undefined) ?? poolNameFor(ref.requestName);
    const pool = await this.#findPool(name, 'delete', signal);
    if (pool === undefined) throw new NotFoundError(`agent pool ${name} is gone`);
    const uid = pool.tags?.[PoolTags.requestUID];
    // Never delete a pool that is not ours, nor one launched for another claim of the same name.
    if (!isOwnedPool(pool, this.#o.clusterName) || (uid !== undefined && ref.requestUID !== undefined && uid !== ref.requestUID)) {
      throw new NotFoundError(`agent pool ${name} does not belong to ${ref.requestName}${ref.requestUID !== undefined ? ` (uid ${ref.requestUID})` : ''}`);
    }
    if (pool.provisioningState === 'Deleting') return;
    await this.#deletePool(name, signal);
  }

  /** Sends the DELETE and returns (202); a NotFoundError means it is gone already. */
  async #deletePool(pool: string, signal: AbortSignal | undefined): Promise<void> {
    await this.#call('delete', pool, signal, (abortSignal) => this.#o.client.agentPools.delete(this.#o.resourceGroup, this.#o.clusterName, pool, { abortSignal }).submitted());
    this.#o.logger?.info('agent pool delete accepted', { pool });
  }

  /** The pool, or undefined when ARM says it does not exist. */
  async #findPool(pool: string, operation: string, signal: AbortSignal | undefined, vmSize?: string): Promise<AgentPool | undefined> {
    try {
      return await this.#call(operation, pool, signal, (abortSignal) => this.#o.client.agentPools.get(this.#o.resourceGroup, this.#o.clusterName, pool, { abortSignal }), vmSize);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** One ARM call: the throttle gate, a deadline, and the failure classified. */
  async #call<T>(operation: string, pool: string | undefined, signal: AbortSignal | undefined, fn: (abortSignal: AbortSignal) => Promise<T>, vmSize?: string): Promise<T> {
    const now = this.#now();
    if (now.getTime() < this.#notBefore) {
      const waitMs = this.#notBefore - now.getTime();
      throw new ThrottledError(`ARM throttled this subscription; no ${operation} call for another ${Math.ceil(waitMs / 1000)} s (Retry-After)`, waitMs);
    }
    const deadline = AbortSignal.timeout(this.#o.operationTimeoutMs);
    const abortSignal = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
    // Raced as well as passed down: a pipeline step that ignores the signal must not hold the reconcile.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortSignal.reason instanceof Error ? abortSignal.reason : new Error(`${operation} deadline passed`));
      abortSignal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(abortSignal), aborted]);
    } catch (err) {
      if (signal?.aborted === true) throw err;
      const typed = classifyArmError(err, { operation, location: this.#o.location, now: this.#now(), ...(pool !== undefined ? { pool } : {}), ...(vmSize !== undefined ? { vmSize } : {}) });
      if (typed instanceof ThrottledError) this.#notBefore = Math.max(this.#notBefore, this.#now().getTime() + typed.retryAfterMs);
      if (!(typed instanceof NotFoundError)) this.#o.logger?.warn('ARM call failed', { operation, pool, error: typed.message, code: (typed as { code?: string }).code });
      throw typed;
    } finally {
      if (onAbort !== undefined) abortSignal.removeEventListener('abort', onAbort);
    }
  }
}
