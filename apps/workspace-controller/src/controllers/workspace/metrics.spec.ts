import { makeInferenceWorkspace, makeTuningWorkspace } from '@kaito-ts/api/testing';
import { Registry } from 'prom-client';
import { registerWorkspaceMetrics, workspacesByState } from './metrics.js';

const ws = (name: string, state?: string, instanceType?: string) =>
  makeInferenceWorkspace({ metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' }, resource: { instanceType: instanceType ?? 'Standard_NC6s_v3' }, ...(state !== undefined ? { status: { state } } : {}) });

describe('workspacesByState', () => {
  it('counts inference Workspaces by state and node source, leaving tuning ones out', () => {
    const list = [ws('a', 'Ready'), ws('b', 'Ready'), ws('c', 'Pending', ''), ws('d'), makeTuningWorkspace()];
    const counts = [...workspacesByState(list, (w) => (w.resource.instanceType === '' ? 'byo' : 'requests')).values()];
    expect(counts).toEqual([
      { state: 'Ready', nodes: 'requests', count: 2 },
      { state: 'Pending', nodes: 'byo', count: 1 },
      { state: 'Unknown', nodes: 'requests', count: 1 },
    ]);
  });
});

describe('registerWorkspaceMetrics', () => {
  it('serves the gauge from the list when scraped, and observes the time to Ready', async () => {
    const registry = new Registry();
    let list = [ws('a', 'Ready')];
    const metrics = registerWorkspaceMetrics(registry, () => list, () => 'requests');
    metrics.becameReady(ws('a'), 'requests', new Date('2026-01-01T00:01:30Z'));
    expect(await registry.metrics()).toContain('kaito_inference_workspaces{state="Ready",nodes="requests"} 1');
    list = [ws('a', 'NotReady')];
    const text = await registry.metrics();
    expect(text).toContain('kaito_inference_workspaces{state="NotReady",nodes="requests"} 1');
    expect(text).not.toContain('kaito_inference_workspaces{state="Ready"');
    expect(text).toContain('kaito_inference_workspace_ready_seconds_sum{nodes="requests"} 90');
  });
});
