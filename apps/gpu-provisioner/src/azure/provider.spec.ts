/**
 * The provider against the ARM + Entra simulator in-process: the real SDK, real HTTPS, the
 * workload-identity token flow. The simulator's Nodes stay in memory (its MemoryNodeSink), which
 * stands in for the cluster's Node list.
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { writeFile } from 'node:fs/promises';
import { type FaultSpec, MemoryNodeSink } from '@kaito-ts/arm-simulator';
import { startTestArmSimulator, TEST_CLUSTER, TEST_LOCATION, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION, type TestArmSimulator } from '@kaito-ts/arm-simulator/testing';
import { classifyLaunchError, type Instance, isInsufficientCapacityError, isNotFoundError, isQuotaExceededError, isSkuUnavailableError, isTransientError, type NodeRequest } from '@kaito-ts/karpenter';
import { makeNodeRequest } from '@kaito-ts/karpenter/testing';
import { createArmClient } from './client.js';
import { createCredential } from './credentials.js';
import { ThrottledError } from './errors.js';
import { PoolTags, poolNameFor } from './naming.js';
import { AzureCloudProvider } from './provider.js';

const A100 = 'Standard_NC24ads_A100_v4';
let sim: TestArmSimulator;
let sink: MemoryNodeSink;

beforeAll(async () => {
  sink = new MemoryNodeSink();
  sim = await startTestArmSimulator({ nodes: sink, createDelayMs: 100, deleteDelayMs: 100 });
});
afterAll(async () => {
  await sim.stop();
});
afterEach(async () => {
  sim.faults.clear();
  await sim.state.setPowerState('Running');
});

function provider(options: { tokenFile?: string; now?: () => Date } = {}): AzureCloudProvider {
  const credential = createCredential('workload-identity', { ...sim.env, ...(options.tokenFile !== undefined ? { AZURE_FEDERATED_TOKEN_FILE: options.tokenFile } : {}) }, { agent: sim.agent });
  const client = createArmClient(credential, TEST_SUBSCRIPTION, { endpoint: sim.url, agent: sim.agent, userAgent: 'gpu-provisioner-test' });
  return new AzureCloudProvider({
    client,
    resourceGroup: TEST_RESOURCE_GROUP,
    clusterName: TEST_CLUSTER,
    location: TEST_LOCATION,
    operationTimeoutMs: 10_000,
    nodes: { providerIDs: async () => new Map([...sink.nodes.values()].map((n) => [n.pool, n.providerID])) },
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
}

let seq = 0;
const claim = (overrides: { instanceType?: string; name?: string } = {}): NodeRequest => {
  const name = overrides.name ?? `conf-no-t-${++seq}`;
  return makeNodeRequest('nodeclaim', { metadata: { name, uid: `uid-${name}-${seq}` }, instanceType: overrides.instanceType ?? A100 });
};

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected a rejection');
  return err;
}

/** Calls create as the lifecycle would (again after each "still creating") until it returns. */
async function createUntilRunning(p: AzureCloudProvider, r: NodeRequest): Promise<{ instance: Instance; calls: number }> {
  for (let calls = 1; calls <= 100; calls++) {
    try {
      return { instance: await p.create(r), calls };
    } catch (err) {
      if (!isTransientError(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error('create never returned an instance');
}

const addFault = async (spec: FaultSpec): Promise<void> => expect((await sim.admin('POST', '/admin/faults', spec)).status).toBe(201);

describe('create', () => {
  it('starts the create without waiting for it, then returns the pool once Succeeded and its node has joined', async () => {
    const p = provider();
    const r = claim();
    const pool = poolNameFor(r.metadata.name);
    const first = await rejection(p.create(r));
    expect(isTransientError(first)).toBe(true);
    expect(first.message).toMatch(new RegExp(`agent pool ${pool} \\(${A100}\\) is being created`));
    // One PUT, and no poll of the async operation: the reconcile was not held.
    expect(sim.requests.requests().filter((q) => q.method === 'PUT' && q.path.endsWith(`/${pool}`))).toHaveLength(1);
    expect(sim.requests.count('GET', '/operations/{operationId}')).toBe(0);
    const { instance } = await createUntilRunning(p, r);
    expect(sim.requests.requests().filter((q) => q.method === 'PUT' && q.path.endsWith(`/${pool}`))).toHaveLength(1);
    expect(instance).toMatchObject({ name: pool, requestName: r.metadata.name, requestUID: r.metadata.uid, instanceType: A100, state: 'Running' });
    expect(instance.providerID).toMatch(new RegExp(`/virtualMachineScaleSets/aks-${pool}-\\d+-vmss/virtualMachines/0$`));
    const node = [...sink.nodes.values()].find((n) => n.pool === pool);
    expect(node?.labels).toMatchObject({ 'kaito-ts.dev/provisioner': 'gpu-provisioner', 'kaito.sh/workspace': 'ws-test' });
    const arm = await p.get(instance.providerID ?? '');
    expect(arm).toMatchObject({ name: pool, state: 'Running' });
  });

  it('after a restart, a second provider resumes the pool the first one started instead of creating another', async () => {
    const r = claim();
    await rejection(provider().create(r));
    const { instance } = await createUntilRunning(provider(), r);
    expect(instance.requestUID).toBe(r.metadata.uid);
    expect(sim.requests.requests().filter((q) => q.method === 'PUT' && q.path.endsWith(`/${instance.name}`))).toHaveLength(1);
  });

  it('refuses a pool of the same name it did not create, and waits out one left by an earlier claim of the same name', async () => {
    const foreign = 'userpool1';
    await new ContainerServiceClient(createCredential('workload-identity', sim.env, { agent: sim.agent }), TEST_SUBSCRIPTION, { endpoint: sim.url, agent: sim.agent })
      .agentPools.createOrUpdate(TEST_RESOURCE_GROUP, TEST_CLUSTER, foreign, { vmSize: A100, count: 1 }, { updateIntervalInMs: 10 });
    const err = await rejection(provider().create(claim({ name: foreign })));
    expect(classifyLaunchError(err)).toEqual({ reason: 'InvalidRequest', kind: 'terminal' });
    expect(err.message).toMatch(/agent pool userpool1 already exists .* not created by gpu-provisioner/);

    const old = claim();
    await createUntilRunning(provider(), old);
    const recreated = { ...old, metadata: { ...old.metadata, uid: 'uid-recreated' } };
    const wait = await rejection(provider().create(recreated));
    expect(isTransientError(wait)).toBe(true);
    expect(wait.message).toMatch(/still belongs to an earlier nodeclaim/);
  });

  it.each([
    ['QuotaExceeded', isQuotaExceededError, /vCPU quota in eastus/],
    ['InsufficientVCPUQuota', isQuotaExceededError, /regional vCPU quota in eastus/],
    ['OperationNotAllowedQuota', isQuotaExceededError, /quota/],
    ['SkuNotAvailable', isSkuUnavailableError, /not available to this subscription in eastus/],
    ['AllocationFailed', isInsufficientCapacityError, /no capacity/],
    ['ZonalAllocationFailed', isInsufficientCapacityError, /no capacity/],
    ['OverconstrainedAllocationRequest', isInsufficientCapacityError, /no capacity/],
    ['InternalServerError', isTransientError, /ARM server error/],
  ] as const)('an injected %s arrives typed, with an actionable message', async (kind, is, message) => {
    await addFault({ kind, method: 'PUT', times: 1 });
    const err = await rejection(provider().create(claim()));
    expect(is(err)).toBe(true);
    expect(err.message).toMatch(message);
  });

  it('a VM size ARM does not offer is SkuUnavailable', async () => {
    const err = await rejection(provider().create(claim({ instanceType: 'Standard_D4s_v3' })));
    expect(isSkuUnavailableError(err)).toBe(true);
  });

  it('honours Retry-After: after a 429 no ARM call is made until it has passed', async () => {
    let now = Date.now();
    const p = provider({ now: () => new Date(now) });
    await addFault({ kind: 'TooManyRequests', retryAfterSeconds: 30, times: 1 });
    const first = await rejection(p.create(claim()));
    expect(first).toBeInstanceOf(ThrottledError);
    expect((first as ThrottledError).retryAfterMs).toBe(30_000);
    const before = sim.requests.requests().length;
    for (let i = 0; i < 5; i++) expect(isTransientError(await rejection(p.create(claim())))).toBe(true);
    await expect(p.list()).rejects.toThrow(/no list call for another 30 s/);
    expect(sim.requests.requests().length).toBe(before);
    now += 30_001;
    await expect(p.list()).resolves.toEqual(expect.any(Array));
    expect(sim.requests.requests().length).toBeGreaterThan(before);
  });

  it('a wrong federated token is a clear transient failure, and the same provider recovers once the token file is fixed', async () => {
    const tokenFile = `${sim.tokenFile}.wrong`;
    await writeFile(tokenFile, 'not-the-projected-token');
    const p = provider({ tokenFile });
    const err = await rejection(p.list());
    expect(isTransientError(err)).toBe(true);
    expect(err.message).toMatch(/cannot get an Entra token/);
    expect(sim.requests.requests().filter((q) => q.path.includes('/token')).some((q) => q.status >= 400)).toBe(true);
    await writeFile(tokenFile, await import('node:fs/promises').then((fs) => fs.readFile(sim.tokenFile, 'utf8')));
    await expect(p.list()).resolves.toEqual(expect.any(Array));
  });

  it('missing workload-identity settings fail the call with what to set, not the process', async () => {
    const credential = createCredential('workload-identity', {});
    const client = createArmClient(credential, TEST_SUBSCRIPTION, { endpoint: sim.url, agent: sim.agent });
    const p = new AzureCloudProvider({ client, resourceGroup: TEST_RESOURCE_GROUP, clusterName: TEST_CLUSTER, location: TEST_LOCATION, operationTimeoutMs: 5000, nodes: { providerIDs: async () => new Map() } });
    const err = await rejection(p.list());
    expect(isTransientError(err)).toBe(true);
    expect(err.message).toMatch(/cannot get an Entra token/);
    expect(describeChain(err)).toMatch(/AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE not set/);
  });
});

const describeChain = (err: unknown): string => {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(': ');
};

describe('list, get, delete', () => {
  it('lists only gpu-provisioner pools of this cluster, across pages', async () => {
    const p = provider();
    const claims = [claim(), claim(), claim()];
    for (const r of claims) await createUntilRunning(p, r);
    const pagesBefore = sim.requests.count('GET', '/agentPools');
    const listed = await p.list();
    // Page size 2: every page was followed.
    expect(sim.requests.count('GET', '/agentPools') - pagesBefore).toBeGreaterThanOrEqual(2);
    expect(listed.map((i) => i.requestName)).toEqual(expect.arrayContaining(claims.map((r) => r.metadata.name)));
    expect(listed.map((i) => i.name)).not.toContain('userpool1');
    expect(listed.every((i) => i.requestName !== '')).toBe(true);
  });

  it('deletes (202), counts Deleting as triggered, and then says NotFound; never deletes a pool it does not own', async () => {
    const p = provider();
    const r = claim();
    const { instance } = await createUntilRunning(p, r);
    const ref = { requestName: r.metadata.name, ...(r.metadata.uid !== undefined ? { requestUID: r.metadata.uid } : {}), ...(instance.providerID !== undefined ? { providerID: instance.providerID } : {}) };
    await p.delete(ref);
    const deletes = () => sim.requests.requests().filter((q) => q.method === 'DELETE' && q.path.endsWith(`/${instance.name}`)).length;
    expect(deletes()).toBe(1);
    expect(sim.requests.requests().filter((q) => q.method === 'DELETE' && q.path.endsWith(`/${instance.name}`))[0]?.status).toBe(202);
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      const err = await p.delete({ requestName: r.metadata.name, name: instance.name }).then(() => undefined, (e: unknown) => e);
      gone = isNotFoundError(err);
      if (!gone) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(gone).toBe(true);
    expect([...sink.nodes.values()].some((n) => n.pool === instance.name)).toBe(false);
    await expect(p.get(instance.providerID ?? '')).rejects.toThrow(/does not exist or is not gpu-provisioner's/);

    const foreign = await rejection(p.delete({ requestName: 'userpool1', name: 'userpool1' }));
    expect(isNotFoundError(foreign)).toBe(true);
  });

  it('a pool stuck Deleting counts as deleting: no second DELETE is sent', async () => {
    const p = provider();
    const r = claim();
    const { instance } = await createUntilRunning(p, r);
    await addFault({ kind: 'StuckDelete', pool: instance.name, times: 1 });
    await p.delete({ requestName: r.metadata.name, name: instance.name });
    await p.delete({ requestName: r.metadata.name, name: instance.name });
    await p.delete({ requestName: r.metadata.name, name: instance.name });
    expect(sim.requests.requests().filter((q) => q.method === 'DELETE' && q.path.endsWith(`/${instance.name}`))).toHaveLength(1);
    expect((await p.list()).find((i) => i.name === instance.name)?.state).toBe('Deleting');
  });

  it('refuses to list while the managed cluster is stopped and a provisioned pool has no Node, so GC collects nothing', async () => {
    const p = provider();
    const r = claim();
    const { instance } = await createUntilRunning(p, r);
    const gone = sink.nodes.get([...sink.nodes.values()].find((n) => n.pool === instance.name)?.name ?? '');
    expect(gone).toBeDefined();
    // What `az aks stop` leaves: the pool, without its Node.
    sink.nodes.delete(gone?.name ?? '');
    await sim.state.setPowerState('Stopped');
    await expect(p.list()).rejects.toThrow(/managed cluster aks-kaito is Stopped: .*\(nothing is collected\)/);
    await sim.state.setPowerState('Running');
    // Running again: a pool whose Node is missing is listed without a providerID (the node is joining).
    expect((await p.list()).find((i) => i.name === instance.name)).toMatchObject({ state: 'Running' });
    expect((await p.list()).find((i) => i.name === instance.name)?.providerID).toBeUndefined();
    if (gone !== undefined) sink.nodes.set(gone.name, gone);
  });

  it('pauses garbage collection while the managed cluster is not Running, whatever its pools look like', async () => {
    const p = provider();
    expect(await p.garbageCollectionPause()).toBeUndefined();
    await sim.state.setPowerState('Stopped');
    expect(await p.garbageCollectionPause()).toBe('managed cluster aks-kaito is Stopped');
    await sim.state.setPowerState('Running');
    expect(await p.garbageCollectionPause()).toBeUndefined();
  });

  it('get refuses a providerID that is not an AKS scale-set node', async () => {
    const err = await rejection(provider().get('kwok://node-1'));
    expect(isNotFoundError(err)).toBe(true);
    expect(err.message).toMatch(/not an AKS scale-set node/);
  });

  it('tags carry the creation time', async () => {
    const r = claim();
    const { instance } = await createUntilRunning(provider(), r);
    expect(Date.parse(instance.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(PoolTags.createdAt).toBe('kaito-ts-created-at');
  });
});
