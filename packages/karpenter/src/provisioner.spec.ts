import { Manager } from '@kaito-ts/controller-runtime';
import { FakeApiServer, silentLogger } from '@kaito-ts/controller-runtime/testing';
import { NodeResource, nodeRequestClient } from './client.js';
import type { Node } from './codecs/node.js';
import { findCondition } from './conditions.js';
import { TransientError } from './cloudprovider/errors.js';
import type { Instance, NodeClaimKey } from './cloudprovider/types.js';
import type { NodeRequest } from './node-request.js';
import { addProvisioner } from './provisioner.js';
import { FakeCloudProvider } from './testing/fake-cloud-provider.js';
import { gpuNodeRequest, makeNode, makeNodeClaim, makeMachine } from './testing/factories.js';

/** Polls `fn` until it returns true (real time; the manager runs real informers on the fake API server). */
async function until(fn: () => boolean | Promise<boolean>, what: string): Promise<void> {
  // Generous on purpose: a loaded CI machine may starve the informers for seconds.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(['nodeclaim', 'machine'] as const)('addProvisioner on a manager (%s)', (api) => {
  it('takes a request to Ready when its node joins, and tears everything down on delete', async () => {
    const server = new FakeApiServer();
    const provider = new FakeCloudProvider();
    // The "cloud" boots a kubelet: a Ready GPU node registers with the instance's providerID.
    provider.afterCreate = (i) => {
      server.seed(makeNode({ metadata: { name: `node-${i.name}` }, providerID: i.providerID ?? '', taints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }] }));
    };
    const mgr = new Manager({ transport: server, logger: silentLogger(), metricsPort: false, healthPort: false, processMetrics: false });
    addProvisioner(mgr, { api, provider });
    const stop = new AbortController();
    const running = mgr.start({ signal: stop.signal });
    const client = nodeRequestClient(mgr.client, api);
    try {
      await client.create(gpuNodeRequest({ api, name: 'ws1', instanceType: 'Standard_NC6s_v3' }));
      await until(async () => findCondition((await client.get('ws1'))?.status.conditions ?? [], 'Ready')?.status === 'True', 'Ready');
      const node = server.get<Node>(NodeResource, 'node-fake-1');
      expect(node?.metadata.labels?.['karpenter.sh/initialized']).toBe('true');
      expect(node?.spec?.taints).toEqual([{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }]);

      await client.delete('ws1');
      await until(async () => (await client.get('ws1')) === undefined, 'the request to go');
      expect(server.get(NodeResource, 'node-fake-1')).toBeUndefined();
      expect(provider.instances.size).toBe(0);
    } finally {
      stop.abort();
      await running;
    }
  });
});

const POOL_LABEL = 'test.kaito-ts.dev/pool';

/**
 * A cloud that learns the providerID only from the joined Node (as AKS does): `create` fails
 * transiently until the test says the request's Node has joined, and the provider ties a Node to
 * its request by a label, as gpu-provisioner does by the agent-pool label.
 */
class JoinLaterProvider extends FakeCloudProvider {
  /** Request name → the providerID of its joined Node. */
  readonly joined = new Map<string, string>();
  readonly nodeClaimKey: NodeClaimKey = { ofNode: (n) => n.metadata.labels?.[POOL_LABEL], ofRequest: (r) => `pool-${r.metadata.name}` };

  override async create(request: NodeRequest): Promise<Instance> {
    const providerID = this.joined.get(request.metadata.name);
    if (providerID === undefined) {
      this.createCalls.push(request);
      throw new TransientError(`the pool of ${request.metadata.name} is provisioned; waiting for its node to join`);
    }
    return { ...(await super.create(request)), providerID };
  }
}

