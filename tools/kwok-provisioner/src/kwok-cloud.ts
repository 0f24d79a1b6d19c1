/**
 * A CloudProvider whose "cloud" is the local control plane: an instance is a ConfigMap record in
 * the cloud namespace, and its "VM" is a kwok-managed fake GPU Node built from the SKU catalog
 * (tools/cluster's node builder), which kwok marks Ready.
 *
 *     create ─▶ faults? (SKU unknown, simulated stock-out, quota, fault ConfigMap) ─▶ typed error
 *            ─▶ record {state: Creating, readyAt: now + launchDelay}   (survives a provisioner crash)
 *            ─▶ wait until readyAt (a blocking "PUT agent pool", as gpu-provisioner's is)
 *            ─▶ Node joins with the request's taints + karpenter.sh/unregistered ─▶ record Running
 *
 * `create` called again for the same request UID resumes the record it finds: the same instance,
 * never a second one. `delete` removes the record and the Node (after `deleteDelay`, if any) and
 * answers NotFound afterwards.
 */
import { type Clock, type KubeClient, type KubeObject, type Logger, isAlreadyExists, isConflict, realClock, Resources, sleep } from '@kaito-ts/controller-runtime';
import { FAKE_GPU_NODE_LABEL, gpuNodeManifest } from '@kaito-ts/cluster';
import {
  type CloudProvider,
  type Instance,
  type InstanceRef,
  InsufficientCapacityError,
  KarpenterLabels,
  KarpenterTaints,
  type NodeRequest,
  NodeResource,
  NotFoundError,
  QuotaExceededError,
  requestedInstanceType,
  SkuUnavailableError,
  type Taint,
  TransientError,
  WellKnownLabels,
} from '@kaito-ts/karpenter';
import { findSku, type GpuSku } from '@kaito-ts/presets';
import { CLOUD_LABEL, fromConfigMap, INSTANCE_LABEL, type InstanceRecord, instanceNameFor, providerIDFor, type RecordConfigMap, toConfigMap } from './instance-record.js';

/** Failures the fault ConfigMap can inject, per instance type (or `*` for all). */
export const FAULTS = ['QuotaExceeded', 'InsufficientCapacity', 'SkuUnavailable', 'Transient'] as const;
export type Fault = (typeof FAULTS)[number];

/** Name of the ConfigMap (in the cloud namespace) whose `data` maps instance type → fault, read on every create. */
export const FAULTS_CONFIGMAP = 'kwok-provisioner-faults';

export interface KwokCloudOptions {
  readonly kube: KubeClient;
  /** Where instance records live; also the cloud's identity (several clouds can share a cluster). */
  readonly namespace: string;
  /** How long an instance takes to boot before its Node joins. */
  readonly launchDelayMs: number;
  /** How long deleting an instance takes. 0: at once. */
  readonly deleteDelayMs?: number;
  /** Simulated quota: at most this many instances of an instance type at once. */
  readonly quotas?: Readonly<Record<string, number>>;
  /** Instance types with no capacity (a simulated stock-out). */
  readonly unavailable?: readonly string[];
  readonly zone?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Catalog lookup (tests). Default: @kaito-ts/presets `findSku`. */
  readonly findSku?: (name: string) => GpuSku | undefined;
}

const ConfigMaps = Resources.ConfigMap;

export class KwokCloudProvider implements CloudProvider {
  readonly name = 'kwok';
  readonly #o: KwokCloudOptions;
  readonly #clock: Clock;
  readonly #findSku: (name: string) => GpuSku | undefined;

  constructor(options: KwokCloudOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#findSku = options.findSku ?? findSku;
  }

  get namespace(): string {
    return this.#o.namespace;
  }

  async create(request: NodeRequest, signal?: AbortSignal): Promise<Instance> {
    const instanceType = requestedInstanceType(request);
    if (instanceType === undefined) throw new SkuUnavailableError(`${request.metadata.name} names no ${WellKnownLabels.instanceType}`);
    const sku = this.#findSku(instanceType);
    if (sku === undefined) throw new SkuUnavailableError(`instance type ${instanceType} is not offered (not in the SKU catalog)`);
    const name = instanceNameFor(request);
    let record = await this.#find(name);
    if (record === undefined) {
      await this.#checkFaults(instanceType, sku, request);
      const now = this.#clock.now();
      record = await this.#write({
        name,
        requestName: request.metadata.name,
        ...(request.metadata.uid !== undefined ? { requestUID: request.metadata.uid } : {}),
        instanceType: sku.name,
        providerID: providerIDFor(name),
        state: 'Creating',
        createdAt: new Date(now).toISOString(),
        readyAt: new Date(now + this.#o.launchDelayMs).toISOString(),
      });
      this.#o.logger?.info('creating instance', { instance: name, instanceType: sku.name, readyAt: record.readyAt });
    }
    if (record.state === 'Deleting') throw new TransientError(`instance ${name} is being deleted`);
    if (record.state === 'Creating') {
      const wait = Date.parse(record.readyAt) - this.#clock.now();
      if (wait > 0) await sleep(this.#clock, wait, signal);
      await this.#ensureNode(record, sku, request);
      record = await this.#update(record, { state: 'Running' });
      this.#o.logger?.info('instance running', { instance: name, providerID: record.providerID });
    }
    return this.#toInstance(record);
  }

