/**
 * The provider interface: the only place a provisioner talks to its cloud. Modelled on Karpenter's
 * `cloudprovider.CloudProvider` (create/delete/get/list, typed errors), with the crash-safety
 * contract made explicit. Every method takes an AbortSignal, aborted when the process stops
 * reconciling.
 *
 * Contract (docs/provisioners.md states it for implementers):
 * - `create(request)` launches one instance for the request, or returns/resumes the one it already
 *   launched for the same request UID (a restart between create and the status write calls it
 *   again). The instance is tagged with the request's name and UID so `list` can attribute it.
 *   Errors: QuotaExceededError, InsufficientCapacityError, SkuUnavailableError, TransientError.
 * - `get(providerID)` returns the instance or throws NotFoundError.
 * - `list()` returns every instance this provider launched (for every request), including ones
 *   still being created.
 * - `delete(instance)` starts deleting and returns; throws NotFoundError once the instance is gone.
 *   The lifecycle calls it until it throws NotFoundError.
 * - `garbageCollectionPause()` (optional) says why garbage collection must skip its pass now (a
 *   stopped cluster: its instances are intact but their Nodes and health are not to be trusted),
 *   or undefined to collect.
 * - `nodeClaimKey` (optional) ties a joining Node to its request before the request knows the
 *   Node's providerID (AKS: the Node's agent-pool label names the pool, the pool is named after the
 *   claim). Without it a Node is matched only by providerID, which a provider that learns the
 *   providerID from the Node records only at the claim's next retry.
 */
import type { ResourceList } from '../codecs/common.js';
import type { Node } from '../codecs/node.js';
import type { NodeRequest } from '../node-request.js';

export type InstanceState = 'Creating' | 'Running' | 'Deleting';

export interface Instance {
  /** The Node's `spec.providerID` once known (`azure:///…`, `aws:///…`, `kwok://…`). */
  readonly providerID?: string;
  /** The cloud's name for the instance (agent pool, VM, fake node). */
  readonly name: string;
  /** The node request it was launched for. */
  readonly requestName: string;
  readonly requestUID?: string;
  readonly instanceType: string;
  readonly state: InstanceState;
  /** Labels the cloud resolved (instance type, zone, capacity type); merged under the request's labels. */
  readonly labels: Readonly<Record<string, string>>;
  readonly capacity: ResourceList;
  readonly allocatable: ResourceList;
  readonly imageID?: string;
  /** RFC 3339. */
  readonly createdAt: string;
}

/** What identifies an instance to `delete`: the request it belongs to, and its providerID when known. */
export interface InstanceRef {
  readonly requestName: string;
  readonly requestUID?: string;
  readonly providerID?: string;
  readonly name?: string;
}

/**
 * One key computed from both sides: a request and the Node its instance registers. Equal keys mean
 * "this Node is that request's"; undefined means the object has no key (not this provider's Node,
 * a request no instance can be named after). Both must be pure and cheap: they run on every Node
 * event and in an informer index.
 */
export interface NodeClaimKey {
  ofNode(node: Node): string | undefined;
  ofRequest(request: NodeRequest): string | undefined;
}

export interface CloudProvider {
  /** Short name for logs and metrics: `kwok`, `azure`. */
  readonly name: string;
  create(request: NodeRequest, signal?: AbortSignal): Promise<Instance>;
  get(providerID: string, signal?: AbortSignal): Promise<Instance>;
  list(signal?: AbortSignal): Promise<Instance[]>;
  delete(instance: InstanceRef, signal?: AbortSignal): Promise<void>;
  /** Why GC must not delete anything now (e.g. `managed cluster … is Stopped`), or undefined. Asked at the start of every pass. */
  garbageCollectionPause?(signal?: AbortSignal): Promise<string | undefined>;
  /** Node ↔ request before the providerID is recorded: a joining Node wakes its request at once. */
  readonly nodeClaimKey?: NodeClaimKey;
}

/** Whether `instance` was launched for `request` (UID when both have one, else name). */
export function belongsTo(instance: Pick<Instance, 'requestName' | 'requestUID'>, request: { metadata: { name: string; uid?: string } }): boolean {
  if (instance.requestUID !== undefined && request.metadata.uid !== undefined) return instance.requestUID === request.metadata.uid;
  return instance.requestName === request.metadata.name;
}

export function instanceRefOf(request: NodeRequest): InstanceRef {
  return {
    requestName: request.metadata.name,
    ...(request.metadata.uid !== undefined ? { requestUID: request.metadata.uid } : {}),
    ...(request.status.providerID !== undefined ? { providerID: request.status.providerID } : {}),
  };
}
