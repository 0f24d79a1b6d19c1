/**
 * The Azure Resource Manager side: ManagedClusters GET and AgentPools PUT/GET/LIST/DELETE, the
 * async-operation endpoints, and time-driven provisioning. No HTTP here: `handle` takes a parsed
 * request and returns an `ArmResponse`, so the state machine is tested without sockets.
 *
 *   PUT pool ─▶ 201 Creating + Azure-AsyncOperation + Location
 *            └▶ (createDelayMs) nodes.ensure ─▶ Succeeded; operation Succeeded
 *   DELETE   ─▶ 202 Deleting + Azure-AsyncOperation + Location
 *            └▶ (deleteDelayMs; never for a stuck delete) nodes.remove ─▶ gone (GET: 404 NotFound)
 *
 * Every request and the ticker run through one lock, so transitions never interleave.
 */
import { randomUUID } from 'node:crypto';
import { decode, formatIssue } from '@kaito-ts/core';
import type { Logger } from '@kaito-ts/logging';
import { findSku as catalogFindSku, type GpuSku } from '@kaito-ts/presets';
import { AgentPoolBody, type OperationRecord, POOL_NAME, type PoolRecord } from './agent-pool.js';
import { armError, type ArmResponse } from './arm-error.js';
import { allocationFailed, ANY_REQUEST_FAULTS, CREATE_FAULTS, type FaultBook, faultResponse } from './faults.js';
import { type NodeSink, poolNode } from './node-sink.js';

export interface ClusterConfig {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  /** Default `MC_<resourceGroup>_<name>_<location>`, as AKS names it. */
  readonly nodeResourceGroup?: string;
  readonly kubernetesVersion?: string;
}

export type PowerState = 'Running' | 'Stopped';

/** The api-versions served; the first is @azure/arm-containerservice 25.3.0's. */
export const API_VERSIONS = ['2026-04-01', '2025-10-01', '2024-01-01'] as const;

export interface ArmOptions {
  readonly cluster: ClusterConfig;
  readonly createDelayMs: number;
  readonly deleteDelayMs: number;
  /** LIST page size; `nextLink` pages the rest. */
  readonly pageSize: number;
  /** Sent as Retry-After on 201/202 and in-progress polls; undefined: no header (the client's own interval). */
  readonly pollRetryAfterSeconds?: number;
  readonly nodes: NodeSink;
  readonly faults: FaultBook;
  /** `https://127.0.0.1:<port>`, for the URLs in headers and nextLink. */
  readonly baseUrl: () => string;
  readonly now?: () => number;
  readonly logger?: Logger;
  readonly findSku?: (name: string) => GpuSku | undefined;
  readonly apiVersions?: readonly string[];
}

export interface ArmStateSnapshot {
  readonly powerState: PowerState;
  readonly pools: readonly PoolRecord[];
  readonly operations: readonly OperationRecord[];
}

export interface ArmRequest {
  readonly method: string;
  /** Path without the query string, URL-decoded per segment by the caller. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

const PROVIDER = 'Microsoft.ContainerService';
const CLUSTER_PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)(?:\/agentPools(?:\/([^/]+))?)?\/?$/i;
const OPERATION_PATH = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.ContainerService\/locations\/([^/]+)\/(operations|operationresults)\/([^/]+)\/?$/i;

/** Operations kept after they finish, for late polls. */
const MAX_FINISHED_OPERATIONS = 1000;

export class ArmState {
  readonly #o: ArmOptions;
  readonly #now: () => number;
  readonly #findSku: (name: string) => GpuSku | undefined;
  readonly #pools = new Map<string, PoolRecord>();
  readonly #operations = new Map<string, OperationRecord>();
  #powerState: PowerState = 'Running';
  /** Pools whose last transition attempt failed: logged once per failure streak, not every tick. */
  readonly #failing = new Set<string>();
  #lock: Promise<unknown> = Promise.resolve();

  constructor(options: ArmOptions, restored?: ArmStateSnapshot) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#findSku = options.findSku ?? ((name) => (catalogFindSku(name)?.cloud === 'azure' ? catalogFindSku(name) : undefined));
    if (restored !== undefined) {
      this.#powerState = restored.powerState;
      for (const p of restored.pools) this.#pools.set(p.name, { ...p, nodes: [...p.nodes] });
      for (const op of restored.operations) this.#operations.set(op.id, { ...op });
    }
  }