  async get(providerID: string): Promise<Instance> {
    const record = (await this.#liveRecords()).find((r) => r.providerID === providerID);
    if (record === undefined) throw new NotFoundError(`kwok instance ${providerID} not found`);
    return this.#toInstance(record);
  }

  async list(): Promise<Instance[]> {
    return (await this.#liveRecords()).map((r) => this.#toInstance(r));
  }

  async delete(ref: InstanceRef): Promise<void> {
    const records = await this.#records();
    const record =
      (ref.providerID !== undefined ? records.find((r) => r.providerID === ref.providerID) : undefined) ??
      (ref.name !== undefined ? records.find((r) => r.name === ref.name) : undefined) ??
      (ref.requestUID !== undefined ? records.find((r) => r.requestUID === ref.requestUID) : records.find((r) => r.requestName === ref.requestName));
    if (record === undefined) throw new NotFoundError(`no kwok instance for ${ref.providerID ?? ref.requestName}`);
    const delay = this.#o.deleteDelayMs ?? 0;
    const now = this.#clock.now();
    if (delay > 0 && record.state !== 'Deleting') {
      await this.#update(record, { state: 'Deleting', deleteAt: new Date(now + delay).toISOString() });
      return;
    }
    if (record.deleteAt !== undefined && Date.parse(record.deleteAt) > now) return;
    await this.#finishDelete(record);
  }

  async #finishDelete(record: InstanceRecord): Promise<void> {
    // The VM is gone: so is its Node (as a cloud node-lifecycle controller would delete it).
    await this.#o.kube.delete(NodeResource, { name: record.name });
    await this.#o.kube.delete(ConfigMaps, { name: record.name, namespace: this.#o.namespace });
    this.#o.logger?.info('deleted instance', { instance: record.name });
  }

  /** A Deleting instance whose delete delay has passed: a real cloud finishes it without being asked again. */
  #deleteDue(record: InstanceRecord): boolean {
    return record.state === 'Deleting' && (record.deleteAt === undefined || Date.parse(record.deleteAt) <= this.#clock.now());
  }

  /**
   * The records, with deletions that are due finished first. Without this, an instance that the
   * garbage collector deleted once (it skips instances already Deleting) would stay forever.
   */
  async #liveRecords(): Promise<InstanceRecord[]> {
    const live: InstanceRecord[] = [];
    for (const record of await this.#records()) {
      if (this.#deleteDue(record)) await this.#finishDelete(record);
      else live.push(record);
    }
    return live;
  }

  /** Throws the typed error a real cloud would for this request, if a fault applies. */
  async #checkFaults(instanceType: string, sku: GpuSku, request: NodeRequest): Promise<void> {
    // Settings may name the SKU by its catalog name, an alias or another case, as may the request.
    const names = (name: string): boolean => name === instanceType || this.#findSku(name)?.name === sku.name;
    const fault = await this.#injectedFault([instanceType, sku.name]);
    if (fault === 'Transient') throw new TransientError(`simulated throttling creating ${instanceType} (429 TooManyRequests)`);
    if (fault === 'SkuUnavailable') throw new SkuUnavailableError(`instance type ${instanceType} is not available in ${this.#zone} (simulated)`);
    if (fault === 'InsufficientCapacity' || (this.#o.unavailable ?? []).some(names)) {
      throw new InsufficientCapacityError(`allocation failed: no capacity for ${instanceType} in ${this.#zone} right now (simulated stock-out)`);
    }
    const quotas = Object.entries(this.#o.quotas ?? {}).filter(([name]) => names(name)).map(([, n]) => n);
    const quota = fault === 'QuotaExceeded' ? 0 : quotas.length > 0 ? Math.min(...quotas) : undefined;
    if (quota !== undefined) {
      // Records hold the catalog name.
      const inUse = (await this.#records()).filter((r) => r.instanceType === sku.name && r.state !== 'Deleting' && r.requestUID !== request.metadata.uid).length;
      if (inUse >= quota) {
        throw new QuotaExceededError(
          `operation results in exceeding the approved quota for ${instanceType}: limit ${quota} instances, in use ${inUse}; request a quota increase`,
        );
      }
    }
  }

  async #injectedFault(instanceTypes: readonly string[]): Promise<Fault | undefined> {
    const cm = (await this.#o.kube.find(ConfigMaps, FAULTS_CONFIGMAP, this.#o.namespace)) as RecordConfigMap | undefined;
    const value = instanceTypes.map((t) => cm?.data?.[t]).find((v) => v !== undefined) ?? cm?.data?.['*'];
    return (FAULTS as readonly string[]).includes(value ?? '') ? (value as Fault) : undefined;
  }

  get #zone(): string {
    return this.#o.zone ?? 'kwok-zone-1';
  }

  async #ensureNode(record: InstanceRecord, sku: GpuSku, request: NodeRequest): Promise<void> {
    // The kubelet registers with the request's taints and startup taints, plus karpenter.sh/unregistered (Karpenter's bootstrap does the same).
    const taints = [...request.spec.taints, ...request.spec.startupTaints, { ...KarpenterTaints.unregistered }].map((t: Taint) => ({
      key: t.key,
      effect: t.effect,
      ...(t.value !== undefined ? { value: t.value } : {}),
    }));
    const manifest = gpuNodeManifest(sku, {
      name: record.name,
      providerID: record.providerID,
      // Not `true`: `npm run cluster -- delete-nodes` removes hand-made fake nodes, not the ones this provisioner owns.
      labels: { ...this.#labels(sku.name), [INSTANCE_LABEL]: record.name, [CLOUD_LABEL]: this.#o.namespace, [FAKE_GPU_NODE_LABEL]: 'kwok-provisioner' },
      taints,
    }) as unknown as KubeObject & { status?: unknown };
    try {
      const created = (await this.#o.kube.create(Resources.Node, manifest)) as KubeObject & { status?: { allocatable?: unknown } };
      // The API server keeps a Node's status on create; some (and the fake) drop it: write it then.
      if (created.status?.allocatable === undefined) {
        await this.#o.kube.mergePatch(Resources.Node, { name: record.name }, { status: manifest.status }, 'status');
      }
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  #labels(instanceType: string): Record<string, string> {
    return {
      [WellKnownLabels.instanceType]: instanceType,
      [WellKnownLabels.zone]: this.#zone,
      [WellKnownLabels.region]: 'kwok',
      [KarpenterLabels.capacityType]: 'on-demand',
    };
  }

  #toInstance(record: InstanceRecord): Instance {
    const sku = this.#findSku(record.instanceType);
    const capacity = sku === undefined ? {} : (gpuNodeManifest(sku, { name: record.name }).status?.capacity ?? {});
    return {
      name: record.name,
      providerID: record.providerID,
      requestName: record.requestName,
      ...(record.requestUID !== undefined ? { requestUID: record.requestUID } : {}),
      instanceType: record.instanceType,
      state: record.state,
      labels: this.#labels(record.instanceType),
      capacity: { ...capacity },
      allocatable: { ...capacity },
      imageID: 'kwok-fake-gpu-node',
      createdAt: record.createdAt,
    };
  }

  async #records(): Promise<InstanceRecord[]> {
    const cms = (await this.#o.kube.list(ConfigMaps, { namespace: this.#o.namespace, labelSelector: `${INSTANCE_LABEL}=true` })) as RecordConfigMap[];
    return cms.map(fromConfigMap);
  }

  async #find(name: string): Promise<InstanceRecord | undefined> {
    const cm = (await this.#o.kube.find(ConfigMaps, name, this.#o.namespace)) as RecordConfigMap | undefined;
    const record = cm === undefined ? undefined : fromConfigMap(cm);
    if (record === undefined || !this.#deleteDue(record)) return record;
    await this.#finishDelete(record);
    return undefined;
  }

  async #write(record: InstanceRecord): Promise<InstanceRecord> {
    try {
      return fromConfigMap((await this.#o.kube.create(ConfigMaps, toConfigMap(record, this.#o.namespace))) as RecordConfigMap);
    } catch (err) {
      // Another create for the same request won the race: resume that one.
      const existing = isAlreadyExists(err) ? await this.#find(record.name) : undefined;
      if (existing === undefined) throw err;
      return existing;
    }
  }

  async #update(record: InstanceRecord, changes: Partial<InstanceRecord>): Promise<InstanceRecord> {
    try {
      const cm = await this.#o.kube.replace(ConfigMaps, toConfigMap({ ...record, ...changes }, this.#o.namespace));
      return fromConfigMap(cm as RecordConfigMap);
    } catch (err) {
      if (isConflict(err)) throw new TransientError(`instance ${record.name} changed meanwhile`, { cause: err });
      throw err;
    }
  }
}
