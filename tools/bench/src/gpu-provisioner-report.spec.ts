import { armRequestKind, formatGpuProvisionerReport, percentile, requestsByKind } from './gpu-provisioner-report.js';

const POOLS = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName}/agentPools';

describe('armRequestKind', () => {
  it.each([
    [`PUT ${POOLS}/{agentPoolName} 201`, 'PUT agentPool'],
    [`GET ${POOLS}/{agentPoolName} 404`, 'GET agentPool'],
    [`GET ${POOLS} 200`, 'LIST agentPools (page)'],
    ['GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName} 200', 'GET managedCluster'],
    ['GET /subscriptions/{subscriptionId}/providers/Microsoft.ContainerService/locations/{location}/operations/{operationId} 200', 'GET operation status'],
    ['POST /{tenantId}/oauth2/v2.0/token 200', 'POST Entra token'],
  ])('names %s as %s', (key, kind) => {
    expect(armRequestKind(key)).toBe(kind);
  });
});

describe('requestsByKind', () => {
  it('sums statuses of one kind and counts the failed ones apart', () => {
    const kinds = requestsByKind({ [`GET ${POOLS}/{agentPoolName} 200`]: 7, [`GET ${POOLS}/{agentPoolName} 404`]: 3, [`PUT ${POOLS}/{agentPoolName} 201`]: 2 });
    expect(Object.fromEntries(kinds)).toEqual({ 'GET agentPool': { total: 10, failed: 3 }, 'PUT agentPool': { total: 2, failed: 0 } });
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect([percentile(xs, 50), percentile(xs, 95), percentile(xs, 100), percentile([], 50)]).toEqual([5, 10, 10, Number.NaN]);
  });
});

describe('formatGpuProvisionerReport', () => {
  const text = formatGpuProvisionerReport({
    claims: 2,
    concurrency: 10,
    createDelayMs: 5_000,
    deleteDelayMs: 2_000,
    pollIntervalMs: 100,
    createCounters: { [`PUT ${POOLS}/{agentPoolName} 201`]: 2, [`GET ${POOLS}/{agentPoolName} 200`]: 6 },
    deleteCounters: { [`DELETE ${POOLS}/{agentPoolName} 202`]: 2, [`GET ${POOLS}/{agentPoolName} 404`]: 2 },
    nodeReadyToInitializedMs: [1_000, 3_000],
    createToInitializedMs: [8_000, 9_000],
    allReadyMs: 9_500,
    allGoneMs: 4_000,
  });

  it('gives requests per claim by kind for each phase and for the whole lifecycle', () => {
    expect(text).toContain('  | PUT agentPool | 2 | 1.00 | 0 |');
    expect(text).toContain('  | GET agentPool | 2 | 1.00 | 2 |');
    expect(text).toContain('ARM requests per claim lifecycle (create → Ready → delete): 6.00');
  });

  it('gives the Node Ready → Initialized percentiles', () => {
    expect(text).toContain('Node Ready → claim Initialized: p50 1.0 s, p95 3.0 s, max 3.0 s');
  });

  it('states what the reference’s 30 s polling implies for the same times', () => {
    expect(text).toContain('≈ 2 ARM requests per create (PUT + 1 status poll) + 3 per delete (GET, DELETE, 1 poll) = ≈ 5 per lifecycle');
    expect(text).toContain('≥ 30 s from PUT to Launched');
  });
});
