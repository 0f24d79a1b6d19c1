/**
 * Typed access to node requests, whichever API the flag names, over the controller runtime's
 * `KubeClient`: one `NodeRequestClient` per API maps every call to the right GVK and converts to
 * and from the `NodeRequest` view. Writes that replace lists (finalizers, conditions) carry the
 * object's resourceVersion, so a concurrent change fails with 409 Conflict (requeue) instead of
 * being overwritten.
 */
import { defineResource, hasFinalizer, type KubeClient, type ListSelector, mergePatchFor, type ResourceType } from '@kaito-ts/controller-runtime';
import { Machine } from './codecs/machine.js';
import { Node } from './codecs/node.js';
import { NodeClaim } from './codecs/nodeclaim.js';
import {
  MACHINE_API_VERSION,
  MACHINE_KIND,
  MACHINE_PLURAL,
  NODECLAIM_API_VERSION,
  NODECLAIM_KIND,
  NODECLAIM_PLURAL,
  type NodeRequestApi,
} from './constants.js';
import { apiStatusOf, fromMachine, fromNodeClaim, type NodeRequest, type NodeRequestStatus, toApiObject } from './node-request.js';

export const MachineResource: ResourceType<Machine> = defineResource<Machine>({
  apiVersion: MACHINE_API_VERSION,
  kind: MACHINE_KIND,
  plural: MACHINE_PLURAL,
  namespaced: false,
  codec: Machine,
});

export const NodeClaimResource: ResourceType<NodeClaim> = defineResource<NodeClaim>({
  apiVersion: NODECLAIM_API_VERSION,
  kind: NODECLAIM_KIND,
  plural: NODECLAIM_PLURAL,
  namespaced: false,
  codec: NodeClaim,
});

export const NodeResource: ResourceType<Node> = defineResource<Node>({ apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, codec: Node });

export type NodeRequestObject = Machine | NodeClaim;

/** The resource (GVK, plural, codec) of a node-request API. */
export function nodeRequestResource(api: NodeRequestApi): ResourceType<NodeRequestObject> {
  return (api === 'machine' ? MachineResource : NodeClaimResource) as ResourceType<NodeRequestObject>;
}

/** A decoded API object of `api` (from a cache or a response) as a NodeRequest. */
export function nodeRequestOf(api: NodeRequestApi, obj: NodeRequestObject): NodeRequest {
  return api === 'machine' ? fromMachine(obj as Machine) : fromNodeClaim(obj as NodeClaim);
}

/** `apiVersion`, `kind` and metadata: what an Event's involvedObject or an ownerReference needs. */
export function objectRefOf(r: NodeRequest): { apiVersion: string; kind: string; metadata: NodeRequest['metadata'] } {
  return r.api === 'machine'
    ? { apiVersion: MACHINE_API_VERSION, kind: MACHINE_KIND, metadata: r.metadata }
    : { apiVersion: NODECLAIM_API_VERSION, kind: NODECLAIM_KIND, metadata: r.metadata };
}

/** Label and annotation changes: a value sets the key, `null` removes it. */
export interface MetadataChanges {
  readonly labels?: Readonly<Record<string, string | null>>;
  readonly annotations?: Readonly<Record<string, string | null>>;
}

export interface NodeRequestClient {
  readonly api: NodeRequestApi;
  readonly resource: ResourceType<NodeRequestObject>;
  get(name: string): Promise<NodeRequest | undefined>;
  list(selector?: Omit<ListSelector, 'namespace'>): Promise<NodeRequest[]>;
  create(request: NodeRequest): Promise<NodeRequest>;
  /** Resolves false when it was already gone. `uid` guards against deleting a newer object of the same name. */
  delete(name: string, options?: { uid?: string }): Promise<boolean>;
  /** Writes `status` if it differs from `current.status` (no request otherwise), guarded by resourceVersion. */
  patchStatus(current: NodeRequest, status: NodeRequestStatus): Promise<NodeRequest>;
  /** Sets these labels/annotations, removing those given as `null` (merge; other keys untouched). No request when nothing changes. */
  patchMetadata(current: NodeRequest, changes: MetadataChanges): Promise<NodeRequest>;
  addFinalizer(current: NodeRequest, finalizer: string): Promise<NodeRequest>;
  removeFinalizer(current: NodeRequest, finalizer: string): Promise<NodeRequest>;
}

export function nodeRequestClient(kube: KubeClient, api: NodeRequestApi): NodeRequestClient {
  const resource = nodeRequestResource(api);
  const of = (obj: NodeRequestObject): NodeRequest => nodeRequestOf(api, obj);
  const ref = (r: NodeRequest): { name: string } => ({ name: r.metadata.name });
  return {
    api,
    resource,
    async get(name) {
      const obj = await kube.find(resource, name);
      return obj === undefined ? undefined : of(obj);
    },
    async list(selector = {}) {
      return (await kube.list(resource, selector)).map(of);
    },
    async create(request) {
      const { resourceVersion: _rv, uid: _uid, ...metadata } = request.metadata;
      const { status: _status, ...body } = toApiObject({ ...request, api, metadata });
      return of(await kube.create(resource, body as NodeRequestObject));
    },
    delete(name, options = {}) {
      return kube.delete(resource, { name }, options.uid !== undefined ? { uid: options.uid } : {});
    },
    async patchStatus(current, status) {
      const patch = mergePatchFor(apiStatusOf(current), apiStatusOf({ api, status }));
      if (patch === undefined) return current;
      return of(await kube.mergePatch(resource, ref(current), { metadata: { resourceVersion: current.metadata.resourceVersion }, status: patch }, 'status'));
    },
    async patchMetadata(current, changes) {
      const labels = changedEntries(current.metadata.labels, changes.labels);
      const annotations = changedEntries(current.metadata.annotations, changes.annotations);
      if (labels === undefined && annotations === undefined) return current;
      return of(
        await kube.mergePatch(resource, ref(current), {
          metadata: { ...(labels !== undefined ? { labels } : {}), ...(annotations !== undefined ? { annotations } : {}) },
        }),
      );
    },
    async addFinalizer(current, finalizer) {
      if (hasFinalizer(current, finalizer)) return current;
      return of(await kube.addFinalizer(resource, toApiObject(current), finalizer));
    },
    async removeFinalizer(current, finalizer) {
      if (!hasFinalizer(current, finalizer)) return current;
      return of(await kube.removeFinalizer(resource, toApiObject(current), finalizer));
    },
  };
}

/** The entries of `wanted` that differ from `current` (a `null` for a key `current` has); undefined when none. */
function changedEntries(
  current: Record<string, string> | undefined,
  wanted: Readonly<Record<string, string | null>> | undefined,
): Record<string, string | null> | undefined {
  if (wanted === undefined) return undefined;
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(wanted)) {
    if (v === null ? current?.[k] !== undefined : current?.[k] !== v) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
