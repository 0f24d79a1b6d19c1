import { Resources } from '../api/resource.js';
import { KubeClient } from '../client/kube-client.js';
import { FakeApiServer } from './fake-api-server.js';

describe('FakeApiServer create and status, as the real registries behave', () => {
  const client = (server: FakeApiServer) => new KubeClient(server, { fieldManager: 'test' });

  it('drops the status a create carries for a kind with a status subresource', async () => {
    const server = new FakeApiServer();
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, status: { phase: 'Running' } };
    await client(server).create(Resources.Pod, pod);
    expect(server.get<{ status?: unknown }>(Resources.Pod, 'p', 'ns')?.status).toBeUndefined();
  });

  it('keeps the status a Node create carries (kubelets and kwok register Nodes that way)', async () => {
    const server = new FakeApiServer();
    const status = { capacity: { 'nvidia.com/gpu': '1' }, conditions: [{ type: 'Ready', status: 'True' }] };
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status };
    await client(server).create(Resources.Node, node);
    expect(server.get<{ status?: unknown }>(Resources.Node, 'n')?.status).toEqual(status);
  });
});

describe('FakeApiServer.delayWatchEvents', () => {
  it('queues watch events until released, then sends them in order', async () => {
    const server = new FakeApiServer();
    const seen: string[] = [];
    const abort = new AbortController();
    const watching = server.watch({ method: 'GET', path: '/api/v1/namespaces/ns/configmaps', query: { watch: 'true' }, signal: abort.signal, idleTimeoutMs: 0 }, (e) =>
      seen.push(`${(e as { type: string }).type} ${(e as { object: { metadata: { name: string } } }).object.metadata.name}`),
    );
    const kube = new KubeClient(server, { fieldManager: 'test' });
    const release = server.delayWatchEvents();
    await kube.create(Resources.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } });
    await kube.create(Resources.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'ns' } });
    expect(seen).toEqual([]);
    release();
    expect(seen).toEqual(['ADDED a', 'ADDED b']);
    await kube.create(Resources.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } });
    expect(seen).toEqual(['ADDED a', 'ADDED b', 'ADDED c']);
    abort.abort();
    await watching;
  });
});
