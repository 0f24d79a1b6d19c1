import type { NodeRequestCondition } from './conditions.js';
import { failedWithReason, gpuAllocatable, isReady, launchFailure, requestedInstanceType, requirementLabels, workloadReadiness } from './predicates.js';
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
    ['QuotaExceeded', 'False', true],
    ['InsufficientCapacity', 'False', true],
    ['SkuUnavailable', 'False', true],
    ['LaunchFailed', 'Unknown', false],
  ] as const)('reports %s (Launched=%s) with capacity=%p', (reason, status, capacity) => {
    const r = makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', status, reason, 'no')] } });
    expect(launchFailure(r)).toEqual({ reason, message: 'no', capacity });
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

describe('workloadReadiness', () => {
  const ready = makeNodeRequest('nodeclaim', { instanceType: 'Standard_NC24ads_A100_v4', status: { conditions: readyConditions } });

  it('is ready when the request and its GPU node are ready and of the expected instance type', () => {
    expect(workloadReadiness(ready, makeNode({ instanceType: 'Standard_NC24ads_A100_v4' }))).toEqual({ ready: true, reason: 'NodesReady', message: '' });
    expect(isReady(ready)).toBe(true);
  });

  it.each([
    ['a quota failure', makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', 'False', 'QuotaExceeded')] } }), undefined, 'QuotaExceeded'],
    ['a launch in progress', makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', 'Unknown', 'Launching')] } }), undefined, 'NodeNotLaunched'],
    ['a missing node', makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', 'True'), c('Registered', 'Unknown')] } }), undefined, 'NodeNotRegistered'],
    ['a NotReady node', ready, makeNode({ ready: 'False', instanceType: 'Standard_NC24ads_A100_v4' }), 'NodeNotInitialized'],
    ['the wrong instance type', ready, makeNode({ instanceType: 'Standard_NC6s_v3' }), 'NodeNotInitialized'],
    ['no allocatable GPU', ready, makeNode({ instanceType: 'Standard_NC24ads_A100_v4', allocatable: { cpu: '8' } }), 'GpuNotReady'],
  ])('is not ready with %s', (_name, request, node, reason) => {
    const out = workloadReadiness(request, node);
    expect(out.ready).toBe(false);
    expect(out.reason).toBe(reason);
  });

  it('counts allocatable GPUs', () => {
    expect(gpuAllocatable(makeNode({ allocatable: { 'nvidia.com/gpu': '8' } }))).toBe(8);
  });
});
