import type { NodeRequestCondition } from '@kaito-ts/karpenter';
import { makeNode, makeNodeRequest } from '@kaito-ts/karpenter/testing';
import { workloadReadiness } from './readiness.js';

const c = (type: string, status: NodeRequestCondition['status'], reason = type, message = ''): NodeRequestCondition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2025-01-01T00:00:00Z',
});

const TYPE = 'Standard_NC24ads_A100_v4';
const readyConditions = [c('Launched', 'True'), c('Registered', 'True'), c('Initialized', 'True'), c('Ready', 'True')];
const ready = makeNodeRequest('nodeclaim', { instanceType: TYPE, status: { conditions: readyConditions } });
const launching = (status: NodeRequestCondition['status'], reason: string, message = '') =>
  makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', status, reason, message)] } });

describe('workloadReadiness', () => {
  it('is ready when the request and its GPU node are ready and of the expected instance type', () => {
    expect(workloadReadiness(ready, makeNode({ instanceType: TYPE }))).toEqual({ ready: true, reason: 'NodesReady', message: '' });
  });

  it.each([
    ['a quota failure', launching('False', 'QuotaExceeded'), undefined, 'QuotaExceeded'],
    ['a stock-out', launching('False', 'InsufficientCapacity'), undefined, 'InsufficientCapacity'],
    ['an unavailable SKU', launching('False', 'SkuUnavailable'), undefined, 'SkuUnavailable'],
    ['a request the provider refused as invalid (terminal)', launching('False', 'InvalidRequest'), undefined, 'NodeRequestInvalid'],
    ['a transient launch failure', launching('Unknown', 'LaunchFailed'), undefined, 'NodeNotLaunched'],
    ['a launch in progress', launching('Unknown', 'Launching'), undefined, 'NodeNotLaunched'],
    ['a missing node', makeNodeRequest('nodeclaim', { status: { conditions: [c('Launched', 'True'), c('Registered', 'Unknown')] } }), undefined, 'NodeNotRegistered'],
    ['a NotReady node', ready, makeNode({ ready: 'False', instanceType: TYPE }), 'NodeNotInitialized'],
    ['the wrong instance type', ready, makeNode({ instanceType: 'Standard_NC6s_v3' }), 'NodeNotInitialized'],
    ['no allocatable GPU', ready, makeNode({ instanceType: TYPE, allocatable: { cpu: '8' } }), 'GpuNotReady'],
  ])('is not ready with %s', (_name, request, node, reason) => {
    const out = workloadReadiness(request, node);
    expect(out.ready).toBe(false);
    expect(out.reason).toBe(reason);
  });

  it('carries the provider’s message with a capacity failure', () => {
    expect(workloadReadiness(launching('False', 'QuotaExceeded', '0 of 24 cores free'), undefined).message).toContain('0 of 24 cores free');
  });

  it('checks the instance type the caller expects over the requested one', () => {
    expect(workloadReadiness(ready, makeNode({ instanceType: TYPE }), 'Standard_NC6s_v3')).toMatchObject({ ready: false, reason: 'NodeNotInitialized' });
  });
});
