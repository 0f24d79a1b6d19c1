/**
 * Typed API calls for controllers, over a `Transport`, with one field manager:
 *
 * - `apply` — server-side apply of a child (force: the controller owns its fields);
 * - `patchStatus` — writes status only when it differs from what was read (no request otherwise);
 * - `addFinalizer` / `removeFinalizer` — guarded by the object's resourceVersion, so a concurrent
 *   change makes them fail with 409 Conflict (requeue) instead of losing someone else's finalizer;
 * - `get` / `list` / `create` / `replace` / `mergePatch` / `delete`, decoding answers with the
 *   resource's codec.
 */
import { decodeOrThrow } from '@kaito-ts/core';
import { mergePatchFor } from '../api/merge-patch.js';
import type { KubeObject } from '../api/object.js';
import { hasFinalizer } from '../api/owners.js';
import { collectionPath, objectPath, resourceId, type ResourceType } from '../api/resource.js';
import { ignoreNotFound } from '../errors.js';
import { ResourceMapper } from './mapper.js';
import { ContentType, type Transport } from './rest-client.js';

export interface KubeClientOptions {
  /** Names this controller in `managedFields`; required by server-side apply. */
  readonly fieldManager: string;
  readonly mapper?: ResourceMapper;
}

export interface ListSelector {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface StatusPatchResult<T> {
  /** Whether a request was sent. */
  readonly changed: boolean;
  readonly object: T;
}

type WithStatus = KubeObject & { status?: unknown };

export class KubeClient {
  readonly transport: Transport;
  readonly fieldManager: string;
  readonly mapper: ResourceMapper;

  constructor(transport: Transport, options: KubeClientOptions) {
    this.transport = transport;
    this.fieldManager = options.fieldManager;
    this.mapper = options.mapper ?? new ResourceMapper(transport);
  }

  async get<T extends KubeObject>(resource: ResourceType<T>, name: string, namespace?: string): Promise<T> {
    const raw = await this.transport.request({ method: 'GET', path: objectPath(resource, name, namespace) });
    return decoderFor(resource)(raw);
  }

  /** Like `get`, but `undefined` when the object does not exist. */
  async find<T extends KubeObject>(resource: ResourceType<T>, name: string, namespace?: string): Promise<T | undefined> {
    return this.get(resource, name, namespace).catch(ignoreNotFound);
  }

  async list<T extends KubeObject>(resource: ResourceType<T>, selector: ListSelector = {}): Promise<T[]> {
    const decode = decoderFor(resource);
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const page = (await this.transport.request({
        method: 'GET',
        path: collectionPath(resource, selector.namespace),
        query: { labelSelector: selector.labelSelector, fieldSelector: selector.fieldSelector, limit: 500, continue: cont },
      })) as { items?: unknown[]; metadata?: { continue?: string } };
      for (const item of page.items ?? []) items.push(decode(withKind(resource, item)));
      cont = page.metadata?.continue || undefined;
    } while (cont !== undefined);
    return items;
  }

  async create<T extends KubeObject>(resource: ResourceType<T>, obj: T): Promise<T> {
    const raw = await this.transport.request({
      method: 'POST',
      path: collectionPath(resource, obj.metadata.namespace),
      query: { fieldManager: this.fieldManager },
      body: { apiVersion: resource.apiVersion, kind: resource.kind, ...obj },
    });
    return decoderFor(resource)(raw);
  }

  /** PUT; fails with 409 Conflict if `obj.metadata.resourceVersion` is stale. */
  async replace<T extends KubeObject>(resource: ResourceType<T>, obj: T, subresource?: 'status'): Promise<T> {
    const raw = await this.transport.request({
      method: 'PUT',
      path: objectPath(resource, obj.metadata.name, obj.metadata.namespace, subresource),
      query: { fieldManager: this.fieldManager },
      body: obj,
    });
    return decoderFor(resource)(raw);
  }

