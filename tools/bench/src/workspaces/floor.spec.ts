import type { KubeObject } from '@kaito-ts/controller-runtime';
import { dispatchedBySchema } from './attribution.js';
import { copyFor } from './floor-objects.js';
import { formatFloors, type FloorResult } from './workspaces-report.js';

const owner = [{ apiVersion: 'kaito.sh/v1beta1', kind: 'Workspace', name: 'ws-tpl', uid: 'u1', controller: true }];
const meta = (name: string) => ({ name, namespace: 'bench', uid: 'u2', resourceVersion: '7', creationTimestamp: 'x', generation: 1, managedFields: [{}], ownerReferences: owner, labels: { 'kaito.sh/workspace': 'ws-tpl' } });

describe('copyFor', () => {
  it('names the StatefulSet, its selector and its node affinity for the new Workspace, without the owner, server metadata or status', () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('ws-tpl'),
      spec: { selector: { matchLabels: { 'kaito.sh/workspace': 'ws-tpl' } }, template: { spec: { affinity: { values: ['ws-tpl'] }, containers: [{ args: ['--chat-template=x'] }] } } },
      status: { replicas: 1 },
    } as unknown as KubeObject;
    expect(copyFor(sts, 'ws-007')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'ws-007', namespace: 'bench', labels: { 'kaito.sh/workspace': 'ws-007' } },
      spec: { selector: { matchLabels: { 'kaito.sh/workspace': 'ws-007' } }, template: { spec: { affinity: { values: ['ws-007'] }, containers: [{ args: ['--chat-template=x'] }] } } },
    });
  });

  it('releases a Service’s cluster IP, but keeps a headless Service headless', () => {
    const svc = (name: string, clusterIP: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: meta(name), spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ port: 80 }] } }) as unknown as KubeObject;
    expect(copyFor(svc('ws-tpl', '10.0.0.9'), 'ws-001')).toMatchObject({ metadata: { name: 'ws-001' }, spec: { ports: [{ port: 80 }] } });
    expect((copyFor(svc('ws-tpl', '10.0.0.9'), 'ws-001') as { spec?: object }).spec).not.toHaveProperty('clusterIP');
    expect(copyFor(svc('ws-tpl-headless', 'None'), 'ws-001')).toMatchObject({ metadata: { name: 'ws-001-headless' }, spec: { clusterIP: 'None' } });
  });
});

describe('dispatchedBySchema', () => {
  it('sums each FlowSchema’s dispatched requests over priority levels and ignores other series', () => {
    const text = [
      'apiserver_flowcontrol_dispatched_requests_total{flow_schema="kube-controller-manager",priority_level="workload-high"} 10',
      'apiserver_flowcontrol_dispatched_requests_total{flow_schema="kube-controller-manager",priority_level="global-default"} 2',
      'apiserver_flowcontrol_dispatched_requests_total{flow_schema="exempt",priority_level="exempt"} 5',
      'apiserver_request_total{code="201",resource="pods",verb="POST"} 77',
    ].join('\n');
    expect(dispatchedBySchema(text)).toEqual(new Map([['kube-controller-manager', 12], ['exempt', 5]]));
  });
});

describe('formatFloors', () => {
  const floor = (over: Partial<FloorResult> = {}): FloorResult => ({
    mode: 'byo-floor',
    count: 200,
    sku: 'Standard_NC6s_v3',
    createdS: 3.2,
    readyS: [10, 20, 30],
    dispatched: [{ schema: 'kube-controller-manager', requests: 900 }],
    load: { start: 1, end: 2 },
    ...over,
  });
  it('prints the time to the last pod Ready next to the BYO target, and who sent the requests', () => {
    const text = formatFloors([floor({ count: 3 }), floor()]);
    expect(text).toContain('| byo-floor, Standard_NC6s_v3 | 3 | 3.2 s | 20.0 s / 30.0 s |  |');
    expect(text).toContain('| byo-floor, Standard_NC6s_v3 | 200 | 3.2 s | 20.0 s / 3/200 Ready | all ≤ 18 s |');
    expect(text).toContain('by FlowSchema: kube-controller-manager 900');
  });
  it('is empty without floor runs', () => expect(formatFloors([])).toBe(''));
});
