import type { Taint } from '../codecs/common.js';
import { makeNode, makeNodeRequest } from '../testing/factories.js';
import { planRegistration, registeredNode } from './registration.js';

const unregistered: Taint = { key: 'karpenter.sh/unregistered', effect: 'NoExecute' };
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

describe('planRegistration', () => {
  it('waits while no node has the providerID', () => {
    expect(planRegistration(launched('nodeclaim'), [makeNode({ providerID: 'other' })]).condition).toMatchObject({ status: 'Unknown', reason: 'NodeNotFound' });
  });

  it('refuses to pick between two nodes with the same providerID', () => {
    const nodes = [makeNode({ providerID: 'fake:///i-1' }), makeNode({ providerID: 'fake:///i-1' })];
    expect(planRegistration(launched('nodeclaim'), nodes).condition).toMatchObject({ status: 'Unknown', reason: 'MultipleNodesFound' });
  });

  it('registers the one node with the providerID', () => {
    const node = makeNode({ providerID: 'fake:///i-1', taints: [unregistered] });
    const out = planRegistration(launched('nodeclaim'), [node]);
    expect(out.condition).toMatchObject({ status: 'True', reason: 'Registered' });
    expect(out.node).toBe(node);
    expect(out.desiredNode).toBeDefined();
  });

  it('leaves an already registered node alone', () => {
    const r = launched('nodeclaim');
    const node = registeredNode(makeNode({ providerID: 'fake:///i-1' }), r);
    const registered = { ...r, status: { ...r.status, conditions: [...r.status.conditions, { type: 'Registered', status: 'True' as const, reason: 'Registered', message: '', lastTransitionTime: '' }] } };
    expect(planRegistration(registered, [node]).desiredNode).toBeUndefined();
  });
});

describe('registeredNode', () => {
  it.each(['nodeclaim', 'machine'] as const)('syncs labels, taints, finalizer and owner from a %s', (api) => {
    const r = launched(api, { spec: { startupTaints: [{ key: 'nvidia.com/driver', effect: 'NoSchedule' }] } });
    const node = registeredNode(makeNode({ providerID: 'fake:///i-1', taints: [unregistered] }), r);
    expect(node.metadata.labels).toMatchObject({
      'karpenter.sh/registered': 'true',
      'kaito.sh/workspace': 'ws-test',
      'node.kubernetes.io/instance-type': 'Standard_NC24ads_A100_v4',
    });
    expect(node.metadata.annotations).toMatchObject({ 'karpenter.sh/do-not-disrupt': 'true' });
    expect(node.spec?.taints).toEqual([
      { key: 'sku', value: 'gpu', effect: 'NoSchedule' },
      { key: 'nvidia.com/driver', effect: 'NoSchedule' },
    ]);
    expect(node.metadata.finalizers).toEqual(['karpenter.sh/termination']);
    expect(node.metadata.ownerReferences).toEqual([
      {
        apiVersion: api === 'machine' ? 'karpenter.sh/v1alpha5' : 'karpenter.sh/v1',
        kind: api === 'machine' ? 'Machine' : 'NodeClaim',
        name: 'ws1',
        uid: 'uid-ws1',
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('does not add startup taints back to a node that registered before', () => {
    const r = launched('nodeclaim', { spec: { startupTaints: [{ key: 'nvidia.com/driver', effect: 'NoSchedule' }] } });
    const node = registeredNode(makeNode({ providerID: 'fake:///i-1', metadata: { labels: { 'karpenter.sh/registered': 'true' } } }), r);
    expect(node.spec?.taints).toEqual([{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }]);
  });

  it('honours karpenter.sh/do-not-sync-taints but still removes the unregistered taint', () => {
    const node = registeredNode(
      makeNode({ providerID: 'fake:///i-1', taints: [unregistered], metadata: { labels: { 'karpenter.sh/do-not-sync-taints': 'true' } } }),
      launched('nodeclaim'),
    );
    expect(node.spec?.taints).toEqual([]);
  });
});
