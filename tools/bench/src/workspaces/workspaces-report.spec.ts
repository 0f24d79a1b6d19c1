import { type Counts, countsFromMetrics, diffCounts, flowSchemaName, flowSchemas, RESOURCES, totals, VERBS } from './attribution.js';
import { parseRunSpec } from './runs.js';
import { comparedRequests, formatBreakdown, formatWorkspacesReport, perWorkspace, readyLatencies, type RunResult } from './workspaces-report.js';

/** A counts table from `{ 'verb resource': n }`. */
function counts(cells: Record<string, number> = {}): Counts {
  const out = Object.fromEntries(VERBS.map((v) => [v, Object.fromEntries(RESOURCES.map((r) => [r, cells[`${v} ${r}`] ?? 0]))]));
  return out as unknown as Counts;
}

const metrics = (series: Record<string, number>): string =>
  [
    '# HELP apiserver_flowcontrol_dispatched_requests_total [BETA] Number of requests executed by API Priority and Fairness subsystem.',
    '# TYPE apiserver_flowcontrol_dispatched_requests_total counter',
    ...Object.entries(series).map(([schema, n]) => `apiserver_flowcontrol_dispatched_requests_total{flow_schema="${schema}",priority_level="workload-low"} ${n}`),
    'apiserver_flowcontrol_dispatched_requests_total{flow_schema="service-accounts",priority_level="workload-low"} 999',
    'apiserver_request_total{code="201",resource="workspaces",verb="POST"} 77',
  ].join('\n');

describe('attribution', () => {
  it('makes one FlowSchema per verb and resource, matching only the ServiceAccount, ahead of the built-in service-accounts schema', () => {
    const schemas = flowSchemas({ namespace: 'bench-system', name: 'workspace-controller' }, { prefix: 'b' }) as { metadata: { name: string }; spec: Record<string, unknown> }[];
    expect(schemas).toHaveLength(VERBS.length * RESOURCES.length);
    const status = schemas.find((s) => s.metadata.name === 'b-patch-workspaces-status');
    expect(status?.spec).toMatchObject({
      priorityLevelConfiguration: { name: 'workload-low' },
      matchingPrecedence: 500,
      rules: [
        {
          subjects: [{ kind: 'ServiceAccount', serviceAccount: { name: 'workspace-controller', namespace: 'bench-system' } }],
          resourceRules: [{ verbs: ['patch'], resources: ['workspaces/status'] }],
        },
      ],
    });
    // The catch-all of a verb matches after its named resources, non-resource URLs included.
    expect(schemas.find((s) => s.metadata.name === 'b-get-other')?.spec).toMatchObject({
      matchingPrecedence: 501,
      rules: [{ resourceRules: [{ resources: ['*'] }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['*'] }] }],
    });
  });

  it('reads only its own schemas’ dispatched counts from /metrics, as a verb × resource table', () => {
    const c = countsFromMetrics(metrics({ [flowSchemaName('b', 'create', 'nodeclaims')]: 200, [flowSchemaName('b', 'patch', 'workspaces/status')]: 412, 'b2-create-events': 5 }), 'b');
    expect(c.create.nodeclaims).toBe(200);
    expect(c.patch['workspaces/status']).toBe(412);
    expect(c.create.events).toBe(0);
    expect(totals(c)).toMatchObject({ total: 612, writes: 612 });
  });

  it('subtracts a baseline cell by cell, and counts reads apart from writes', () => {
    const before = counts({ 'list workspaces': 1, 'watch workspaces': 1, 'create nodeclaims': 3 });
    const after = counts({ 'list workspaces': 1, 'watch workspaces': 2, 'create nodeclaims': 53, 'patch workspaces': 50, 'get other': 4 });
    const t = totals(diffCounts(after, before));
    expect(t).toMatchObject({ total: 105, writes: 100 });
    expect(t.byVerb).toMatchObject({ watch: 1, create: 50, patch: 50, get: 4, list: 0 });
    expect(t.byResource).toMatchObject({ nodeclaims: 50, workspaces: 51, other: 4 });
  });
});

describe('readyLatencies', () => {
  it.each([
    [[3, 1, 2, 4], 4, { ready: 4, p50: 2.5, all: 4 }],
    [[3, 1, 2], 4, { ready: 3, p50: 2 }],
    [[], 4, { ready: 0 }],
  ])('of %j with %d Workspaces is %j', (readyS, count, expected) => expect(readyLatencies(readyS, count)).toEqual(expected));
});

describe('perWorkspace', () => {
  it('divides by the Workspaces and lists the non-zero cells, largest first', () => {
    const p = perWorkspace(counts({ 'patch workspaces': 50, 'patch workspaces/status': 100, 'create events': 150, 'list workspaces': 1 }), 50);
    expect(p.total).toBeCloseTo(6.02);
    expect(p.writes).toBe(6);
    expect(p.byVerb.patch).toBe(3);
    expect(p.cells.map((c) => `${c.verb} ${c.resource} ${c.perWorkspace}`)).toEqual(['create events 3', 'patch workspaces/status 2', 'patch workspaces 1', 'list workspaces 0.02']);
  });
});

