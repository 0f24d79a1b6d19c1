/**
 * What a cache, a watch or a typed call needs to know about a kind: where it lives in the API
 * (`apiVersion`, `plural`, `namespaced`) and the codec its objects are decoded with.
 */
import type * as t from 'io-ts';
import { groupVersion, KubeObject } from './object.js';

export interface ResourceType<T extends KubeObject = KubeObject> {
  readonly apiVersion: string;
  readonly kind: string;
  /** Lower-case plural, as in the URL: `statefulsets`. */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Decodes what the API server sends. A `t.Decoder` (not `t.Type`) keeps `ResourceType` covariant. */
  readonly codec: t.Decoder<unknown, T>;
}

export function defineResource<T extends KubeObject = KubeObject>(
  r: Omit<ResourceType<T>, 'codec'> & { readonly codec?: t.Decoder<unknown, T> },
): ResourceType<T> {
  return { ...r, codec: r.codec ?? (KubeObject as unknown as t.Decoder<unknown, T>) };
}

/** `StatefulSet.apps/v1`: a stable, readable id for a resource (metric labels, cache keys). */
export function resourceId(r: Pick<ResourceType, 'apiVersion' | 'kind'>): string {
  const { group, version } = groupVersion(r.apiVersion);
  return `${r.kind}${group ? `.${group}` : ''}/${version}`;
}

/** The collection URL: `/apis/apps/v1/namespaces/ns/statefulsets` (namespace omitted: all). */
export function collectionPath(r: Pick<ResourceType, 'apiVersion' | 'plural' | 'namespaced'>, namespace?: string): string {
  const { group } = groupVersion(r.apiVersion);
  const base = group ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  return r.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}` : `${base}/${r.plural}`;
}

export function objectPath(
  r: Pick<ResourceType, 'apiVersion' | 'plural' | 'namespaced'>,
  name: string,
  namespace?: string,
  subresource?: string,
): string {
  if (r.namespaced && !namespace) throw new Error(`${r.plural} is namespaced: a namespace is required for ${name}`);
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

/** Kinds the controllers use. Codecs check the object envelope; refine with your own codec. */
export const Resources = {
  ConfigMap: defineResource({ apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true }),
  Secret: defineResource({ apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }),
  Pod: defineResource({ apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }),
  Service: defineResource({ apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true }),
  Node: defineResource({ apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false }),
  Namespace: defineResource({ apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false }),
  Event: defineResource({ apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true }),
  StatefulSet: defineResource({ apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true }),
  Deployment: defineResource({ apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true }),
  Job: defineResource({ apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true }),
  Lease: defineResource({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true }),
  CustomResourceDefinition: defineResource({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
  }),
  Workspace: defineResource({ apiVersion: 'kaito.sh/v1beta1', kind: 'Workspace', plural: 'workspaces', namespaced: true }),
  NodeClaim: defineResource({ apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', plural: 'nodeclaims', namespaced: false }),
  Machine: defineResource({ apiVersion: 'karpenter.sh/v1alpha5', kind: 'Machine', plural: 'machines', namespaced: false }),
} as const;
