import { KubeClient } from '@kaito-ts/controller-runtime';
import { FakeApiServer } from '@kaito-ts/controller-runtime/testing';
import { nodeRequestClient, nodeRequestResource, objectRefOf } from './client.js';
import { gpuNodeRequest } from './testing/factories.js';

const team = (name: string) => ({ 'example.com/team': name });

describe.each([
  ['nodeclaim', '/apis/karpenter.sh/v1/nodeclaims', 'NodeClaim'],
  ['machine', '/apis/karpenter.sh/v1alpha5/machines', 'Machine'],
] as const)('NodeRequestClient for %s', (api, path, kind) => {
  const setup = () => {
    const server = new FakeApiServer();
    const client = nodeRequestClient(new KubeClient(server, { fieldManager: 't' }), api);
    return { server, client };
  };

  it(`creates a ${kind} at ${path}`, async () => {
    const { server, client } = setup();
    const created = await client.create(gpuNodeRequest({ api, name: 'ws1', instanceType: 'Standard_NC6s_v3', labels: team('phi') }));
    expect(server.writes()[0]).toMatchObject({ method: 'POST', path });
    expect(created.metadata.uid).toBeDefined();
    expect(server.get(nodeRequestResource(api), 'ws1')?.kind).toBe(kind);
    expect(objectRefOf(created).kind).toBe(kind);
  });

  it('sends no status write when nothing changed', async () => {
    const { server, client } = setup();
    const created = await client.create(gpuNodeRequest({ api, name: 'ws1', instanceType: 'x', labels: team('phi') }));
    const writes = server.writes().length;
    await client.patchStatus(created, created.status);
    expect(server.writes()).toHaveLength(writes);
  });

  it('writes status with the resourceVersion it read, so a stale view conflicts', async () => {
    const { client } = setup();
    const created = await client.create(gpuNodeRequest({ api, name: 'ws1', instanceType: 'x', labels: team('phi') }));
    await client.patchMetadata(created, { labels: { a: 'b' } });
    await expect(client.patchStatus(created, { ...created.status, providerID: 'p' })).rejects.toMatchObject({ code: 409 });
  });

  it('removes an annotation given as null and sends nothing when it is already gone', async () => {
    const { server, client } = setup();
    let r = await client.create(gpuNodeRequest({ api, name: 'ws1', instanceType: 'x', annotations: { keep: 'me', drop: 'me' } }));
    r = await client.patchMetadata(r, { annotations: { drop: null } });
    expect(r.metadata.annotations).toEqual({ keep: 'me' });
    const writes = server.writes().length;
    await client.patchMetadata(r, { annotations: { drop: null } });
    expect(server.writes()).toHaveLength(writes);
  });

  it('lists by label selector', async () => {
    const { client } = setup();
    await client.create(gpuNodeRequest({ api, name: 'ws1', instanceType: 'x', labels: team('phi') }));
    await client.create(gpuNodeRequest({ api, name: 'ws2', instanceType: 'x', labels: team('other') }));
    expect((await client.list({ labelSelector: 'example.com/team=phi' })).map((r) => r.metadata.name)).toEqual(['ws1']);
  });

  it('adds and removes a finalizer, and deletes', async () => {
    const { client } = setup();
    let r = await client.create(gpuNodeRequest({ api, name: 'ws1', instanceType: 'x', labels: team('phi') }));
    r = await client.addFinalizer(r, 'karpenter.sh/termination');
    expect(r.metadata.finalizers).toEqual(['karpenter.sh/termination']);
    r = await client.removeFinalizer(r, 'karpenter.sh/termination');
    expect(r.metadata.finalizers).toBeUndefined();
    expect(await client.delete('ws1')).toBe(true);
    expect(await client.get('ws1')).toBeUndefined();
  });
});
