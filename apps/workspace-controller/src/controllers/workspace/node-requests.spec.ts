import { toMachine, toNodeClaim } from '@kaito-ts/karpenter';
import { desiredNodeRequest, nodeRequestName, workspaceSelector } from './node-requests.js';

const workspace = { name: 'phi-3', namespace: 'team-a' };

describe('desiredNodeRequest', () => {
  it('builds Kaito’s NodeClaim', () => {
    const nc = toNodeClaim(desiredNodeRequest({ api: 'nodeclaim', name: 'ws0a1b2c3d4', workspace, instanceType: 'Standard_NC24ads_A100_v4', storage: '120Gi' }));
    expect(nc).toEqual({
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodeClaim',
      metadata: {
        name: 'ws0a1b2c3d4',
        labels: { 'karpenter.sh/nodepool': 'kaito', 'kaito.sh/workspace': 'phi-3', 'kaito.sh/workspacenamespace': 'team-a' },
        annotations: { 'karpenter.sh/do-not-disrupt': 'true' },
      },
      spec: {
        requirements: [
          { key: 'karpenter.sh/nodepool', operator: 'In', values: ['kaito'] },
          { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['Standard_NC24ads_A100_v4'] },
          { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
        ],
        taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }],
        resources: { requests: { storage: '120Gi' } },
        nodeClassRef: { group: 'kaito.sh', kind: 'KaitoNodeClass', name: 'default' },
      },
    });
  });

  it('builds Kaito’s Machine-era Machine', () => {
    const m = toMachine(desiredNodeRequest({ api: 'machine', name: 'ws0a1b2c3d4', workspace, instanceType: 'Standard_NC12s_v3' }));
    expect(m.metadata.labels).toEqual({ 'karpenter.sh/provisioner-name': 'default', 'kaito.sh/workspace': 'phi-3', 'kaito.sh/workspacenamespace': 'team-a' });
    expect(m.spec?.requirements?.map((r) => `${r.key}=${r.values?.join('|')}`)).toEqual([
      'node.kubernetes.io/instance-type=Standard_NC12s_v3',
      'karpenter.sh/provisioner-name=default',
      'kaito.sh/machine-type=gpu',
      'kubernetes.io/arch=amd64',
      'kubernetes.io/os=linux',
    ]);
    expect(m.spec?.machineTemplateRef).toEqual({ name: 'ws0a1b2c3d4' });
    expect(m.spec?.resources?.requests).toEqual({ storage: '1024Gi' });
  });

  it('requests nvidia.com/gpu only when a GPU count is given', () => {
    const r = desiredNodeRequest({ api: 'nodeclaim', name: 'ws1', workspace, instanceType: 'x', gpuCount: 2 });
    expect(r.spec.resources.requests).toEqual({ storage: '1024Gi', 'nvidia.com/gpu': '2' });
  });

  it('never lets matchLabels override Kaito’s own labels', () => {
    const r = desiredNodeRequest({ api: 'nodeclaim', name: 'ws1', workspace, instanceType: 'x', matchLabels: { 'kaito.sh/workspace': 'other', app: 'llm' } });
    expect(r.metadata.labels).toMatchObject({ 'kaito.sh/workspace': 'phi-3', app: 'llm' });
  });

  it('sets the node image family annotation when given', () => {
    const r = desiredNodeRequest({ api: 'nodeclaim', name: 'ws1', workspace, instanceType: 'x', nodeImageFamily: 'azurelinux' });
    expect(r.metadata.annotations?.['kaito.sh/node-image-family']).toBe('azurelinux');
  });
});

describe('nodeRequestName', () => {
  it('is ws followed by 9 hex characters, as Kaito names them', () => {
    expect(nodeRequestName(workspace, '1')).toMatch(/^ws[0-9a-f]{9}$/);
  });

  it('differs by salt', () => {
    expect(nodeRequestName(workspace, '1')).not.toBe(nodeRequestName(workspace, '2'));
  });
});

describe('workspaceSelector', () => {
  it('selects a workspace’s requests by Kaito’s labels', () => {
    expect(workspaceSelector(workspace)).toBe('kaito.sh/workspace=phi-3,kaito.sh/workspacenamespace=team-a');
  });
});