  get nodeResourceGroup(): string {
    const c = this.#o.cluster;
    return c.nodeResourceGroup ?? `MC_${c.resourceGroup}_${c.name}_${c.location}`;
  }

  get powerState(): PowerState {
    return this.#powerState;
  }

  setPowerState(state: PowerState): Promise<void> {
    return this.#locked(async () => {
      this.#powerState = state;
      this.#changed();
    });
  }

  snapshot(): ArmStateSnapshot {
    return { powerState: this.#powerState, pools: [...this.#pools.values()].map((p) => ({ ...p, nodes: [...p.nodes] })), operations: [...this.#operations.values()].map((o) => ({ ...o })) };
  }

  /** Finishes creates and deletes that are due (the ticker calls this; so does every request). */
  advance(): Promise<void> {
    return this.#locked(() => this.#advance());
  }

  handle(req: ArmRequest): Promise<ArmResponse> {
    return this.#locked(async () => {
      await this.#advance();
      return this.#route(req);
    });
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /** Hook for every state change: a log line at debug, so a run can be replayed from the log. */
  #changed(): void {
    this.#o.logger?.debug('arm state changed', { pools: [...this.#pools.values()].map((p) => `${p.name}:${p.state}`) });
  }

  async #advance(): Promise<void> {
    const now = this.#now();
    for (const pool of [...this.#pools.values()]) {
      try {
        if (pool.state === 'Creating' && pool.readyAt !== undefined && pool.readyAt <= now) await this.#finishCreate(pool);
        else if (pool.state === 'Deleting' && typeof pool.goneAt === 'number' && pool.goneAt <= now) await this.#finishDelete(pool);
        this.#failing.delete(pool.name);
      } catch (err) {
        // The node side failed (API server down?): stay in progress and try again next tick.
        if (!this.#failing.has(pool.name)) this.#o.logger?.warn('agent pool transition failed; retrying every tick', { pool: pool.name, state: pool.state, error: (err as Error).message });
        this.#failing.add(pool.name);
      }
    }
  }

  async #finishCreate(pool: PoolRecord): Promise<void> {
    const op = this.#operations.get(pool.operationId);
    if (pool.failure !== undefined) {
      pool.state = 'Failed';
      delete pool.readyAt;
      if (op !== undefined) Object.assign(op, { status: 'Failed', endTime: new Date(this.#now()).toISOString(), error: pool.failure });
      this.#o.logger?.info('agent pool failed', { pool: pool.name, code: pool.failure.code });
      this.#changed();
      return;
    }
    const sku = this.#findSku(pool.properties.vmSize);
    if (sku !== undefined) {
      for (let i = 0; i < pool.properties.count; i++) {
        const node = poolNode({ subscriptionId: this.#o.cluster.subscriptionId, nodeResourceGroup: this.nodeResourceGroup }, this.#nodeSpec(pool, sku), i);
        await this.#o.nodes.ensure(node);
        if (!pool.nodes.includes(node.name)) pool.nodes.push(node.name);
      }
    }
    pool.state = 'Succeeded';
    delete pool.readyAt;
    if (op !== undefined) Object.assign(op, { status: 'Succeeded', endTime: new Date(this.#now()).toISOString() });
    this.#o.logger?.info('agent pool succeeded', { pool: pool.name, vmSize: pool.properties.vmSize, nodes: pool.nodes });
    this.#changed();
  }

  #nodeSpec(pool: PoolRecord, sku: GpuSku): Parameters<typeof poolNode>[1] {
    const p = pool.properties;
    return {
      name: pool.name,
      sku,
      location: this.#o.cluster.location,
      ...(p['nodeLabels'] !== undefined ? { nodeLabels: p['nodeLabels'] as Record<string, string> } : {}),
      ...(p['nodeTaints'] !== undefined ? { nodeTaints: p['nodeTaints'] as string[] } : {}),
      ...(typeof p['osSKU'] === 'string' ? { osSKU: p['osSKU'] } : {}),
      ...(typeof p['mode'] === 'string' ? { mode: p['mode'] } : {}),
    };
  }

  async #finishDelete(pool: PoolRecord): Promise<void> {
    for (const name of [...pool.nodes]) {
      await this.#o.nodes.remove(name);
      pool.nodes = pool.nodes.filter((n) => n !== name);
    }
    this.#pools.delete(pool.name);
    const op = this.#operations.get(pool.operationId);
    if (op !== undefined) Object.assign(op, { status: 'Succeeded', endTime: new Date(this.#now()).toISOString() });
    this.#o.logger?.info('agent pool deleted', { pool: pool.name });
    this.#pruneOperations();
    this.#changed();
  }

  #pruneOperations(): void {
    const finished = [...this.#operations.values()].filter((o) => o.status !== 'InProgress');
    for (const op of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_OPERATIONS))) this.#operations.delete(op.id);
  }

  // ---- routing ---------------------------------------------------------------------------

  #route(req: ArmRequest): ArmResponse {
    const apiVersion = req.query.get('api-version');
    const versions = this.#o.apiVersions ?? API_VERSIONS;
    if (apiVersion === null) {
      return armError(400, { code: 'MissingApiVersionParameter', message: `The api-version query parameter (?api-version=) is required for all requests. Supported: ${versions.join(', ')}.` });
    }
    if (!versions.includes(apiVersion)) {
      return armError(400, {
        code: 'InvalidApiVersionParameter',
        message: `The api-version '${apiVersion}' is invalid. The supported versions are '${versions.join(',')}'.`,
      });
    }
    const op = OPERATION_PATH.exec(req.path);
    if (op !== null) return this.#operation(req, op[1] ?? '', (op[3] ?? '').toLowerCase() === 'operationresults', op[4] ?? '');
    const m = CLUSTER_PATH.exec(req.path);
    if (m === null) return armError(404, { code: 'InvalidResourceType', message: `The resource type could not be found for path '${req.path}' (the simulator serves managedClusters and agentPools only).` });
    const [, sub = '', rg = '', cluster = '', pool] = m;
    const notFound = this.#checkCluster(sub, rg, cluster);
    if (notFound !== undefined) return notFound;
    const isPools = /\/agentPools(\/[^/]+)?\/?$/i.test(req.path);
    if (!isPools) return req.method === 'GET' ? this.#faulted({ method: 'GET' }) ?? this.#managedCluster() : methodNotAllowed(req.method);
    if (pool === undefined) return req.method === 'GET' ? this.#faulted({ method: 'GET' }) ?? this.#list(req.query) : methodNotAllowed(req.method);
    const name = decodeURIComponent(pool);
    switch (req.method) {
      case 'PUT':
        return this.#put(name, req.body);
      case 'GET':
        return this.#faulted({ method: 'GET', pool: name }) ?? this.#get(name);
      case 'DELETE':
        return this.#delete(name);
      default:
        return methodNotAllowed(req.method);
    }
  }

  #checkCluster(sub: string, rg: string, cluster: string): ArmResponse | undefined {
    const c = this.#o.cluster;
    if (sub.toLowerCase() !== c.subscriptionId.toLowerCase()) {
      return armError(404, { code: 'SubscriptionNotFound', message: `The subscription '${sub}' could not be found.` });
    }
    if (rg.toLowerCase() !== c.resourceGroup.toLowerCase()) {
      return armError(404, { code: 'ResourceGroupNotFound', message: `Resource group '${rg}' could not be found.` });
    }
    if (cluster.toLowerCase() !== c.name.toLowerCase()) {
      return armError(404, { code: 'ResourceNotFound', message: `The Resource '${PROVIDER}/managedClusters/${cluster}' under resource group '${rg}' was not found.` });
    }
    return undefined;
  }

  /** A 429/500 rule hitting a read. */
  #faulted(facts: { method: 'GET'; pool?: string }): ArmResponse | undefined {
    const fault = this.#o.faults.take(facts, ANY_REQUEST_FAULTS);
    return fault === undefined ? undefined : faultResponse(fault, { location: this.#o.cluster.location, vmSize: '' });
  }

  #put(name: string, body: unknown): ArmResponse {
    if (!POOL_NAME.test(name)) {
      return armError(400, {
        code: 'InvalidParameter',
        message: `The value of parameter agentPoolProfile.name is invalid: "${name}". Agent pool names must be 1-12 characters, start with a lowercase letter and contain only lowercase letters and digits, e.g. "gpu1".`,
        target: 'agentPoolProfile.name',
      });
    }
    const decoded = decode(AgentPoolBody, body);
    if (!decoded.ok) {
      return armError(400, { code: 'InvalidRequestContent', message: `The request content was invalid: ${decoded.issues.map(formatIssue).join('; ')}.` });
    }
    const props = decoded.value.properties;
    const existing = this.#pools.get(name);
    const vmSize = props.vmSize ?? (existing?.properties.vmSize as string | undefined);
    if (vmSize === undefined || vmSize === '') {
      return armError(400, { code: 'InvalidParameter', message: 'The value of parameter agentPoolProfile.vmSize is required, e.g. "Standard_NC24ads_A100_v4".', target: 'agentPoolProfile.vmSize' });
    }
    const creating = existing === undefined;
    const facts = { method: 'PUT' as const, pool: name, vmSize, creating };
    const throttle = this.#o.faults.take(facts, ANY_REQUEST_FAULTS);
    const sku = this.#findSku(vmSize);
    const ctx = { location: this.#o.cluster.location, vmSize, ...(sku !== undefined ? { sku } : {}) };
    if (throttle !== undefined) return faultResponse(throttle, ctx) ?? armError(500, { code: 'InternalServerError', message: 'fault' });
    if (this.#powerState === 'Stopped') {
      return armError(409, {
        code: 'OperationNotAllowed',
        message: `Operation is not allowed because the managed cluster '${this.#o.cluster.name}' is stopped. Start it with 'az aks start' and retry.`,
      });
    }
    if (existing !== undefined && existing.state === 'Creating') {
      return armError(409, { code: 'OperationNotAllowed', message: `Operation is not allowed because there's an in progress create node pool operation on agent pool '${name}'. Please wait for it to finish.` });
    }
    if (existing !== undefined && existing.state === 'Deleting') {
      return armError(409, { code: 'OperationNotAllowed', message: `Operation is not allowed because there's an in progress delete node pool operation on agent pool '${name}'. Please wait for it to finish.` });
    }
    if (existing !== undefined && props.vmSize !== undefined && props.vmSize !== existing.properties.vmSize) {
      return armError(400, { code: 'InvalidParameter', message: `Changing property 'vmSize' is not allowed: agent pool '${name}' has ${existing.properties.vmSize}.`, target: 'vmSize' });
    }
    if (creating) {
      if (sku === undefined) {
        return armError(400, {
          code: 'SkuNotAvailable',
          message: `The requested VM size ${vmSize} is not offered in location '${this.#o.cluster.location}' (the simulator offers the Azure SKUs of the GPU catalog). See https://aka.ms/azureskunotavailable for details.`,
        });
      }
      const fault = this.#o.faults.take(facts, CREATE_FAULTS);
      const failNow = fault !== undefined && !(fault.kind === 'AllocationFailed' && fault.phase === 'operation') && fault.kind !== 'SlowCreate';
      if (failNow) return faultResponse(fault, ctx) ?? armError(500, { code: 'InternalServerError', message: 'fault' });
      const opId = randomUUID();
      const delay = fault?.kind === 'SlowCreate' ? (fault.delayMs ?? 60_000) : this.#o.createDelayMs;
      const pool: PoolRecord = {
        name,
        properties: { ...props, vmSize: sku.name, count: props.count ?? 1 },
        state: 'Creating',
        readyAt: this.#now() + delay,
        operationId: opId,
        nodes: [],
        ...(fault?.kind === 'AllocationFailed' ? { failure: allocationFailed(ctx) } : {}),
      };
      this.#pools.set(name, pool);
      this.#startOperation(opId, name, 'create');
      this.#o.logger?.info('agent pool creating', { pool: name, vmSize: sku.name, readyInMs: delay });
      this.#changed();
      return { status: 201, headers: this.#asyncHeaders(opId), body: this.#poolJson(pool) };
    }
    // An update of a finished pool: ARM applies it and answers 200 with the pool.
    existing.properties = { ...existing.properties, ...props, vmSize: existing.properties.vmSize, count: props.count ?? existing.properties.count };
    if (existing.state === 'Failed') {
      // Re-PUT of a failed pool retries the create.
      delete existing.failure;
      existing.state = 'Creating';
      existing.readyAt = this.#now() + this.#o.createDelayMs;
      existing.operationId = randomUUID();
      this.#startOperation(existing.operationId, name, 'create');
      this.#changed();
      return { status: 200, headers: this.#asyncHeaders(existing.operationId), body: this.#poolJson(existing) };
    }
    this.#changed();
    return { status: 200, body: this.#poolJson(existing) };
  }

  #get(name: string): ArmResponse {
    const pool = this.#pools.get(name);
    if (pool === undefined) return this.#poolNotFound(name);
    return { status: 200, body: this.#poolJson(pool) };
  }

  #poolNotFound(name: string): ArmResponse {
    return armError(404, { code: 'NotFound', message: `Agent Pool not found: agent pool '${name}' in managed cluster '${this.#o.cluster.name}' does not exist.` });
  }

  #list(query: URLSearchParams): ArmResponse {
    const all = [...this.#pools.values()].sort((a, b) => a.name.localeCompare(b.name));
    const token = query.get('$skipToken');
    const start = token === null ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0) {
      return armError(400, { code: 'InvalidParameter', message: `The $skipToken '${token ?? ''}' is invalid; use the nextLink of the previous page.`, target: '$skipToken' });
    }
    const page = all.slice(start, start + this.#o.pageSize);
    const next = start + this.#o.pageSize;
    const body: Record<string, unknown> = { value: page.map((p) => this.#poolJson(p)) };
    if (next < all.length) {
      const q = new URLSearchParams({ 'api-version': query.get('api-version') ?? API_VERSIONS[0], $skipToken: String(next) });
      body['nextLink'] = `${this.#o.baseUrl()}${this.#clusterId()}/agentPools?${q.toString()}`;
    }
    return { status: 200, body };
  }

  #delete(name: string): ArmResponse {
    const pool = this.#pools.get(name);
    const fault = this.#o.faults.take({ method: 'DELETE', pool: name, ...(pool !== undefined ? { vmSize: pool.properties.vmSize } : {}) }, [...ANY_REQUEST_FAULTS, 'StuckDelete']);
    if (fault !== undefined && fault.kind !== 'StuckDelete') return faultResponse(fault, { location: this.#o.cluster.location, vmSize: pool?.properties.vmSize ?? '' }) ?? armError(500, { code: 'InternalServerError', message: 'fault' });
    // ARM answers a DELETE of something absent with 204 No Content.
    if (pool === undefined) return { status: 204 };
    if (this.#powerState === 'Stopped') {
      return armError(409, { code: 'OperationNotAllowed', message: `Operation is not allowed because the managed cluster '${this.#o.cluster.name}' is stopped. Start it with 'az aks start' and retry.` });
    }
    if (pool.state === 'Deleting') {
      if (fault?.kind === 'StuckDelete') pool.goneAt = null;
      this.#changed();
      return { status: 202, headers: this.#asyncHeaders(pool.operationId) };
    }
    // Deleting a pool that is still creating cancels the create (its operation ends Canceled in ARM; Failed here keeps the poller's contract).
    const previous = this.#operations.get(pool.operationId);
    if (previous !== undefined && previous.status === 'InProgress') Object.assign(previous, { status: 'Failed', endTime: new Date(this.#now()).toISOString(), error: { code: 'OperationPreempted', message: 'The create was preempted by a delete of the agent pool.' } });
    const opId = randomUUID();
    pool.state = 'Deleting';
    delete pool.readyAt;
    pool.goneAt = fault?.kind === 'StuckDelete' ? null : this.#now() + this.#o.deleteDelayMs;
    pool.operationId = opId;
    this.#startOperation(opId, name, 'delete');
    this.#o.logger?.info('agent pool deleting', { pool: name, stuck: pool.goneAt === null });
    this.#changed();
    return { status: 202, headers: this.#asyncHeaders(opId) };
  }

  #operation(req: ArmRequest, sub: string, isResult: boolean, id: string): ArmResponse {
    if (req.method !== 'GET') return methodNotAllowed(req.method);
    if (sub.toLowerCase() !== this.#o.cluster.subscriptionId.toLowerCase()) {
      return armError(404, { code: 'SubscriptionNotFound', message: `The subscription '${sub}' could not be found.` });
    }
    const op = this.#operations.get(id);
    if (op === undefined) return armError(404, { code: 'NotFound', message: `Operation '${id}' was not found.` });
    const retry = this.#retryAfter();
    if (isResult) {
      // Location polling: 202 while running; then the resource (create) or 204 (delete).
      if (op.status === 'InProgress') return { status: 202, headers: { Location: this.#operationUrl('operationresults', id), ...retry } };
      if (op.status === 'Failed') return armError(op.error?.code === 'AllocationFailed' ? 409 : 500, op.error ?? { code: 'InternalServerError', message: 'The operation failed.' });
      const pool = this.#pools.get(op.pool);
      return op.kind === 'create' && pool !== undefined ? { status: 200, body: this.#poolJson(pool) } : { status: 204 };
    }
    const body: Record<string, unknown> = { id: this.#operationPath('operations', id), name: id, status: op.status, startTime: op.startTime };
    if (op.endTime !== undefined) body['endTime'] = op.endTime;
    if (op.error !== undefined) body['error'] = op.error;
    return { status: 200, body, ...(op.status === 'InProgress' && retry['Retry-After'] !== undefined ? { headers: retry } : {}) };
  }

  #startOperation(id: string, pool: string, kind: 'create' | 'delete'): void {
    this.#operations.set(id, { id, pool, kind, status: 'InProgress', startTime: new Date(this.#now()).toISOString() });
  }

  #retryAfter(): Record<string, string> {
    return this.#o.pollRetryAfterSeconds !== undefined ? { 'Retry-After': String(this.#o.pollRetryAfterSeconds) } : {};
  }

  #asyncHeaders(opId: string): Record<string, string> {
    return { 'Azure-AsyncOperation': this.#operationUrl('operations', opId), Location: this.#operationUrl('operationresults', opId), ...this.#retryAfter() };
  }

  #operationPath(kind: 'operations' | 'operationresults', id: string): string {
    return `/subscriptions/${this.#o.cluster.subscriptionId}/providers/${PROVIDER}/locations/${this.#o.cluster.location}/${kind}/${id}`;
  }

  #operationUrl(kind: 'operations' | 'operationresults', id: string): string {
    return `${this.#o.baseUrl()}${this.#operationPath(kind, id)}?api-version=${API_VERSIONS[0]}`;
  }

  #clusterId(): string {
    const c = this.#o.cluster;
    return `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/${PROVIDER}/managedClusters/${c.name}`;
  }

  #poolJson(pool: PoolRecord): Record<string, unknown> {
    const version = this.#o.cluster.kubernetesVersion ?? '1.33.2';
    return {
      id: `${this.#clusterId()}/agentPools/${pool.name}`,
      name: pool.name,
      type: `${PROVIDER}/managedClusters/agentPools`,
      properties: {
        osType: 'Linux',
        osSKU: 'Ubuntu',
        mode: 'User',
        type: 'VirtualMachineScaleSets',
        osDiskSizeGB: 128,
        osDiskType: 'Managed',
        maxPods: 110,
        enableNodePublicIP: false,
        orchestratorVersion: version,
        ...pool.properties,
        currentOrchestratorVersion: version,
        nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202601.01.0',
        provisioningState: pool.state,
        powerState: { code: this.#powerState },
      },
    };
  }

  #managedCluster(): ArmResponse {
    const c = this.#o.cluster;
    const version = c.kubernetesVersion ?? '1.33.2';
    return {
      status: 200,
      body: {
        id: this.#clusterId(),
        name: c.name,
        type: `${PROVIDER}/ManagedClusters`,
        location: c.location,
        sku: { name: 'Base', tier: 'Free' },
        identity: { type: 'SystemAssigned' },
        properties: {
          provisioningState: 'Succeeded',
          powerState: { code: this.#powerState },
          kubernetesVersion: version,
          currentKubernetesVersion: version,
          dnsPrefix: c.name,
          fqdn: `${c.name}-dns.hcp.${c.location}.azmk8s.io`,
          nodeResourceGroup: this.nodeResourceGroup,
          agentPoolProfiles: [...this.#pools.values()].map((p) => ({ name: p.name, ...(this.#poolJson(p)['properties'] as object) })),
          oidcIssuerProfile: { enabled: true, issuerURL: `${this.#o.baseUrl()}/oidc/` },
          securityProfile: { workloadIdentity: { enabled: true } },
        },
      },
    };
  }
}

function methodNotAllowed(method: string): ArmResponse {
  return armError(405, { code: 'MethodNotAllowed', message: `The HTTP method '${method}' is not supported for this resource.` });
}
