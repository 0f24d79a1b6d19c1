import { Reason } from '@kaito-ts/api';
import { makeInferenceWorkspace } from '@kaito-ts/api/testing';
import { getModel, plan } from '@kaito-ts/presets';
import { desiredInferenceWorkload } from './inference-workload.js';
import { conditionTransitions, isSubset, plannedRequestNames, requestsToCreate, resolveInferencePlan, serviceNeedsApply, statefulSetNeedsApply } from './plan.js';

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
    [{ inference: { adapters: [{ source: { name: 'a', image: 'example.com/a:1' } }] } }, Reason.InvalidSpec, 'inference.adapters are not supported'],
  ])('refuses %j with %s', (overrides, reason, message) => {
    const r = resolveInferencePlan(makeInferenceWorkspace(overrides));
    expect(r).toMatchObject({ ok: false, reason });
    expect(r.ok ? '' : r.message).toContain(message);
  });
  it('says bring-your-own nodes are not supported yet when instanceType is absent', () => {
    const ws = makeInferenceWorkspace();
    const r = resolveInferencePlan({ ...ws, resource: { labelSelector: ws.resource.labelSelector } });
    expect(r).toMatchObject({ ok: false, reason: Reason.InvalidSpec });
    expect(r.ok ? '' : r.message).toContain('bring-your-own nodes');
  });
});

describe('conditionTransitions', () => {
  const c = (type: string, status: 'True' | 'False', reason: string, message = '') => ({ type, status, reason, message, lastTransitionTime: '' });
  it('is one Event per condition whose status or reason changed, Warning when False', () => {
    const before = [c('ResourceReady', 'False', 'NodeNotLaunched'), c('InferenceReady', 'False', 'InferencePending', 'a')];
    const after = [c('ResourceReady', 'True', 'NodesReady', '1/1 nodes ready'), c('InferenceReady', 'False', 'InferencePending', 'b'), c('WorkspaceReady', 'False', 'WorkspaceNotReady')];
    expect(conditionTransitions(before, after)).toEqual([
      { type: 'Normal', reason: 'NodesReady', message: 'ResourceReady True: 1/1 nodes ready' },
      { type: 'Warning', reason: 'WorkspaceNotReady', message: 'WorkspaceReady False: ' },
    ]);
  });
});
