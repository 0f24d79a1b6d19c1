/**
 * The simulator driven by the real Azure SDK: @azure/arm-containerservice's ContainerServiceClient
 * authenticated by @azure/identity's WorkloadIdentityCredential, both pointed at the simulator
 * (endpoint, authority host, and an https Agent trusting its CA).
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { RestError } from '@azure/core-rest-pipeline';
import { WorkloadIdentityCredential } from '@azure/identity';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaultSpec } from './faults.js';
import type { MemoryNodeSink } from './node-sink.js';
import { type TestArmSimulator, startTestArmSimulator, TEST_CLIENT_ID, TEST_CLUSTER, TEST_RESOURCE_GROUP, TEST_SUBSCRIPTION, TEST_TENANT } from './testing/index.js';

const RG = TEST_RESOURCE_GROUP;
const CLUSTER = TEST_CLUSTER;
const A100 = 'Standard_NC24ads_A100_v4';

let sim: TestArmSimulator;
beforeAll(async () => {
  sim = await startTestArmSimulator();
});
afterAll(async () => {
  await sim.stop();
});
afterEach(async () => {
  sim.faults.clear();
  await sim.state.setPowerState('Running');
});

function credential(tokenFilePath = sim.tokenFile): WorkloadIdentityCredential {
  // Instance discovery always asks login.microsoftonline.com; a private authority host turns it off (as for Azure Stack).
  return new WorkloadIdentityCredential({ tenantId: TEST_TENANT, clientId: TEST_CLIENT_ID, tokenFilePath, authorityHost: `${sim.url}/`, disableInstanceDiscovery: true, agent: sim.agent });
}

function client(cred: TokenCredential = credential()): ContainerServiceClient {
  return new ContainerServiceClient(cred, TEST_SUBSCRIPTION, { endpoint: sim.url, agent: sim.agent, retryOptions: { maxRetries: 0 } });
}

const nodes = (): MemoryNodeSink => sim.nodes as MemoryNodeSink;
const poll = { updateIntervalInMs: 10 };

async function rejection(p: Promise<unknown>): Promise<RestError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RestError)) throw new Error(`expected a RestError, got ${String(err)}`);
  return err;
}

async function addFault(spec: FaultSpec): Promise<void> {
  const res = await sim.admin('POST', '/admin/faults', spec);
  expect(res.status).toBe(201);
}

describe('agent pool lifecycle', () => {
  it('answers a PUT with 201 Creating and async-operation headers, then reaches Succeeded with its node', async () => {
    const c = client();
    // Long enough to observe Creating between the PUT and the first poll.
    await addFault({ kind: 'SlowCreate', pool: 'life1', delayMs: 300, times: 1 });
    const poller = c.agentPools.createOrUpdate(RG, CLUSTER, 'life1', { vmSize: A100, count: 1, nodeLabels: { 'kaito.sh/workspace': 'ws1' }, nodeTaints: ['sku=gpu:NoSchedule'] }, poll);
    await poller.submitted();
    expect((await c.agentPools.get(RG, CLUSTER, 'life1')).provisioningState).toBe('Creating');
    const put = sim.requests.requests().find((r) => r.method === 'PUT' && r.path.endsWith('/life1'));
    expect(put?.status).toBe(201);
    const pool = await poller.pollUntilDone();
    // The poller followed Azure-AsyncOperation.
    expect(sim.requests.count('GET', '/operations/{operationId}')).toBeGreaterThan(0);
    expect(pool).toMatchObject({ name: 'life1', provisioningState: 'Succeeded', vmSize: A100, count: 1 });
    const node = [...nodes().nodes.values()].find((n) => n.pool === 'life1');
    expect(node?.labels).toMatchObject({ agentpool: 'life1', 'kubernetes.azure.com/agentpool': 'life1', 'node.kubernetes.io/instance-type': A100, 'kaito.sh/workspace': 'ws1' });
    expect(node?.providerID).toMatch(
      /^azure:\/\/\/subscriptions\/0{8}-0{4}-0{4}-0{4}-0{10}aa\/resourceGroups\/mc_rg-kaito_aks-kaito_eastus\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/aks-life1-\d{8}-vmss\/virtualMachines\/0$/,
    );
    expect(node?.taints).toEqual([{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }]);
  });

  it('deletes a pool with 202, removes its node, then answers 404 NotFound', async () => {
    const c = client();
    await c.agentPools.createOrUpdate(RG, CLUSTER, 'del1', { vmSize: A100, count: 1 }, poll);
    const nodeName = [...nodes().nodes.values()].find((n) => n.pool === 'del1')?.name;
    expect(nodeName).toBeDefined();
    await c.agentPools.delete(RG, CLUSTER, 'del1', poll);
    expect(sim.requests.requests().find((r) => r.method === 'DELETE' && r.path.endsWith('/del1'))?.status).toBe(202);
    expect(nodes().nodes.has(nodeName ?? '')).toBe(false);
    const err = await rejection(c.agentPools.get(RG, CLUSTER, 'del1'));
    expect(err.statusCode).toBe(404);
    expect(err.code).toBe('NotFound');
  });

  it('lists every pool across nextLink pages', async () => {
    const c = client();
    const names = ['page1', 'page2', 'page3', 'page4', 'page5'];
    await Promise.all(names.map((n) => c.agentPools.createOrUpdate(RG, CLUSTER, n, { vmSize: A100, count: 1 }, poll)));
    const before = sim.requests.count('GET', '/agentPools/{agentPoolName}') + sim.requests.count('GET', '/agentPools');
    const listed: string[] = [];
    for await (const p of c.agentPools.list(RG, CLUSTER)) listed.push(p.name ?? '');
    expect(listed).toEqual(expect.arrayContaining(names));
    const pages = sim.requests.count('GET', '/agentPools') + sim.requests.count('GET', '/agentPools/{agentPoolName}') - before;
    // page size 2: at least 3 pages for these 5 pools (others from earlier tests add more).
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(pages).toBe(Math.ceil(listed.length / 2));
  });

  it('refuses a PUT while the same pool is still creating, with 409 OperationNotAllowed', async () => {
    const c = client();
    await addFault({ kind: 'SlowCreate', pool: 'busy1', delayMs: 60_000, times: 1 });
    await c.agentPools.createOrUpdate(RG, CLUSTER, 'busy1', { vmSize: A100, count: 1 }, poll).submitted();
    const err = await rejection(c.agentPools.createOrUpdate(RG, CLUSTER, 'busy1', { vmSize: A100, count: 1 }, poll).submitted());
    expect(err.statusCode).toBe(409);
    expect(err.code).toBe('OperationNotAllowed');
  });

  it('rejects an invalid pool name and a VM size outside the catalog', async () => {
    const c = client();
    const badName = await rejection(c.agentPools.createOrUpdate(RG, CLUSTER, 'Bad-Name', { vmSize: A100 }, poll).submitted());
    expect([badName.statusCode, badName.code]).toEqual([400, 'InvalidParameter']);
    const badSize = await rejection(c.agentPools.createOrUpdate(RG, CLUSTER, 'nosize', { vmSize: 'Standard_D4s_v3' }, poll).submitted());
    expect([badSize.statusCode, badSize.code]).toEqual([400, 'SkuNotAvailable']);
  });

  it('reports the managed cluster power state, and refuses pool changes while it is stopped', async () => {
    const c = client();
    expect((await c.managedClusters.get(RG, CLUSTER)).powerState?.code).toBe('Running');
    expect((await sim.admin('PUT', '/admin/power-state', { code: 'Stopped' })).status).toBe(200);
    expect((await c.managedClusters.get(RG, CLUSTER)).powerState?.code).toBe('Stopped');
    const err = await rejection(c.agentPools.createOrUpdate(RG, CLUSTER, 'stopped1', { vmSize: A100 }, poll).submitted());
    expect([err.statusCode, err.code]).toEqual([409, 'OperationNotAllowed']);
  });
});

describe('injected faults', () => {
  it.each([
    ['QuotaExceeded', 400, 'QuotaExceeded'],
    ['OperationNotAllowedQuota', 400, 'OperationNotAllowed'],
    ['InsufficientVCPUQuota', 400, 'InsufficientVCPUQuota'],
    ['SkuNotAvailable', 400, 'SkuNotAvailable'],
    ['AllocationFailed', 409, 'AllocationFailed'],
    ['ZonalAllocationFailed', 409, 'ZonalAllocationFailed'],
    ['OverconstrainedAllocationRequest', 409, 'OverconstrainedAllocationRequest'],
    ['TooManyRequests', 429, 'TooManyRequests'],
    ['InternalServerError', 500, 'InternalServerError'],
  ] as const)('%s arrives as a RestError %i %s, once', async (kind, status, code) => {
    const c = client();
    const name = `f${kind.replace(/[a-z]/g, '').toLowerCase()}${kind.length}`;
    await addFault({ kind, times: 1 });
    const err = await rejection(c.agentPools.createOrUpdate(RG, CLUSTER, name, { vmSize: A100, count: 1 }, poll).pollUntilDone());
    expect(err.statusCode).toBe(status);
    expect(err.code).toBe(code);
    // One-shot: the retry goes through.
    await expect(c.agentPools.createOrUpdate(RG, CLUSTER, name, { vmSize: A100, count: 1 }, poll)).resolves.toMatchObject({ provisioningState: 'Succeeded' });
  });

  it('carries the quota family, region and required cores in a quota error', async () => {
    await addFault({ kind: 'QuotaExceeded', times: 1 });
    const err = await rejection(client().agentPools.createOrUpdate(RG, CLUSTER, 'quota2', { vmSize: A100 }, poll).submitted());
    expect(err.message).toContain('standardNCADSA100v4Family');
    expect(err.message).toContain('Location: eastus');
    expect(err.message).toContain('Additional Required: 24');
  });

  it('sends Retry-After with a 429', async () => {
    await addFault({ kind: 'TooManyRequests', retryAfterSeconds: 7, method: 'GET', times: 1 });
    const err = await rejection(client().managedClusters.get(RG, CLUSTER));
    expect(err.statusCode).toBe(429);
    expect(err.response?.headers.get('retry-after')).toBe('7');
  });

  it('answers a Custom fault with its status, code and Retry-After', async () => {
    await addFault({ kind: 'Custom', status: 409, code: 'InvalidParameter', message: 'osDiskSizeGB is too small', method: 'PUT', times: 1 });
    const err = await rejection(client().agentPools.createOrUpdate(RG, CLUSTER, 'custom1', { vmSize: A100 }, poll).submitted());
    expect([err.statusCode, err.code, err.message]).toEqual([409, 'InvalidParameter', 'osDiskSizeGB is too small']);
  });

  it('re-creates a Failed pool on the next PUT', async () => {
    const c = client();
    await addFault({ kind: 'AllocationFailed', phase: 'operation', pool: 'refail1', times: 1 });
    await c.agentPools.createOrUpdate(RG, CLUSTER, 'refail1', { vmSize: A100 }, poll).catch(() => undefined);
    expect((await c.agentPools.get(RG, CLUSTER, 'refail1')).provisioningState).toBe('Failed');
    await expect(c.agentPools.createOrUpdate(RG, CLUSTER, 'refail1', { vmSize: A100 }, poll)).resolves.toMatchObject({ provisioningState: 'Succeeded' });
  });

  it('keeps failing with a persistent fault until it is removed', async () => {
    const c = client();
    await addFault({ kind: 'SkuNotAvailable', vmSize: A100 });
    for (let i = 0; i < 2; i++) expect((await rejection(c.agentPools.createOrUpdate(RG, CLUSTER, 'persist1', { vmSize: A100 }, poll).submitted())).code).toBe('SkuNotAvailable');
    expect((await sim.admin('DELETE', '/admin/faults')).status).toBe(204);
    await expect(c.agentPools.createOrUpdate(RG, CLUSTER, 'persist1', { vmSize: A100 }, poll)).resolves.toMatchObject({ provisioningState: 'Succeeded' });
  });

  it('fails the async operation for AllocationFailed in the operation phase, leaving the pool Failed', async () => {
    const c = client();
    await addFault({ kind: 'AllocationFailed', phase: 'operation', times: 1 });
    const err = await c.agentPools.createOrUpdate(RG, CLUSTER, 'alloc2', { vmSize: A100 }, poll).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain('AllocationFailed');
    expect((await c.agentPools.get(RG, CLUSTER, 'alloc2')).provisioningState).toBe('Failed');
  });

  it('keeps a slow create in Creating until its delay has passed', async () => {
    const c = client();
    await addFault({ kind: 'SlowCreate', pool: 'slow1', delayMs: 400, times: 1 });
    const started = Date.now();
    const poller = c.agentPools.createOrUpdate(RG, CLUSTER, 'slow1', { vmSize: A100 }, poll);
    await poller.submitted();
    await new Promise((r) => setTimeout(r, 150));
    expect((await c.agentPools.get(RG, CLUSTER, 'slow1')).provisioningState).toBe('Creating');
    await poller.pollUntilDone();
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('leaves a stuck delete in Deleting, with its node', async () => {
    const c = client();
    await c.agentPools.createOrUpdate(RG, CLUSTER, 'stuck1', { vmSize: A100 }, poll);
    await addFault({ kind: 'StuckDelete', pool: 'stuck1', times: 1 });
    await c.agentPools.delete(RG, CLUSTER, 'stuck1', poll).submitted();
    await new Promise((r) => setTimeout(r, 200));
    expect((await c.agentPools.get(RG, CLUSTER, 'stuck1')).provisioningState).toBe('Deleting');
    expect([...nodes().nodes.values()].some((n) => n.pool === 'stuck1')).toBe(true);
  });
});

describe('authentication', () => {
  it('refuses a wrong federated token with an AADSTS error, and issues no token', async () => {
    const wrong = join(sim.certificates.caPath, '..', 'wrong-token');
    await writeFile(wrong, 'not-the-projected-token');
    const issued = sim.requests.count('POST', '/oauth2/v2.0/token');
    const err = await client(credential(wrong))
      .managedClusters.get(RG, CLUSTER)
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err?.name).toBe('AuthenticationRequiredError');
    expect(err?.message).toContain('AADSTS700213');
    expect(sim.requests.count('POST', '/oauth2/v2.0/token')).toBe(issued + 1);
    expect(sim.requests.requests().at(-1)).toMatchObject({ status: 401, code: 'invalid_client' });
  });

  it('answers 401 to an ARM call whose bearer token it did not issue', async () => {
    const forged: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: 'forged', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const err = await rejection(client(forged).managedClusters.get(RG, CLUSTER));
    expect([err.statusCode, err.code]).toEqual([401, 'InvalidAuthenticationToken']);
  });
});

describe('admin API', () => {
  it('rejects a fault with a bad kind, naming the field and an example', async () => {
    const res = await sim.admin('POST', '/admin/faults', { kind: 'Nope' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/kind: expected one of: QuotaExceeded.*example/);
  });

  it('serves counters by method, route and status, and the request log', async () => {
    const before = (await sim.admin('GET', '/admin/counters')).body as { counters: Record<string, number> };
    await client().managedClusters.get(RG, CLUSTER);
    const after = (await sim.admin('GET', '/admin/counters')).body as { counters: Record<string, number> };
    const key = 'GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName} 200';
    expect((after.counters[key] ?? 0) - (before.counters[key] ?? 0)).toBe(1);
    const log = (await sim.admin('GET', '/admin/requests')).body as { requests: { method: string; path: string }[] };
    expect(log.requests.at(-1)).toMatchObject({ method: 'GET', path: `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}` });
  });
});