describe.each(['nodeclaim', 'machine'] as const)('a Node joining before its request knows the providerID (%s)', (api) => {
  it('wakes the request by the provider’s node→claim key, which launches at once instead of waiting out its backoff', async () => {
    const server = new FakeApiServer();
    const provider = new JoinLaterProvider();
    const mgr = new Manager({ transport: server, logger: silentLogger(), metricsPort: false, healthPort: false, processMetrics: false });
    // A backoff far longer than the test may take: only the Node event can launch it in time.
    addProvisioner(mgr, { api, provider, lifecycle: { transientRetry: { initialMs: 120_000, maxMs: 120_000 } } });
    const stop = new AbortController();
    const running = mgr.start({ signal: stop.signal });
    const client = nodeRequestClient(mgr.client, api);
    try {
      await client.create(gpuNodeRequest({ api, name: 'ws1', instanceType: 'Standard_NC6s_v3' }));
      await until(async () => (await client.get('ws1'))?.metadata.annotations?.['kaito-ts.dev/launch-retry'] !== undefined, 'the first failed attempt to be recorded');
      expect(provider.createCalls).toHaveLength(1);

      // Another pool's Node wakes nothing that launches.
      server.seed(makeNode({ metadata: { name: 'node-other', labels: { [POOL_LABEL]: 'pool-ws2' }, creationTimestamp: new Date().toISOString() }, providerID: 'fake:///other' }));
      provider.joined.set('ws1', 'fake:///pool-ws1-0');
      server.seed(makeNode({ metadata: { name: 'node-ws1', labels: { [POOL_LABEL]: 'pool-ws1' }, creationTimestamp: new Date().toISOString() }, providerID: 'fake:///pool-ws1-0' }));
      await until(async () => findCondition((await client.get('ws1'))?.status.conditions ?? [], 'Initialized')?.status === 'True', 'Initialized');
      const r = await client.get('ws1');
      expect(r?.status.providerID).toBe('fake:///pool-ws1-0');
      expect(r?.status.nodeName).toBe('node-ws1');
      // One attempt for the joining Node; the Node's own updates (registration's patch) add none.
      await new Promise((done) => setTimeout(done, 200));
      expect(provider.createCalls).toHaveLength(2);
    } finally {
      stop.abort();
      await running;
    }
  }, 30_000);
});

describe.each(['nodeclaim', 'machine'] as const)('garbage collection wired on a manager (%s)', (api) => {
  it('deletes no instance while the request cache has not synced (it would look unclaimed)', async () => {
    const server = new FakeApiServer();
    const provider = new FakeCloudProvider({ now: () => Date.parse('2025-01-01T00:00:00Z') });
    const obj = api === 'machine' ? makeMachine() : makeNodeClaim();
    server.seed(obj);
    provider.seed({ requestName: obj.metadata.name, requestUID: obj.metadata.uid ?? '' });
    const mgr = new Manager({ transport: server, logger: silentLogger(), metricsPort: false, healthPort: false, processMetrics: false });
    const { gc } = addProvisioner(mgr, { api, provider });
    // The manager is not started: its caches are empty, as they are right after a restart.
    await expect(gc.collect({ log: silentLogger() })).rejects.toThrow('not synced');
    expect(provider.deleteCalls).toEqual([]);
    expect(provider.instances.size).toBe(1);
  });

  it('runs garbage collection only once the request and Node caches are synced, then every interval', async () => {
    const server = new FakeApiServer();
    const longAgo = Date.parse('2025-01-01T00:00:00Z');
    const provider = new FakeCloudProvider({ now: () => longAgo });
    const obj = server.seed(api === 'machine' ? makeMachine() : makeNodeClaim()); // with the server's UID
    provider.seed({ requestName: obj.metadata.name, requestUID: obj.metadata.uid ?? '' });
    const leaked = provider.seed({ requestName: 'gone', requestUID: 'uid-of-a-deleted-request' });
    server.down = true; // the caches cannot list: as after a restart against a slow API server
    const mgr = new Manager({ transport: server, logger: silentLogger(), metricsPort: false, healthPort: false, processMetrics: false });
    const { gcTask } = addProvisioner(mgr, { api, provider, gc: { intervalMs: 50 } });
    expect(gcTask.waitForCaches?.map((r) => r.kind)).toEqual([api === 'machine' ? 'Machine' : 'NodeClaim', 'Node']);
    const stop = new AbortController();
    const running = mgr.start({ signal: stop.signal });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(provider.listCalls).toEqual([]);
      server.down = false;
      await until(() => provider.listCalls.length >= 3, 'three garbage-collection passes');
      expect(provider.deleteCalls.map((ref) => ref.name)).toEqual([leaked.name]);
      expect(provider.instances.size).toBe(1);
    } finally {
      stop.abort();
      await running;
    }
  });
});
