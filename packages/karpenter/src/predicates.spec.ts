import type { NodeRequestCondition } from './conditions.js';
import { failedWithReason, gpuAllocatable, isReady, launchFailure, requestedInstanceType, requirementLabels } from './predicates.js';
import { makeNode, makeNodeRequest } from './testing/factories.js';

const c = (type: string, status: NodeRequestCondition['status'], reason = type, message = ''): NodeRequestCondition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2025-01-01T00:00:00Z',
});

const readyConditions = [c('Launched', 'True'), c('Registered', 'True'), c('Initialized', 'True'), c('Ready', 'True')];

describe('launchFailure', () => {
  it.each([
    ['QuotaExceeded', 'False', true, false],
    ['InsufficientCapacity', 'False', true, false],
    ['SkuUnavailable', 'False', true, false],
    ['InvalidRequest', 'False', false, true],
    ['LaunchFailed', 'Unknown', false, false],
  ] as const)('reports %s (Launched=%s) with capacity=%p, terminal=%p', (reason, status, capacity, terminal) => {
    const r = makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', status, reason, 'no')] } });
    expect(launchFailure(r)).toEqual({ reason, message: 'no', capacity, terminal });
    expect(failedWithReason(r, reason)).toBe(true);
  });

  it('reports nothing while launching normally', () => {
    expect(launchFailure(makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', 'Unknown', 'Launching')] } }))).toBeUndefined();
  });

  it('reports nothing once launched', () => {
    expect(launchFailure(makeNodeRequest('machine', { status: { conditions: readyConditions } }))).toBeUndefined();
  });
});

describe('requirements', () => {
  it('takes the first instance type in the order written', () => {
    const r = makeNodeRequest('nodeclaim', {
      spec: { requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['b', 'a'] }] },
    });
    expect(requestedInstanceType(r)).toBe('b');
  });

  it('turns single-value In requirements into labels and ignores the rest', () => {
    expect(
      requirementLabels([
        { key: 'a', operator: 'In', values: ['1'] },
        { key: 'b', operator: 'In', values: ['1', '2'] },
        { key: 'c', operator: 'Exists' },
      ]),
    ).toEqual({ a: '1' });
  });
});

describe('gpuAllocatable', () => {
  it('counts allocatable GPUs', () => {
    expect(gpuAllocatable(makeNode({ allocatable: { 'nvidia.com/gpu': '8' } }))).toBe(8);
  });

  it('is 0 for a node without the resource', () => {
    expect(gpuAllocatable(makeNode({ allocatable: { cpu: '8' } }))).toBe(0);
  });
});

describe('isReady', () => {
  it('reads the Ready condition', () => {
    expect(isReady(makeNodeRequest('nodeclaim', { status: { conditions: readyConditions } }))).toBe(true);
    expect(isReady(makeNodeRequest('nodeclaim', { status: { conditions: [c('Ready', 'Unknown')] } }))).toBe(false);
  });
});
