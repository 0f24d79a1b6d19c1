import { Reason } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { getModel, getSku, plan } from '@kaito-ts/presets';
import { makeNode } from '@kaito-ts/karpenter/testing';
import { nodeGpus } from './byo-nodes.js';
import { desiredInferenceWorkload } from './inference-workload.js';
import { conditionTransitions, isSubset, nodeSource, onlyMessagesChanged, plannedRequestNames, requestsToCreate, resolveInferencePlan, serviceNeedsApply, statefulSetNeedsApply } from './plan.js';

const named = (...names: string[]) => names.map((name) => ({ metadata: { name } }));

describe('plannedRequestNames', () => {
  const ws = { name: 'phi', namespace: 'default', uid: 'u1' };
  it('is stable for a Workspace UID and distinct per node', () => {
    expect(plannedRequestNames(ws, 2)).toEqual(plannedRequestNames(ws, 2));
    expect(new Set(plannedRequestNames(ws, 3)).size).toBe(3);
    expect(plannedRequestNames(ws, 1)[0]).toMatch(/^ws[0-9a-f]{9}$/);
  });
  it('differs for a Workspace recreated under the same name', () => {
    expect(plannedRequestNames({ ...ws, uid: 'u2' }, 1)).not.toEqual(plannedRequestNames(ws, 1));
  });
});

describe('requestsToCreate', () => {
  it.each([
    { planned: ['a', 'b'], live: [], want: ['a', 'b'] },
    { planned: ['a', 'b'], live: ['a'], want: ['b'] },
    { planned: ['a', 'b'], live: ['a', 'b'], want: [] },
    { planned: ['a', 'b'], live: ['x'], want: ['a'] },
    { planned: ['a'], live: ['x', 'y'], want: [] },
  ])('planned $planned with live $live creates $want', ({ planned, live, want }) => {
    expect(requestsToCreate(planned, named(...live))).toEqual(want);
  });
});

describe('isSubset', () => {
  it.each([
    [{ a: 1 }, { a: 1, b: 2 }, true],
    [{ a: 1 }, { a: 2 }, false],
    [[{ a: 1 }], [{ a: 1, c: 3 }], true],
    [[1, 2], [1], false],
    [{ a: { b: 'x' } }, { a: undefined }, false],
  ])('%j ⊆ %j is %s', (d, o, want) => {
    expect(isSubset(d, o)).toBe(want);
  });
});

describe('compare before writing', () => {
  const workspace = makeInferenceWorkspace();
  const model = getModel('phi-3-mini-128k-instruct');
  const w = desiredInferenceWorkload({ workspace, plan: plan(model, 'Standard_NC6s_v3'), model });
  const defaulted = { ...w.service, spec: { ...w.service.spec, clusterIP: '10.0.0.7', sessionAffinity: 'None' } };

  it('leaves a Service the API server only added defaults to', () => {
    expect(serviceNeedsApply(w.service, defaulted)).toBe(false);
  });
  it('applies a Service whose port changed or that is missing', () => {
    expect(serviceNeedsApply(w.service, { ...defaulted, spec: { ...defaulted.spec, ports: [{ port: 8080 }] } })).toBe(true);
    expect(serviceNeedsApply(w.service, undefined)).toBe(true);
  });
  it('applies the StatefulSet when its revision or replicas differ, not otherwise', () => {
    expect(statefulSetNeedsApply(w.statefulSet, w.statefulSet)).toBe(false);
    expect(statefulSetNeedsApply(w.statefulSet, { ...w.statefulSet, metadata: { ...w.statefulSet.metadata, annotations: { 'workspace.kaito.io/hash': 'old' } } })).toBe(true);
    expect(statefulSetNeedsApply(w.statefulSet, { ...w.statefulSet, spec: { ...w.statefulSet.spec!, replicas: 2 } })).toBe(true);
  });
});

