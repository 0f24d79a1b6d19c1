import { DecodeError } from '@kaito-ts/core';
import type { Machine } from './codecs/machine.js';
import type { NodeClaim } from './codecs/nodeclaim.js';
import { apiConditionType, decodeNodeRequest, fromMachine, fromNodeClaim, toMachine, toNodeClaim } from './node-request.js';
import { makeMachine, makeNodeClaim } from './testing/factories.js';

const machineWithStatus: Machine = {
  apiVersion: 'karpenter.sh/v1alpha5',
  kind: 'Machine',
  metadata: { name: 'ws0123abcd', uid: 'u1' },
  spec: {
    requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['Standard_NC12s_v3'] }],
    taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }],
    resources: { requests: { storage: '120Gi' } },
    machineTemplateRef: { name: 'ws0123abcd' },
  },
  status: {
    providerID: 'azure:///x',
    nodeName: 'aks-ws0123abcd-1-vmss000000',
    conditions: [
      { type: 'MachineLaunched', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' },
      { type: 'MachineRegistered', status: 'True', severity: 'Error' },
      { type: 'MachineInitialized', status: 'Unknown', reason: 'NodeNotReady', message: 'node not ready' },
      { type: 'Ready', status: 'Unknown' },
    ],
  },
};

describe('fromMachine', () => {
  it('normalises Machine condition names to the NodeClaim names', () => {
    expect(fromMachine(machineWithStatus).status.conditions.map((c) => c.type)).toEqual(['Launched', 'Registered', 'Initialized', 'Ready']);
  });

  it('fills a knative condition without reason or message with empty strings', () => {
    const launched = fromMachine(machineWithStatus).status.conditions[0];
    expect(launched).toEqual({ type: 'Launched', status: 'True', reason: '', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' });
  });

  it('reads v0.27 MachineCreated as Launched', () => {
    const old: Machine = { metadata: { name: 'm' }, status: { conditions: [{ type: 'MachineCreated', status: 'True' }] } };
    expect(fromMachine(old).status.conditions.map((c) => c.type)).toEqual(['Launched']);
  });

  it('round-trips through toMachine without loss', () => {
    expect(toMachine(fromMachine(machineWithStatus))).toEqual(machineWithStatus);
  });
});

describe('fromNodeClaim', () => {
  it('round-trips a NodeClaim with status through toNodeClaim', () => {
    const nc: NodeClaim = {
      ...makeNodeClaim({ metadata: { name: 'ws1' } }),
      status: {
        providerID: 'kwok://x',
        imageID: 'img-1',
        capacity: { 'nvidia.com/gpu': '1' },
        allocatable: { 'nvidia.com/gpu': '1' },
        conditions: [{ type: 'Launched', status: 'True', reason: 'Launched', message: '', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 }],
        lastPodEventTime: '2025-01-01T00:01:00Z',
      },
    };
    expect(toNodeClaim(fromNodeClaim(nc))).toEqual(nc);
  });

  it('writes the condition type as reason when a condition has none (the v1 CRD requires one)', () => {
    const r = fromNodeClaim({ metadata: { name: 'x' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } });
    expect(toNodeClaim(r).status?.conditions?.[0]?.reason).toBe('Ready');
  });
});

describe('apiConditionType', () => {
  it.each([
    ['machine', 'Launched', 'MachineLaunched'],
    ['machine', 'Ready', 'Ready'],
    ['nodeclaim', 'Launched', 'Launched'],
  ] as const)('spells %s %s as %s', (api, type, expected) => {
    expect(apiConditionType(api, type)).toBe(expected);
  });
});

describe('decodeNodeRequest', () => {
  it('decodes a Machine and a NodeClaim into the same view', () => {
    const m = decodeNodeRequest('machine', makeMachine({ metadata: { name: 'a' } }));
    const n = decodeNodeRequest('nodeclaim', makeNodeClaim({ metadata: { name: 'a' } }));
    expect(m.api).toBe('machine');
    expect(n.api).toBe('nodeclaim');
    expect(m.spec.taints).toEqual(n.spec.taints);
    expect(m.spec.resources).toEqual(n.spec.resources);
  });

  it('names the bad field when decoding fails', () => {
    const bad = { metadata: { name: 'x' }, spec: { taints: [{ key: 'sku', effect: 'Sometimes' }] } };
    expect(() => decodeNodeRequest('nodeclaim', bad)).toThrow(DecodeError);
    expect(() => decodeNodeRequest('nodeclaim', bad)).toThrow(/spec\.taints\[0\]\.effect/);
  });
});