  async mergePatch<T extends KubeObject>(
    resource: ResourceType<T>,
    ref: { name: string; namespace?: string | undefined },
    patch: unknown,
    subresource?: 'status',
  ): Promise<T> {
    const raw = await this.transport.request({
      method: 'PATCH',
      path: objectPath(resource, ref.name, ref.namespace, subresource),
      query: { fieldManager: this.fieldManager },
      body: patch,
      contentType: ContentType.MergePatch,
    });
    return decoderFor(resource)(raw);
  }

  /** Deletes; resolves false when the object was already gone. */
  async delete(
    resource: ResourceType,
    ref: { name: string; namespace?: string | undefined },
    options: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; uid?: string } = {},
  ): Promise<boolean> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
      ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
    };
    const done = await this.transport
      .request({ method: 'DELETE', path: objectPath(resource, ref.name, ref.namespace), body })
      .then(() => true)
      .catch(ignoreNotFound);
    return done ?? false;
  }

  /**
   * Server-side apply of `obj` (a child the controller owns) with this client's field manager and
   * `force`, so fields this controller sets are always its own. The kind is resolved from
   * `apiVersion`/`kind` (registered resources, then discovery).
   */
  async apply<T extends KubeObject>(obj: T, options: { subresource?: 'status'; force?: boolean } = {}): Promise<T> {
    if (!obj.apiVersion || !obj.kind) throw new Error(`apply ${obj.metadata.name}: apiVersion and kind are required`);
    const resource = (await this.mapper.resourceFor(obj.apiVersion, obj.kind)) as ResourceType<T>;
    const raw = await this.transport.request({
      method: 'PATCH',
      path: objectPath(resource, obj.metadata.name, obj.metadata.namespace, options.subresource),
      query: { fieldManager: this.fieldManager, force: options.force ?? true },
      body: obj,
      contentType: ContentType.Apply,
    });
    return decoderFor(resource)(raw);
  }

  /**
   * Make `current`'s status equal `status`, sending a merge patch of the difference to the status
   * subresource only if there is one. `current` is what the reconcile read (usually from the cache).
   */
  async patchStatus<T extends WithStatus>(
    resource: ResourceType<T>,
    current: T,
    status: T['status'],
  ): Promise<StatusPatchResult<T>> {
    const patch = mergePatchFor(current.status ?? {}, status ?? {});
    if (patch === undefined) return { changed: false, object: current };
    const object = await this.mergePatch(resource, current.metadata, { status: patch }, 'status');
    return { changed: true, object };
  }

  /**
   * Adds `finalizer` unless present (no request then). The patch carries `current`'s
   * resourceVersion: if the object changed since it was read, the API server answers 409.
   */
  async addFinalizer<T extends KubeObject>(resource: ResourceType<T>, current: T, finalizer: string): Promise<T> {
    if (hasFinalizer(current, finalizer)) return current;
    const finalizers = [...(current.metadata.finalizers ?? []), finalizer];
    return this.mergePatch(resource, current.metadata, {
      metadata: { finalizers, resourceVersion: current.metadata.resourceVersion },
    });
  }

  /** Removes `finalizer` if present (no request otherwise), guarded by resourceVersion like `addFinalizer`. */
  async removeFinalizer<T extends KubeObject>(resource: ResourceType<T>, current: T, finalizer: string): Promise<T> {
    if (!hasFinalizer(current, finalizer)) return current;
    const finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    return this.mergePatch(resource, current.metadata, {
      metadata: { finalizers: finalizers.length > 0 ? finalizers : null, resourceVersion: current.metadata.resourceVersion },
    });
  }
}

const decoders = new WeakMap<ResourceType, (v: unknown) => KubeObject>();

function decoderFor<T extends KubeObject>(resource: ResourceType<T>): (v: unknown) => T {
  let d = decoders.get(resource as ResourceType);
  if (d === undefined) {
    const what = resourceId(resource);
    d = (v: unknown) => decodeOrThrow(resource.codec, v, what) as KubeObject;
    decoders.set(resource as ResourceType, d);
  }
  return d as (v: unknown) => T;
}

function withKind(resource: ResourceType, item: unknown): unknown {
  if (typeof item === 'object' && item !== null) {
    const o = item as { apiVersion?: string; kind?: string };
    o.apiVersion ??= resource.apiVersion;
    o.kind ??= resource.kind;
  }
  return item;
}
