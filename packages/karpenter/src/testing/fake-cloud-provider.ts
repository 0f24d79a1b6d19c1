/**
 * A CloudProvider that behaves (Karpenter's `cloudprovider/fake` pattern): it keeps instances,
 * records every call, takes one-shot injected errors, and honours the contract the lifecycle
 * relies on — `create` is idempotent per request UID, `delete` starts deletion once and answers
 * NotFound afterwards.
 */
import { InsufficientCapacityError, NotFoundError, QuotaExceededError, SkuUnavailableError } from '../cloudprovider/errors.js';
import type { CloudProvider, Instance, InstanceRef } from '../cloudprovider/types.js';
import type { ResourceList } from '../codecs/common.js';
import { WellKnownLabels } from '../constants.js';
import type { NodeRequest } from '../node-request.js';
import { requestedInstanceType } from '../predicates.js';

export interface FakeCloudProviderOptions {
  readonly name?: string;
  /** Capacity (and allocatable) of an instance type. Default: 8 CPU, 64Gi, 1 GPU, 110 pods. */
  readonly capacityFor?: (instanceType: string) => ResourceList;
  /** Milliseconds since the epoch for `createdAt`. Default Date.now. */
  readonly now?: () => number;
}

const DEFAULT_CAPACITY: ResourceList = { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '1', pods: '110' };

export class FakeCloudProvider implements CloudProvider {
  readonly name: string;
  /** Instances by name. */
  readonly instances = new Map<string, Instance>();
  readonly createCalls: NodeRequest[] = [];
  readonly getCalls: string[] = [];
  readonly listCalls: number[] = [];
  readonly deleteCalls: InstanceRef[] = [];
  /** One-shot errors: thrown by the next call, then cleared. */
  nextCreateError: Error | undefined;
  nextGetError: Error | undefined;
  nextListError: Error | undefined;
  nextDeleteError: Error | undefined;
  /** Standing failures per instance type (e.g. a quota of 0): every create of that type throws. */
  readonly failures = new Map<string, 'QuotaExceeded' | 'InsufficientCapacity' | 'SkuUnavailable'>();
  /** While set, `garbageCollectionPause` answers it (a stopped cluster): GC skips its passes. */
  gcPause: string | undefined;
  /** Called after an instance is created and before `create` returns (simulate a crash there by throwing). */
  afterCreate: ((instance: Instance) => void) | undefined;
  readonly #capacityFor: (instanceType: string) => ResourceList;
  readonly #now: () => number;
  #seq = 0;

  constructor(options: FakeCloudProviderOptions = {}) {
    this.name = options.name ?? 'fake';
    this.#capacityFor = options.capacityFor ?? (() => DEFAULT_CAPACITY);
    this.#now = options.now ?? Date.now;
  }

  async create(request: NodeRequest): Promise<Instance> {
    this.createCalls.push(request);
    await Promise.resolve();
    const injected = this.nextCreateError;
    if (injected !== undefined) {
      this.nextCreateError = undefined;
      throw injected;
    }
    const existing = [...this.instances.values()].find((i) => i.requestUID !== undefined && i.requestUID === request.metadata.uid);
    if (existing !== undefined) return existing;
    const instanceType = requestedInstanceType(request);
    if (instanceType === undefined) throw new SkuUnavailableError(`${request.metadata.name}: no ${WellKnownLabels.instanceType} requirement`);
    const failure = this.failures.get(instanceType);
    if (failure === 'QuotaExceeded') throw new QuotaExceededError(`quota for ${instanceType} exceeded: 0 of 0 cores free`);
    if (failure === 'InsufficientCapacity') throw new InsufficientCapacityError(`no capacity for ${instanceType} in the region`);
    if (failure === 'SkuUnavailable') throw new SkuUnavailableError(`${instanceType} is not offered in the region`);
    const name = `fake-${++this.#seq}`;
    const capacity = this.#capacityFor(instanceType);
    const instance: Instance = {
      name,
      providerID: `fake:///${name}`,
      requestName: request.metadata.name,
      ...(request.metadata.uid !== undefined ? { requestUID: request.metadata.uid } : {}),
      instanceType,
      state: 'Running',
      labels: { [WellKnownLabels.instanceType]: instanceType, [WellKnownLabels.zone]: 'fake-zone-1' },
      capacity: { ...capacity },
      allocatable: { ...capacity },
      createdAt: new Date(this.#now()).toISOString(),
    };
    this.instances.set(name, instance);
    this.afterCreate?.(instance);
    return instance;
  }

  async get(providerID: string): Promise<Instance> {
    this.getCalls.push(providerID);
    await Promise.resolve();
    const injected = this.nextGetError;
    if (injected !== undefined) {
      this.nextGetError = undefined;
      throw injected;
    }
    const found = [...this.instances.values()].find((i) => i.providerID === providerID);
    if (found === undefined) throw new NotFoundError(`instance ${providerID} not found`);
    return found;
  }

  async list(): Promise<Instance[]> {
    this.listCalls.push(this.listCalls.length + 1);
    await Promise.resolve();
    const injected = this.nextListError;
    if (injected !== undefined) {
      this.nextListError = undefined;
      throw injected;
    }
    return [...this.instances.values()];
  }

  /** First call for an instance removes it ("deletion triggered"); later calls throw NotFoundError. */
  async delete(ref: InstanceRef): Promise<void> {
    this.deleteCalls.push(ref);
    await Promise.resolve();
    const injected = this.nextDeleteError;
    if (injected !== undefined) {
      this.nextDeleteError = undefined;
      throw injected;
    }
    const found = this.find(ref);
    if (found === undefined) throw new NotFoundError(`instance of ${ref.requestName} not found`);
    this.instances.delete(found.name);
  }

  async garbageCollectionPause(): Promise<string | undefined> {
    await Promise.resolve();
    return this.gcPause;
  }

  /** The instance a ref points at: by providerID, else by request UID, else by request name. */
  find(ref: InstanceRef): Instance | undefined {
    const all = [...this.instances.values()];
    if (ref.providerID !== undefined) {
      const byID = all.find((i) => i.providerID === ref.providerID);
      if (byID !== undefined) return byID;
    }
    if (ref.name !== undefined) {
      const byName = this.instances.get(ref.name);
      if (byName !== undefined) return byName;
    }
    if (ref.requestUID !== undefined) return all.find((i) => i.requestUID === ref.requestUID);
    return all.find((i) => i.requestName === ref.requestName);
  }

  /** Add an instance directly (a leak, or one created before a crash). */
  seed(instance: Partial<Instance> & Pick<Instance, 'requestName'>): Instance {
    const name = instance.name ?? `fake-${++this.#seq}`;
    const full: Instance = {
      name,
      providerID: `fake:///${name}`,
      instanceType: 'Standard_NC24ads_A100_v4',
      state: 'Running',
      labels: {},
      capacity: { ...DEFAULT_CAPACITY },
      allocatable: { ...DEFAULT_CAPACITY },
      createdAt: new Date(this.#now()).toISOString(),
      ...instance,
    };
    this.instances.set(name, full);
    return full;
  }

  reset(): void {
    this.instances.clear();
    this.createCalls.length = 0;
    this.getCalls.length = 0;
    this.listCalls.length = 0;
    this.deleteCalls.length = 0;
    this.failures.clear();
    this.nextCreateError = this.nextGetError = this.nextListError = this.nextDeleteError = undefined;
    this.afterCreate = undefined;
    this.gcPause = undefined;
  }
}