function run(overrides: Partial<RunResult>): RunResult {
  return {
    mode: 'nodeclaim',
    count: 200,
    sku: 'Standard_NC24ads_A100_v4',
    nodeRequestsSeen: 200,
    readyS: [],
    requests: counts(),
    steady: counts(),
    steadySeconds: 60,
    rssIdleBytes: 60 * 2 ** 20,
    rssEndBytes: 90 * 2 ** 20,
    rssPeakBytes: 95 * 2 ** 20,
    load: { start: 3.5, end: 4 },
    ...overrides,
  };
}

describe('comparedRequests', () => {
  it('compares NodeClaim mode with the kwok provisioner up to the moment every node request exists, as the reference ended there', () => {
    const toRequests = counts({ 'create nodeclaims': 200 });
    expect(comparedRequests(run({ requestsToNodeRequests: toRequests, requests: counts({ 'create nodeclaims': 200, 'create statefulsets': 200 }) })).counts).toBe(toRequests);
  });

  it('compares BYO over the whole run to Ready', () => {
    const all = counts({ 'patch statefulsets': 200 });
    expect(comparedRequests(run({ mode: 'byo', requests: all })).counts).toBe(all);
  });
});

describe('formatBreakdown', () => {
  it('says when the StatefulSets appeared and their pods turned Ready, next to WorkspaceReady: the cluster’s part and the controller’s', () => {
    const text = formatBreakdown(run({ mode: 'byo', statefulSetsS: [1, 2, 3], podsReadyS: [10, 20, 30], readyS: [11, 21, 31] }));
    expect(text).toContain('from T0: StatefulSets seen p50 2.0 s, last 3.0 s (3); pods Ready p50 20.0 s, last 30.0 s (3); WorkspaceReady p50 21.0 s, last 31.0 s (3)');
  });
});

describe('formatWorkspacesReport', () => {
  it('puts each run next to the reference and the target, with a verdict per target', () => {
    const text = formatWorkspacesReport({
      node: 'v20',
      cpus: 2,
      controller: 'from source',
      runs: [
        run({
          nodeRequestsS: 12.3,
          readyS: [10, 20, 30],
          requestsToNodeRequests: counts({ 'patch workspaces': 200, 'create nodeclaims': 200, 'create events': 200, 'patch workspaces/status': 200, 'list workspaces': 2 }),
          requests: counts({ 'patch workspaces': 200, 'create nodeclaims': 200 }),
          steady: counts({ 'get other': 3 }),
          cpuSeconds: 30,
        }),
      ],
    });
    expect(text).toContain('| ours: nodeclaim, Standard_NC24ads_A100_v4 | 200 | 12.3 s ✓ | 20.0 s / 3/200 Ready | 4.0 ✓ | 60 → 90 MiB (peak 95) ✓ | 0 in 60 s ✓ | 3.50 → 4.00 |');
    expect(text).toContain('| Kaito v0.12 (NodeClaim, no provisioner) | 200 | 28.3 s | – | 8.3 | 53 → 66 MiB | 0 in 60 s |  |');
    expect(text).toContain('| target | 200 | ≤ 14 s |  | ≤ 6 | ≤ 100 MiB | 0 |  |');
    expect(text).toContain('T0 → all node requests exist: 4.01 requests/Workspace (4.00 writes): list 0.01, create 2.00, patch 2.00');
    expect(text).toContain('steady 60 s: get other 3');
    expect(text).toContain('controller CPU from T0 until still: 30.0 s (150 ms per Workspace)');
  });

  it('marks a missed target and a run that did not finish', () => {
    const text = formatWorkspacesReport({
      node: 'v20',
      cpus: 2,
      controller: 'from source',
      runs: [run({ mode: 'byo', readyS: [5, 6], requests: counts({ 'create events': 2000 }), steady: counts({ 'patch workspaces/status': 2 }), incomplete: '2/200 WorkspaceReady within 300 s' })],
    });
    expect(text).toContain('| ours: byo, Standard_NC24ads_A100_v4 | 200 | – | 5.5 s / 2/200 Ready ✗ | 10.0 ✗ | 60 → 90 MiB (peak 95) ✓ | 2 in 60 s ✗ |');
    expect(text).toContain('| Kaito v0.12 (BYO) | 200 | – | 65.0 s / 72.5 s | 11.3 |');
    expect(text).toContain('incomplete: 2/200 WorkspaceReady within 300 s');
  });
});

describe('parseRunSpec', () => {
  it('reads MODE/COUNT/SKU', () => expect(parseRunSpec('byo/200/Standard_NC6s_v3')).toEqual({ mode: 'byo', count: 200, sku: 'Standard_NC6s_v3' }));

  it.each([
    ['byo/200', 'expected MODE/COUNT/SKU'],
    ['machine/200/Standard_NC6s_v3', 'mode must be one of nodeclaim, nodeclaim-only, byo, byo-floor, got "machine"'],
    ['byo/0/Standard_NC6s_v3', 'count must be a positive whole number, got "0"'],
  ])('refuses %s, saying why', (text, message) => expect(() => parseRunSpec(text)).toThrow(message));
});
