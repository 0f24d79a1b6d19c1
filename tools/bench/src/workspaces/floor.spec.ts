import type { KubeObject } from '@kaito-ts/controller-runtime';
import { copyFor, requestsByResource } from './floor-objects.js';
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

describe('requestsByResource', () => {
  it('sums apiserver_request_total by verb and resource/subresource over codes and scopes, ignoring other series', () => {
    const text = [
      'apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 150',
      'apiserver_request_total{code="409",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 2',
      'apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="statefulsets",scope="resource",subresource="status",verb="PUT",version="v1"} 400',
      'apiserver_flowcontrol_dispatched_requests_total{flow_schema="exempt",priority_level="exempt"} 5',
    ].join('\n');
    expect(requestsByResource(text)).toEqual(new Map([['POST pods', 152], ['PUT statefulsets/status', 400]]));
  });
});

describe('formatFloors', () => {
  const floor = (over: Partial<FloorResult> = {}): FloorResult => ({
    mode: 'byo-floor',
    count: 200,
    sku: 'Standard_NC6s_v3',
    createdS: 3.2,
    readyS: [10, 20, 30],
    requests: [{ what: 'POST pods', requests: 200 }],
    load: { start: 1, end: 2 },
    ...over,
  });
  it('prints the time to the last pod Ready next to the BYO target, and the requests it took', () => {
    const text = formatFloors([floor({ count: 3 }), floor()]);
    expect(text).toContain('| byo-floor, Standard_NC6s_v3 | 3 | 3.2 s | 20.0 s / 30.0 s |  |');
    expect(text).toContain('| byo-floor, Standard_NC6s_v3 | 200 | 3.2 s | 20.0 s / 3/200 Ready | all ≤ 18 s |');
    expect(text).toContain('from T0 to the last pod Ready: POST pods 200');
  });
  it('is empty without floor runs', () => expect(formatFloors([])).toBe(''));
});
