/** Building watches: the primary resource, owned children, and objects related by labels. */
import { groupVersion, keyOf, type KubeObject, objectKey } from '../api/object.js';
import type { ResourceType } from '../api/resource.js';
import type { Change, Watch, WatchOptions } from './types.js';

/** Watch `resource`; by default each change enqueues the object's own key. */
export function watch<T extends KubeObject>(resource: ResourceType<T>, options: WatchOptions<T> = {}): Watch {
  const map = options.mapToKeys ?? ((obj: T) => [keyOf(obj)]);
  return {
    resource: resource as unknown as ResourceType<KubeObject>,
    mapToKeys: map as (obj: KubeObject) => readonly string[],
    predicate: options.predicate as ((change: Change<KubeObject>) => boolean) | undefined,
  };
}

/**
 * Maps a child to the key of its controller owner of `owner`'s kind (any version of its group),
 * in the child's namespace: `watch(StatefulSet, { mapToKeys: toControllerOwner(Workspace) })`.
 */
export function toControllerOwner(owner: Pick<ResourceType, 'apiVersion' | 'kind'>): (obj: KubeObject) => string[] {
  const { group } = groupVersion(owner.apiVersion);
  return (obj) => {
    const ref = obj.metadata.ownerReferences?.find((r) => r.controller === true);
    if (ref === undefined || ref.kind !== owner.kind || groupVersion(ref.apiVersion).group !== group) return [];
    return [objectKey(obj.metadata.namespace, ref.name)];
  };
}

/**
 * Maps an object to the key named by its labels, for relations ownerReferences cannot express
 * (a cluster-scoped NodeClaim pointing at a namespaced Workspace):
 * `toLabelledKey({ name: 'kaito.sh/workspace', namespace: 'kaito.sh/workspacenamespace' })`.
 */
export function toLabelledKey(labels: { readonly name: string; readonly namespace?: string }): (obj: KubeObject) => string[] {
  return (obj) => {
    const name = obj.metadata.labels?.[labels.name];
    if (!name) return [];
    const namespace = labels.namespace === undefined ? obj.metadata.namespace : obj.metadata.labels?.[labels.namespace];
    return [objectKey(namespace, name)];
  };
}

/**
 * Enqueue on create, delete, periodic resync, and updates that change `metadata.generation` (spec
 * changes), skipping status-only updates.
 */
export function generationChanged(change: Change<KubeObject>): boolean {
  if (change.type !== 'update' || change.old === change.obj) return true;
  return change.old?.metadata.generation !== change.obj.metadata.generation;
}
