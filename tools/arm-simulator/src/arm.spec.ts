import { ArmState, type ArmRequest } from './arm.js';
import { FaultBook, familyOf } from './faults.js';
import { MemoryNodeSink } from './node-sink.js';
import { routeOf } from './request-log.js';

const CLUSTER_PATH = '/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/aks1';
const q = new URLSearchParams({ 'api-version': '2026-04-01' });

function setup(): { state: ArmState; nodes: MemoryNodeSink; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const nodes = new MemoryNodeSink();
  const state = new ArmState({
    cluster: { subscriptionId: 'sub1', resourceGroup: 'rg1', name: 'aks1', location: 'westus3' },
    createDelayMs: 1000,
    deleteDelayMs: 1000,
    pageSize: 10,
    nodes,
    faults: new FaultBook((a, b) => a === b),
    baseUrl: () => 'https://127.0.0.1:1',
    now: () => clock.now,
  });
  return { state, nodes, clock };
}

const put = (name: string, vmSize = 'Standard_NC24ads_A100_v4'): ArmRequest => ({ method: 'PUT', path: `${CLUSTER_PATH}/agentPools/${name}`, query: q, body: { properties: { vmSize, count: 1 } } });
const get = (name: string): ArmRequest => ({ method: 'GET', path: `${CLUSTER_PATH}/agentPools/${name}`, query: q, body: undefined });
const stateOf = (body: unknown): unknown => (body as { properties: { provisioningState: string } }).properties.provisioningState;

describe('ArmState', () => {
  it('stays Creating while the node cannot be made, and succeeds once it can', async () => {
    const { state, nodes, clock } = setup();
    expect((await state.handle(put('gpu1'))).status).toBe(201);
    nodes.failWith = new Error('api server down');
    clock.now += 1500;
    expect(stateOf((await state.handle(get('gpu1'))).body)).toBe('Creating');
    nodes.failWith = undefined;
    expect(stateOf((await state.handle(get('gpu1'))).body)).toBe('Succeeded');
    expect([...nodes.nodes.keys()]).toEqual([expect.stringMatching(/^aks-gpu1-\d{8}-vmss000000$/)]);
  });

  it('makes one node per VM of the pool, numbered as the scale set numbers them, and removes them all on delete', async () => {
    const { state, nodes, clock } = setup();
    await state.handle({ ...put('gpu3'), body: { properties: { vmSize: 'Standard_NC24ads_A100_v4', count: 2 } } });
    clock.now += 1000;
    await state.advance();
    expect([...nodes.nodes.values()].map((n) => n.providerID.replace(/.*\/virtualMachineScaleSets\//, ''))).toEqual([
      expect.stringMatching(/^aks-gpu3-\d{8}-vmss\/virtualMachines\/0$/),
      expect.stringMatching(/^aks-gpu3-\d{8}-vmss\/virtualMachines\/1$/),
    ]);
    expect((await state.handle({ ...get('gpu3'), method: 'DELETE' })).status).toBe(202);
    clock.now += 1000;
    await state.advance();
    expect(nodes.nodes.size).toBe(0);
    expect((await state.handle(get('gpu3'))).status).toBe(404);
  });

  it('answers a missing api-version with 400 MissingApiVersionParameter and an unknown one with InvalidApiVersionParameter', async () => {
    const { state } = setup();
    const missing = await state.handle({ ...get('x'), query: new URLSearchParams() });
    expect([missing.status, (missing.body as { error: { code: string } }).error.code]).toEqual([400, 'MissingApiVersionParameter']);
    const unknown = await state.handle({ ...get('x'), query: new URLSearchParams({ 'api-version': '2019-01-01' }) });
    expect([unknown.status, (unknown.body as { error: { code: string } }).error.code]).toEqual([400, 'InvalidApiVersionParameter']);
  });

  it('answers a request for another cluster with 404 ResourceNotFound', async () => {
    const { state } = setup();
    const res = await state.handle({ ...get('x'), path: get('x').path.replace('aks1', 'other') });
    expect([res.status, (res.body as { error: { code: string } }).error.code]).toEqual([404, 'ResourceNotFound']);
  });

  it('names the bad field of an invalid PUT body', async () => {
    const { state } = setup();
    const res = await state.handle({ ...put('gpu2'), body: { properties: { vmSize: 'Standard_NC24ads_A100_v4', count: -1 } } });
    expect(res.status).toBe(400);
    expect((res.body as { error: { message: string } }).error.message).toContain('properties.count');
  });

  it('answers DELETE of an absent pool with 204', async () => {
    const { state } = setup();
    expect((await state.handle({ ...get('none'), method: 'DELETE' })).status).toBe(204);
  });
});

describe('familyOf', () => {
  it.each([
    ['Standard_NC24ads_A100_v4', 'standardNCADSA100v4Family'],
    ['Standard_NC6s_v3', 'standardNCSv3Family'],
    ['Standard_ND96asr_v4', 'standardNDASRv4Family'],
  ])('%s is in quota family %s', (size, family) => {
    expect(familyOf(size)).toBe(family);
  });
});

describe('routeOf', () => {
  it('replaces names so counters group like requests', () => {
    expect(routeOf(`${CLUSTER_PATH}/agentPools/gpu1`)).toBe(
      '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName}/agentPools/{agentPoolName}',
    );
    expect(routeOf('/tenant-1/oauth2/v2.0/token')).toBe('/{tenantId}/oauth2/v2.0/token');
  });
});