describe('resolveInferencePlan', () => {
  it('plans phi-3-mini-4k-instruct on Standard_NC6s_v3 on one node', () => {
    const r = resolveInferencePlan(makeInferenceWorkspace({ inference: { preset: { name: 'phi-3-mini-4k-instruct' } } }));
    expect(r).toMatchObject({ ok: true, plan: { nodeCount: 1, fits: true } });
  });
  it.each([
    [{ resource: { instanceType: 'Standard_NC6s_v9' } }, Reason.InstanceTypeNotFound, 'resource.instanceType: unknown GPU instance type'],
    [{ inference: { preset: { name: 'no-such-model' } } }, Reason.PresetNotFound, 'inference.preset.name: unknown model'],
    [{ inference: { preset: { name: 'falcon-40b-instruct' } } }, Reason.ModelDoesNotFit, 'falcon-40b-instruct on Standard_NC6s_v3: '],
    [{ metadata: { annotations: { 'kaito.sh/runtime': 'tgi' } } }, Reason.InvalidSpec, 'kaito.sh/runtime'],
    [{ inference: { adapters: [{ source: { name: 'a', image: 'example.com/a:1' }, strength: '0.5' }] } }, Reason.InvalidSpec, 'inference.adapters[0].strength: vLLM does not weight adapters'],
    [{ inference: { adapters: [{ source: { name: 'a', image: 'example.com/a:1' }, strength: '1.5' }] } }, Reason.InvalidSpec, 'inference.adapters[0].strength: expected a number between 0 and 1, got "1.5"'],
  ])('refuses %j with %s', (overrides, reason, message) => {
    const r = resolveInferencePlan(makeInferenceWorkspace(overrides));
    expect(r).toMatchObject({ ok: false, reason });
    expect(r.ok ? '' : r.message).toContain(message);
  });
  it.each([
    [{ template: { spec: { containers: [] } } }, 'inference.template.spec.containers: expected at least one container'],
    [{ template: { spec: { containers: [{ name: 's', image: 'i' }] } }, adapters: [{ source: { name: 'a', image: 'r/a:1' } }] }, 'adapters need a preset'],
  ])('refuses the template Workspace %j with InvalidSpec', (inference, message) => {
    const r = resolveInferencePlan({ ...makeInferenceWorkspace(), inference });
    expect(r).toMatchObject({ ok: false, reason: Reason.InvalidSpec });
    expect(r.ok ? '' : r.message).toContain(message);
  });
  it('serves a memory misfit the webhook admitted under kaito.sh/bypass-resource-checks, saying so in the plan', () => {
    const overrides = { inference: { preset: { name: 'phi-3-medium-128k-instruct' } } };
    expect(resolveInferencePlan(makeInferenceWorkspace(overrides))).toMatchObject({ ok: false, reason: Reason.ModelDoesNotFit });
    const r = resolveInferencePlan(makeInferenceWorkspace({ ...overrides, metadata: { annotations: { 'kaito.sh/bypass-resource-checks': 'True' } } }));
    expect(r).toMatchObject({ ok: true, plan: { fits: true } });
    expect(r.ok && r.kind === 'preset' ? r.plan.reasons.join(' ') : '').toContain('memory check bypassed');
  });
  it('needs a SKU to plan a preset on when instanceType is absent', () => {
    const ws = makeInferenceWorkspace();
    const r = resolveInferencePlan({ ...ws, resource: { labelSelector: ws.resource.labelSelector } });
    expect(r).toMatchObject({ ok: false, reason: Reason.InvalidSpec });
    expect(r.ok ? '' : r.message).toContain('no node was chosen to plan on');
  });
  it('plans on the GPUs of bring-your-own nodes when given them', () => {
    const ws = makeInferenceWorkspace({ inference: { preset: { name: 'phi-3-mini-4k-instruct' } } });
    const r = resolveInferencePlan({ ...ws, resource: { labelSelector: ws.resource.labelSelector } }, getSku('Standard_NC24ads_A100_v4'));
    expect(r).toMatchObject({ ok: true, kind: 'preset', plan: { sku: 'Standard_NC24ads_A100_v4', nodeCount: 1 }, gpusPerNode: 1 });
  });
  it('plans on GPUs read from GPU Feature Discovery labels', () => {
    const ws = makeInferenceWorkspace({ inference: { preset: { name: 'phi-3-mini-4k-instruct' } } });
    const node = makeNode({ instanceType: 'dgx-box', metadata: { name: 'n', labels: { 'nvidia.com/gpu.product': 'NVIDIA-A100-80GB-PCIe', 'nvidia.com/gpu.count': '2', 'nvidia.com/gpu.memory': '81920' } } });
    const gpus = nodeGpus(node);
    if (!gpus.ok) throw new Error(gpus.why);
    const r = resolveInferencePlan({ ...ws, resource: { labelSelector: ws.resource.labelSelector } }, gpus.sku);
    expect(r).toMatchObject({ ok: true, kind: 'preset', nodeCount: 1, gpusPerNode: 2, plan: { sku: 'dgx-box', dtype: 'bfloat16' } });
  });
  it('runs a template on resource.count nodes, each giving it all of its SKU’s GPUs', () => {
    const r = resolveInferencePlan({ ...makeInferenceWorkspace({ resource: { count: 2, instanceType: 'Standard_NC12s_v3' } }), inference: { template: { spec: { containers: [{ name: 's', image: 'i' }] } } } });
    expect(r).toEqual({ ok: true, kind: 'template', nodeCount: 2, gpusPerNode: 2 });
  });
  it('plans a model that needs two nodes on two when resource.count allows it', () => {
    const r = resolveInferencePlan(makeInferenceWorkspace({ resource: { count: 2, instanceType: 'Standard_NC24ads_A100_v4' }, inference: { preset: { name: 'falcon-40b-instruct' } } }));
    expect(r).toMatchObject({ ok: true, kind: 'preset', nodeCount: 2, plan: { pipelineParallel: 2 } });
  });
});

