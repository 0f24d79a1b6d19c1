import { makeNode, makeNodeRequest } from '../testing/factories.js';
import { missingResources, planInitialization } from './initialization.js';

const launched = (api: 'machine' | 'nodeclaim', extra: Parameters<typeof makeNodeRequest>[1] = {}) =>
  makeNodeRequest(api, {
    ...extra,
    metadata: { name: 'ws1', uid: 'uid-ws1', ...extra.metadata },
    status: {
      providerID: 'fake:///i-1',
      conditions: [{ type: 'Launched', status: 'True', reason: 'Launched', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }],
      ...extra.status,
    },
  });

describe('planInitialization', () => {
  const registered = launched('nodeclaim');

  it.each([
    ['no registered node', undefined, 'AwaitingRegistration'],
    ['a NotReady node', makeNode({ providerID: 'fake:///i-1', ready: 'False' }), 'NodeNotReady'],
    ['an ephemeral not-ready taint', makeNode({ providerID: 'fake:///i-1', taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }), 'NodeNotReady'],
    ['no GPU allocatable yet', makeNode({ providerID: 'fake:///i-1', allocatable: { cpu: '8', 'nvidia.com/gpu': '0' } }), 'ResourcesNotAllocatable'],
  ])('waits with %s', (_name, node, reason) => {
    expect(planInitialization(registered, node).condition).toMatchObject({ status: 'Unknown', reason });
  });

  it('waits while a startup taint remains', () => {
    const r = launched('nodeclaim', { spec: { startupTaints: [{ key: 'nvidia.com/driver', effect: 'NoSchedule' }] } });
    const node = makeNode({ providerID: 'fake:///i-1', taints: [{ key: 'nvidia.com/driver', effect: 'NoSchedule' }] });
    expect(planInitialization(r, node).condition).toMatchObject({ status: 'Unknown', reason: 'StartupTaintsRemain' });
  });

  it('initializes a Ready node with the requested GPU allocatable and labels it', () => {
    const out = planInitialization(registered, makeNode({ providerID: 'fake:///i-1' }));
    expect(out.condition).toMatchObject({ status: 'True', reason: 'Initialized' });
    expect(out.desiredNode?.metadata.labels?.['karpenter.sh/initialized']).toBe('true');
  });

  it('ignores the storage request, which no node advertises', () => {
    const r = launched('nodeclaim', { spec: { resources: { requests: { storage: '1024Gi' } } } });
    expect(missingResources(r, makeNode({ allocatable: { cpu: '8' } }))).toEqual([]);
  });
});
