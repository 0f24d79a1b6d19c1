import { Resources } from '../api/resource.js';
import { isConflict, isNotFound } from '../errors.js';
import { FakeApiServer } from '../testing/fake-api-server.js';
import { makeConfigMap } from '../testing/objects.js';
import { KubeClient } from './kube-client.js';

type Pod = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } };

function setup() {
  const server = new FakeApiServer();
  const client = new KubeClient(server, { fieldManager: 'test-controller' });
  return { server, client };
}

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' } });

describe('KubeClient.apply', () => {
  it('creates a missing child with server-side apply under its field manager', async () => {
    const { server, client } = setup();
    await client.apply(makeConfigMap({ metadata: { name: 'child', namespace: 'ns' }, data: { a: '1' } }));
    expect(server.writes()[0]).toMatchObject({
      method: 'PATCH',
      path: '/api/v1/namespaces/ns/configmaps/child',
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'test-controller', force: true },
    });
    expect(server.get(Resources.ConfigMap, 'child', 'ns')).toMatchObject({ data: { a: '1' } });
  });

  it('finds the URL of a kind it was not told about through discovery', async () => {
    const { server, client } = setup();
    await client.apply({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'ns' } });
    expect(server.writes()[0]?.path).toBe('/apis/apps/v1/namespaces/ns/statefulsets/web');
  });

  it('refuses an object without apiVersion and kind', async () => {
    const { client } = setup();
    await expect(client.apply({ metadata: { name: 'x' } })).rejects.toThrow(/apiVersion and kind/);
  });
});

describe('KubeClient.patchStatus', () => {
  it('sends no request when the status is unchanged', async () => {
    const { server, client } = setup();
    const stored = server.seed({ ...pod('p'), status: { phase: 'Running' } });
    const result = await client.patchStatus(Resources.Pod, stored as Pod, { phase: 'Running' });
    expect([result.changed, server.writes().length]).toEqual([false, 0]);
  });

  it('treats a status with the same fields in another order as unchanged', async () => {
    const { server, client } = setup();
    const stored = server.seed({ ...pod('p'), status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    const result = await client.patchStatus(Resources.Pod, stored as Pod, { conditions: [{ status: 'True', type: 'Ready' }], phase: 'Running' });
    expect(result.changed).toBe(false);
  });

  it('patches the status subresource with only the difference when it changed', async () => {
    const { server, client } = setup();
    const stored = server.seed({ ...pod('p'), status: { phase: 'Pending' } }) as Pod;
    stored.status = { phase: 'Pending' };
    await client.patchStatus(Resources.Pod, stored, { phase: 'Running' });
    expect(server.writes()[0]).toMatchObject({ path: '/api/v1/namespaces/ns/pods/p/status', body: { status: { phase: 'Running' } } });
  });

  it('removes status fields the new status no longer has', async () => {
    const { server, client } = setup();
    const stored = server.seed(pod('p')) as Pod;
    await client.patchStatus(Resources.Pod, stored, { phase: 'Running', conditions: [] });
    const now = server.get<Pod>(Resources.Pod, 'p', 'ns') as Pod;
    await client.patchStatus(Resources.Pod, now, { phase: 'Running' });
    expect(server.get<Pod>(Resources.Pod, 'p', 'ns')?.status).toEqual({ phase: 'Running' });
  });
});

describe('KubeClient finalizers', () => {
  it('adds a finalizer guarded by the resourceVersion it read', async () => {
    const { server, client } = setup();
    const stored = server.seed(makeConfigMap({ metadata: { name: 'a', namespace: 'ns' } }));
    await client.addFinalizer(Resources.ConfigMap, stored, 'kaito.sh/finalizer');
    expect(server.writes()[0]?.body).toEqual({ metadata: { finalizers: ['kaito.sh/finalizer'], resourceVersion: stored.metadata.resourceVersion } });
    expect(server.get(Resources.ConfigMap, 'a', 'ns')?.metadata.finalizers).toEqual(['kaito.sh/finalizer']);
  });

  it('sends nothing when the finalizer is already there', async () => {
    const { server, client } = setup();
    const stored = server.seed(makeConfigMap({ metadata: { name: 'a', namespace: 'ns', finalizers: ['f'] } }));
    await client.addFinalizer(Resources.ConfigMap, stored, 'f');
    expect(server.writes()).toHaveLength(0);
  });

  it('fails with a conflict when the object changed since it was read', async () => {
    const { server, client } = setup();
    const stale = server.seed(makeConfigMap({ metadata: { name: 'a', namespace: 'ns', finalizers: ['other'] } }));
    await client.mergePatch(Resources.ConfigMap, stale.metadata, { metadata: { labels: { x: 'y' } } });
    const err = await client.addFinalizer(Resources.ConfigMap, stale, 'mine').catch((e: unknown) => e);
    expect(isConflict(err)).toBe(true);
  });

  it('removes only its own finalizer', async () => {
    const { server, client } = setup();
    const stored = server.seed(makeConfigMap({ metadata: { name: 'a', namespace: 'ns', finalizers: ['other', 'mine'] } }));
    await client.removeFinalizer(Resources.ConfigMap, stored, 'mine');
    expect(server.get(Resources.ConfigMap, 'a', 'ns')?.metadata.finalizers).toEqual(['other']);
  });

  it('lets a deleted object go once its last finalizer is removed', async () => {
    const { server, client } = setup();
    const stored = server.seed(makeConfigMap({ metadata: { name: 'a', namespace: 'ns', finalizers: ['mine'] } }));
    await client.delete(Resources.ConfigMap, stored.metadata);
    const deleting = await client.get(Resources.ConfigMap, 'a', 'ns');
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    await client.removeFinalizer(Resources.ConfigMap, deleting, 'mine');
    expect(server.get(Resources.ConfigMap, 'a', 'ns')).toBeUndefined();
  });
});

describe('KubeClient reads and deletes', () => {
  it('lists objects of one namespace with their kind filled in', async () => {
    const { server, client } = setup();
    server.seed(makeConfigMap({ metadata: { name: 'a', namespace: 'ns' } }));
    server.seed(makeConfigMap({ metadata: { name: 'b', namespace: 'other' } }));
    const items = await client.list(Resources.ConfigMap, { namespace: 'ns' });
    expect(items.map((i) => [i.kind, i.metadata.name])).toEqual([['ConfigMap', 'a']]);
  });

  it('finds nothing for a missing object instead of throwing', async () => {
    const { client } = setup();
    await expect(client.find(Resources.ConfigMap, 'nope', 'ns')).resolves.toBeUndefined();
  });

  it('throws NotFound from get for a missing object', async () => {
    const { client } = setup();
    const err = await client.get(Resources.ConfigMap, 'nope', 'ns').catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
  });

  it('reports false when deleting an object that is already gone', async () => {
    const { client } = setup();
    await expect(client.delete(Resources.ConfigMap, { name: 'nope', namespace: 'ns' })).resolves.toBe(false);
  });
});