describe('conditionTransitions', () => {
  const c = (type: string, status: 'True' | 'False', reason: string, message = '') => ({ type, status, reason, message, lastTransitionTime: '' });
  it('warns of a failure; a step of progress, and the summary while it stays False, are not news', () => {
    const before = [c('ResourceReady', 'False', 'NodeNotLaunched'), c('InferenceReady', 'False', 'InferencePending', 'a'), c('WorkspaceReady', 'False', 'WorkspaceNotReady')];
    const after = [c('ResourceReady', 'True', 'NodesReady', '1/1 nodes ready'), c('InferenceReady', 'False', 'ContainerCrashLoopBackOff', 'b'), c('WorkspaceReady', 'False', 'WorkspaceNotReady', 'ContainerCrashLoopBackOff: b')];
    expect(conditionTransitions(before, after)).toEqual([{ type: 'Warning', reason: 'ContainerCrashLoopBackOff', message: 'InferenceReady False: b' }]);
  });
  it('reports a recovery from a failure as Normal', () => {
    const quota = [c('ResourceReady', 'False', 'QuotaExceeded', '0 of 24 cores free')];
    expect(conditionTransitions(quota, [c('ResourceReady', 'True', 'NodesReady', '1/1 nodes ready')])).toEqual([{ type: 'Normal', reason: 'NodesReady', message: 'ResourceReady True: 1/1 nodes ready' }]);
    expect(conditionTransitions(quota, [c('ResourceReady', 'False', 'NodeNotRegistered', 'registering')])).toEqual([{ type: 'Normal', reason: 'NodeNotRegistered', message: 'ResourceReady False: registering' }]);
  });
  it('says nothing of a condition that first appears True, or of a message-only change', () => {
    expect(conditionTransitions(undefined, [c('ResourceReady', 'True', 'NodesReady')])).toEqual([]);
    const crash = [c('InferenceReady', 'False', 'ContainerCrashLoopBackOff', '3 restarts')];
    expect(conditionTransitions(crash, [c('InferenceReady', 'False', 'ContainerCrashLoopBackOff', '4 restarts')])).toEqual([]);
  });
  it('reports an outcome turning True (a tuning run succeeded)', () => {
    expect(conditionTransitions([c('WorkspaceSucceeded', 'False', 'JobPending')], [c('WorkspaceSucceeded', 'True', 'TuningSucceeded', 'done')])).toEqual([
      { type: 'Normal', reason: 'TuningSucceeded', message: 'WorkspaceSucceeded True: done' },
    ]);
  });
  it('says nothing about a new Workspace that is only pending, and warns of a failure at once', () => {
    const pending = [c('ResourceReady', 'False', 'NodesPending'), c('InferenceReady', 'False', 'InferencePending'), c('WorkspaceReady', 'False', 'WorkspaceNotReady')];
    expect(conditionTransitions(undefined, pending)).toEqual([]);
    const quota = [c('ResourceReady', 'False', 'QuotaExceeded', '0 of 24 cores free'), ...pending.slice(1)];
    expect(conditionTransitions(undefined, quota)).toEqual([{ type: 'Warning', reason: 'QuotaExceeded', message: 'ResourceReady False: 0 of 24 cores free' }]);
  });
  it('reports a condition leaving True as Normal, and a flip of the summary both ways', () => {
    const ready = [c('InferenceReady', 'True', 'InferenceReady'), c('WorkspaceReady', 'True', 'WorkspaceReady')];
    const rolling = [c('InferenceReady', 'False', 'InferenceUpdating', 'rolling'), c('WorkspaceReady', 'False', 'WorkspaceNotReady', 'InferenceUpdating: rolling')];
    expect(conditionTransitions(ready, rolling)).toEqual([
      { type: 'Normal', reason: 'InferenceUpdating', message: 'InferenceReady False: rolling' },
      { type: 'Warning', reason: 'WorkspaceNotReady', message: 'WorkspaceReady False: InferenceUpdating: rolling' },
    ]);
    // The rollout finishing is said once, by the summary.
    expect(conditionTransitions(rolling, ready).map((t) => t.reason)).toEqual(['WorkspaceReady']);
  });
});

