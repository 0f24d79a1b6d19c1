/** ownerReferences: pure helpers, as controller-runtime's controllerutil. */
import { AlreadyOwnedError } from '../errors.js';
import type { OwnerReference } from '@kaito-ts/core';
import type { KubeObject } from './object.js';

type Owner = Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; uid?: string | undefined } };

/** The controller ownerReference pointing at `owner` (controller and blockOwnerDeletion set). */
export function controllerReference(owner: Owner): OwnerReference {
  const { apiVersion, kind } = owner;
  const uid = owner.metadata.uid;
  if (!apiVersion || !kind || !uid) {
    throw new Error(`owner ${owner.metadata.name} needs apiVersion, kind and metadata.uid for an ownerReference`);
  }
  return { apiVersion, kind, name: owner.metadata.name, uid, controller: true, blockOwnerDeletion: true };
}

/** The object's controller ownerReference, if any. */
export function controllerOf(obj: Pick<KubeObject, 'metadata'>): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function isControlledBy(obj: Pick<KubeObject, 'metadata'>, owner: Owner): boolean {
  const ref = controllerOf(obj);
  return ref !== undefined && ref.uid === owner.metadata.uid;
}

/**
 * `obj` with `owner` as its controller. Returns a new object; throws AlreadyOwnedError when another
 * object is already its controller (only one may be, as Kubernetes' garbage collector requires).
 */
export function withControllerReference<T extends Pick<KubeObject, 'metadata'>>(
  obj: T,
  owner: Owner,
): T & { metadata: T['metadata'] & { ownerReferences: OwnerReference[] } } {
  const ref = controllerReference(owner);
  const existing = controllerOf(obj);
  if (existing !== undefined && existing.uid !== ref.uid) {
    throw new AlreadyOwnedError(
      `${obj.metadata.name} is already controlled by ${existing.kind} ${existing.name}; cannot make ${ref.kind} ${ref.name} its controller`,
    );
  }
  const others = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: [...others, ref] } };
}

export function hasFinalizer(obj: Pick<KubeObject, 'metadata'>, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

export function isBeingDeleted(obj: Pick<KubeObject, 'metadata'>): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}
