/**
 * The wire shape every Kubernetes object shares, as io-ts codecs, and the `namespace/name` keys
 * the work queue uses. Objects are kept as the API server sent them (JSON, timestamps as strings).
 */
import * as t from 'io-ts';
import { ObjectMeta } from '@kaito-ts/core';

/**
 * Any object the API server returns: metadata checked, the rest kept as is. Not `t.exact`, so a
 * successful decode returns the very same object (no copy; the cache stays small).
 */
export const KubeObject = t.intersection([
  t.type({ metadata: ObjectMeta }),
  t.partial({ apiVersion: t.string, kind: t.string }),
]);
export type KubeObject = t.TypeOf<typeof KubeObject>;

/** `namespace/name`, or `name` for cluster-scoped objects: the queue key of an object. */
export function keyOf(obj: { metadata: { name: string; namespace?: string | undefined } }): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : obj.metadata.name;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export interface NamespacedName {
  readonly namespace: string | undefined;
  readonly name: string;
}

export function parseKey(key: string): NamespacedName {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Splits `group/version` (or `v1`) into its parts; the core group is `''`. */
export function groupVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}
