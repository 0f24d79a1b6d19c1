/**
 * The kwok "cloud"'s inventory: one ConfigMap per instance in the cloud namespace. It lives in the
 * cluster, not in the provisioner's memory, so it survives a provisioner crash exactly as a real
 * cloud's VMs do — which is what the restart tests need.
 */
import { createHash } from 'node:crypto';
import { decodeOrThrow } from '@kaito-ts/core';
import type { KubeObject } from '@kaito-ts/controller-runtime';
import type { InstanceState, NodeRequest } from '@kaito-ts/karpenter';
import * as t from 'io-ts';

export const INSTANCE_LABEL = 'kwok.kaito-ts.dev/instance';
export const CLOUD_LABEL = 'kwok.kaito-ts.dev/cloud';

export const InstanceRecord = t.intersection(
  [
    t.type({
      requestName: t.string,
      instanceType: t.string,
      providerID: t.string,
      state: t.keyof({ Creating: null, Running: null, Deleting: null }),
      createdAt: t.string,
      readyAt: t.string,
    }),
    t.partial({ requestUID: t.string, deleteAt: t.string }),
  ],
  'InstanceRecord',
);
export type InstanceRecord = t.TypeOf<typeof InstanceRecord> & { readonly name: string; readonly resourceVersion?: string };

export type RecordConfigMap = KubeObject & { data?: Record<string, string> };

/** `<request name>-<8 hex of its UID>`: deterministic per request, distinct for a re-created request of the same name. */
export function instanceNameFor(r: Pick<NodeRequest, 'metadata'>): string {
  const id = (r.metadata.uid ?? createHash('sha256').update(r.metadata.name).digest('hex')).replace(/-/g, '').slice(0, 8);
  const base = r.metadata.name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 50)
    .replace(/-+$/, '');
  return `${base}-${id}`;
}

export function providerIDFor(instanceName: string): string {
  return `kwok://${instanceName}`;
}

export function toConfigMap(record: InstanceRecord, namespace: string): RecordConfigMap {
  const { name, resourceVersion, ...data } = record;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: { [INSTANCE_LABEL]: 'true', [CLOUD_LABEL]: namespace },
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
    },
    data: Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string')),
  };
}

export function fromConfigMap(cm: RecordConfigMap): InstanceRecord {
  const data = decodeOrThrow(InstanceRecord, cm.data ?? {}, `kwok instance ${cm.metadata.name}`);
  return { ...data, name: cm.metadata.name, ...(cm.metadata.resourceVersion !== undefined ? { resourceVersion: cm.metadata.resourceVersion } : {}) };
}

export function stateOf(record: InstanceRecord): InstanceState {
  return record.state;
}