describe('onlyMessagesChanged', () => {
  const c = (type: string, status: 'True' | 'False', reason: string, message = '') => ({ type, status, reason, message, lastTransitionTime: 't0' });
  const pending = { state: 'Pending', targetNodeCount: 1, conditions: [c('ResourceReady', 'True', 'NodesReady'), c('InferenceReady', 'False', 'InferencePending', 'pod not created yet')] };
  it('is true when only condition messages differ', () => {
    expect(onlyMessagesChanged(pending, { ...pending, conditions: [pending.conditions[0]!, c('InferenceReady', 'False', 'InferencePending', 'pod is Pending')] })).toBe(true);
  });
  it.each([
    ['nothing changed', pending],
    ['a reason changed', { ...pending, conditions: [pending.conditions[0]!, c('InferenceReady', 'False', 'ImagePullBackOff', 'cannot pull')] }],
    ['a status changed', { ...pending, conditions: [pending.conditions[0]!, c('InferenceReady', 'True', 'InferencePending', 'pod is Pending')] }],
    ['a condition appeared', { ...pending, conditions: [...pending.conditions, c('WorkspaceReady', 'False', 'WorkspaceNotReady')] }],
    ['another field changed with a message', { ...pending, state: 'Ready', conditions: [pending.conditions[0]!, c('InferenceReady', 'False', 'InferencePending', 'pod is Pending')] }],
  ])('is false when %s', (_what, next) => {
    expect(onlyMessagesChanged(pending, next)).toBe(false);
  });
  it('is false for a first status', () => {
    expect(onlyMessagesChanged(undefined, pending)).toBe(false);
  });
});

describe('nodeSource', () => {
  const ws = makeInferenceWorkspace();
  const byo = { ...ws, resource: { labelSelector: ws.resource.labelSelector } };
  it.each([
    ['auto', ws, 'requests'],
    ['auto', byo, 'byo'],
    ['auto', { ...ws, resource: { ...ws.resource, instanceType: '' } }, 'byo'],
    ['byo', ws, 'byo'],
    ['byo', byo, 'byo'],
  ] as const)('in mode %s is %#', (mode, workspace, want) => {
    expect(nodeSource(workspace, mode)).toBe(want);
  });
});
