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
