import type { ObjectMeta } from '@kaito-ts/core';
import type { KubeObject } from '../api/object.js';

export type ConfigMapLike = KubeObject & { data?: Record<string, string> };

let counter = 0;

/** A ConfigMap (any kind will do for caches and queues); overrides win, metadata merged. */
export function makeConfigMap(
  overrides: Partial<Omit<ConfigMapLike, 'metadata'>> & { metadata?: Partial<ObjectMeta> } = {},
): ConfigMapLike {
  const name = overrides.metadata?.name ?? `cm-${++counter}`;
  const { metadata, ...rest } = overrides;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    data: {},
    ...rest,
    metadata: { namespace: 'default', uid: `uid-${name}`, ...metadata, name },
  };
}
