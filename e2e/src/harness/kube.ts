/**
 * The test's own view of the cluster (a client of its own, separate from the processes under
 * test): the Workspace resource, what a Workspace leaves in the cluster, and its conditions.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION_V1BETA1, AnyWorkspace, type Condition, WORKSPACE_KIND, WORKSPACE_PLURAL, type Workspace } from '@kaito-ts/api';
import { defineResource, KubeClient, type KubeObject, Resources, type ResourceType, RestClient } from '@kaito-ts/controller-runtime';
import { type NodeRequestApi, NodeResource, nodeRequestResource } from '@kaito-ts/karpenter';
import { kubeconfigPath } from './repo.js';

/** The Workspace as the API server serves it by default (the storage version). */
export const Workspaces: ResourceType<Workspace> = defineResource<Workspace>({
  apiVersion: API_VERSION_V1BETA1,
  kind: WORKSPACE_KIND,
  plural: WORKSPACE_PLURAL,
  namespaced: true,
  codec: AnyWorkspace,
});

export interface TestKube {
  readonly kube: KubeClient;
  close(): Promise<void>;
}

export function testKube(userAgent: string): TestKube {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  const transport = new RestClient(kc, { userAgent });
  return { kube: new KubeClient(transport, { fieldManager: userAgent }), close: () => transport.close() };
}

export const conditionOf = (ws: Workspace | undefined, type: string): Condition | undefined => ws?.status?.conditions?.find((c) => c.type === type);

/** Whether a cluster-scoped object (node request, Node) carries the labels of a Workspace of `namespace`. */
const ofNamespace = (namespace: string) => (o: KubeObject) => o.metadata.labels?.['kaito.sh/workspacenamespace'] === namespace;

/** The node requests (of `api`) made for Workspaces of `namespace`. */
export async function nodeRequestsOf(kube: KubeClient, api: NodeRequestApi, namespace: string): Promise<KubeObject[]> {
  return (await kube.list(nodeRequestResource(api) as unknown as ResourceType, {})).filter(ofNamespace(namespace));
}

/**
 * Everything a Workspace of `namespace` can leave behind: node requests of either API, Nodes made
 * for them, StatefulSets, Services and Pods. Names as `Kind name`; empty when nothing is left.
 */
export async function leftovers(kube: KubeClient, namespace: string): Promise<string[]> {
  return [
    ...(await nodeRequestsOf(kube, 'nodeclaim', namespace)).map((o) => `NodeClaim ${o.metadata.name}`),
    ...(await nodeRequestsOf(kube, 'machine', namespace)).map((o) => `Machine ${o.metadata.name}`),
    ...(await kube.list(NodeResource, {})).filter(ofNamespace(namespace)).map((o) => `Node ${o.metadata.name}`),
    ...(await kube.list(Resources.StatefulSet, { namespace })).map((o) => `StatefulSet ${o.metadata.name}`),
    ...(await kube.list(Resources.Service, { namespace })).map((o) => `Service ${o.metadata.name}`),
    ...(await kube.list(Resources.Pod, { namespace })).map((o) => `Pod ${o.metadata.name}`),
  ];
}

/** Creates a namespace for one scenario (labelled like the integration tier's, so cleanup tools find it). */
export async function createNamespace(kube: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await kube.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kaito-ts.dev/test-namespace': 'true' } } });
  return name;
}

export async function deleteNamespace(kube: KubeClient, name: string): Promise<void> {
  await kube.delete(Resources.Namespace, { name });
}
